package datasets

import (
	"slices"

	"github.com/pkg/errors"
)

// BuildCorpusVocab tokenizes every document of c with tok and builds a
// language model's vocabulary: PadToken and UnkToken, then specials in
// the order given (BOSToken and EOSToken, say), then the tokens by
// frequency as BuildVocab orders them. opts.MaxSize counts the specials.
// A token equal to a special is not counted (Encode maps it to UnkID).
func BuildCorpusVocab(c *Corpus, tok Tokenizer, specials []string, opts VocabOptions) (*Vocab, error) {
	counts := make(map[string]int)
	for _, text := range c.Texts {
		for _, token := range tok.Tokenize(text) {
			counts[token]++
		}
	}
	v, err := vocabWithSpecials(counts, specials, tok.Name(), opts)
	return v, errors.Wrapf(err, "vocabulary of %s", c.Path)
}

// vocabWithSpecials builds a vocabulary of the tokens counted in counts
// (which it changes): PadToken and UnkToken, then specials in order,
// then the tokens by frequency as VocabFromTokens orders them.
// opts.MaxSize counts every special token; a counted token equal to a
// special one is dropped. tokenizer names the tokens' tokenizer.
func vocabWithSpecials(counts map[string]int, specials []string, tokenizer string, opts VocabOptions) (*Vocab, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	reserved := 2 + len(specials)
	if opts.MaxSize > 0 && opts.MaxSize < reserved {
		return nil, errors.Errorf("MaxSize is %d, want 0 (no bound) or >= %d (the special tokens count)", opts.MaxSize, reserved)
	}
	for _, s := range specials {
		if s == PadToken || s == UnkToken || s == "" {
			return nil, errors.Errorf("special token %q: want a token other than %s and %s", s, PadToken, UnkToken)
		}
		delete(counts, s)
	}
	if opts.MaxSize > 0 {
		opts.MaxSize -= len(specials) // vocabFromCounts counts <pad> and <unk> only
	}
	words := vocabFromCounts(counts, opts).tokens
	tokens := append(append(slices.Clip(words[:2]), specials...), words[2:]...)
	if dup := firstDuplicate(tokens); dup != "" {
		return nil, errors.Errorf("special token %q given twice", dup)
	}
	v := newVocab(tokens)
	v.tokenizer = tokenizer
	return v, nil
}

// firstDuplicate returns the first token of tokens that repeats an
// earlier one, or "".
func firstDuplicate(tokens []string) string {
	seen := make(map[string]bool, len(tokens))
	for _, t := range tokens {
		if seen[t] {
			return t
		}
		seen[t] = true
	}
	return ""
}

// corpusEncoder maps documents to ids for a language model: the
// tokenizer, the vocabulary and its special ids, which no text token
// takes.
type corpusEncoder struct {
	tok      Tokenizer
	vocab    *Vocab
	specials map[int]bool
}

// newCorpusEncoder checks that v was built with tok (when v knows its
// tokenizer) and holds the special tokens named.
func newCorpusEncoder(c *Corpus, tok Tokenizer, v *Vocab, specials ...string) (*corpusEncoder, error) {
	if v.tokenizer != "" && v.tokenizer != tok.Name() {
		return nil, errors.Errorf("encoding %s: the vocabulary holds %s tokens, the tokenizer is %s", c.Path, v.tokenizer, tok.Name())
	}
	e := &corpusEncoder{tok: tok, vocab: v, specials: map[int]bool{}}
	for _, s := range specials {
		id, ok := v.ids[s]
		if !ok {
			return nil, errors.Errorf("encoding %s: the vocabulary has no %s token", c.Path, s)
		}
		e.specials[id] = true
	}
	return e, nil
}

// encode returns the ids of text's tokens; a token spelled like a special
// token gets UnkID.
func (e *corpusEncoder) encode(text string) []int {
	ids := e.vocab.Encode(e.tok.Tokenize(text))
	for i, id := range ids {
		if e.specials[id] {
			ids[i] = UnkID
		}
	}
	return ids
}

// EncodeDocuments encodes each document of c as one row of a
// per-document language model: the inputs BOSToken followed by the
// document's tokens, and as targets the next token of each input, the
// document's tokens followed by EOSToken ([N][len_i + 1] both). A
// document without tokens is the row BOSToken -> EOSToken. v must hold
// BOSToken and EOSToken.
func EncodeDocuments(c *Corpus, tok Tokenizer, v *Vocab) (*Encoded, error) {
	e, err := newCorpusEncoder(c, tok, v, BOSToken, EOSToken)
	if err != nil {
		return nil, err
	}
	bos, eos := v.ids[BOSToken], v.ids[EOSToken]
	enc := &Encoded{IDs: make([][]int, c.Len()), Targets: make([][]int, c.Len()), Examples: make([]int, c.Len())}
	for i, text := range c.Texts {
		ids := e.encode(text)
		enc.IDs[i] = append([]int{bos}, ids...)
		enc.Targets[i] = append(ids, eos)
		enc.Examples[i] = i
	}
	return enc, nil
}

// StreamOptions cut a corpus into the windows of truncated
// backpropagation through time (EncodeStream).
type StreamOptions struct {
	// Columns is B, the parallel columns the stream is cut into: the
	// batch size (required).
	Columns int
	// BPTT is the steps of a window (required).
	BPTT int
}

// EncodeStream encodes c as one token stream, as PyTorch's
// word_language_model example does: every document's tokens followed by
// EOSToken, one document after the other. batchify cuts the stream into
// opts.Columns columns of n = ⌊len/Columns⌋ consecutive tokens (dropping
// the remainder), and get_batch reads them in windows of opts.BPTT steps
// starting every BPTT steps, the last one shorter, each step's target the
// next token of its column. Row w*Columns + c of the result is window w
// of column c, so batches of Columns rows in order are the example's
// batches, and a window's initial state is the final state of the window
// before it in the same column. The stream must fill at least one window:
// Columns*(BPTT+1) tokens.
func EncodeStream(c *Corpus, tok Tokenizer, v *Vocab, opts StreamOptions) (*Encoded, error) {
	if opts.Columns <= 0 || opts.BPTT <= 0 {
		return nil, errors.Errorf("encoding %s as a stream: columns %d and bptt %d must be positive", c.Path, opts.Columns, opts.BPTT)
	}
	e, err := newCorpusEncoder(c, tok, v, EOSToken)
	if err != nil {
		return nil, err
	}
	eos := v.ids[EOSToken]
	var stream []int
	for _, text := range c.Texts {
		stream = append(append(stream, e.encode(text)...), eos)
	}
	n := len(stream) / opts.Columns
	if n-1 < opts.BPTT {
		return nil, errors.Errorf("%s: the stream of %d tokens is shorter than one window: %d columns of bptt+1 = %d tokens need %d",
			c.Path, len(stream), opts.Columns, opts.BPTT+1, opts.Columns*(opts.BPTT+1))
	}
	enc := &Encoded{}
	for start := 0; start < n-1; start += opts.BPTT {
		steps := min(opts.BPTT, n-1-start)
		for col := 0; col < opts.Columns; col++ {
			column := stream[col*n : (col+1)*n]
			enc.IDs = append(enc.IDs, column[start:start+steps:start+steps])
			enc.Targets = append(enc.Targets, column[start+1:start+1+steps:start+1+steps])
		}
	}
	return enc, nil
}
