package datasets

import "github.com/pkg/errors"

// The ids of BOSToken and EOSToken in a sequence-to-sequence vocabulary,
// after PadToken and UnkToken: the decoder starts from BOSToken and ends
// its output with EOSToken.
const (
	BOSID = 2 // the decoder's first input
	EOSID = 3 // the last target of every output
)

// seqSpecials are the first four tokens of a sequence-to-sequence
// vocabulary, in id order.
var seqSpecials = []string{PadToken, UnkToken, BOSToken, EOSToken}

// SeqVocabFromTokens builds the vocabulary of one side of a
// sequence-to-sequence task from token rows (the training texts tokenized
// by tokenizer, which the vocabulary records): ids 0..3 are <pad>, <unk>,
// <bos> and <eos>, the other tokens follow by frequency as in
// VocabFromTokens. opts.MaxSize counts the four special tokens, so it is 0
// (no bound) or at least 4.
func SeqVocabFromTokens(rows [][]string, tokenizer string, opts VocabOptions) (*Vocab, error) {
	counts := make(map[string]int)
	for _, row := range rows {
		for _, token := range row {
			counts[token]++
		}
	}
	return vocabWithSpecials(counts, seqSpecials[2:], tokenizer, opts)
}

// CheckSeqVocab reports whether v can be a side of a sequence-to-sequence
// model: its first four tokens must be <pad>, <unk>, <bos> and <eos>, and it
// needs at least one other.
func CheckSeqVocab(v *Vocab) error {
	if v.Len() <= len(seqSpecials) {
		return errors.Errorf("vocabulary of %d tokens: a sequence-to-sequence vocabulary holds %v and at least one more", v.Len(), seqSpecials)
	}
	for id, want := range seqSpecials {
		if v.tokens[id] != want {
			return errors.Errorf("token %d is %q, want %q (a sequence-to-sequence vocabulary starts with %v)", id, v.tokens[id], want, seqSpecials)
		}
	}
	return nil
}

// EncodeSeq returns the ids of tokens in a sequence-to-sequence vocabulary:
// Vocab.Encode, except that the special tokens written literally in a text
// become UnkID too.
func (v *Vocab) EncodeSeq(tokens []string) []int {
	ids := v.Encode(tokens)
	for i, id := range ids {
		if id < len(seqSpecials) {
			ids[i] = UnkID
		}
	}
	return ids
}

// BuildParallelVocabs builds the source and the target vocabularies of p's
// pairs (SeqVocabFromTokens), tokenized by src and tgt.
func BuildParallelVocabs(p *Parallel, src, tgt Tokenizer, srcOpts, tgtOpts VocabOptions) (srcVocab, tgtVocab *Vocab, err error) {
	sources := make([][]string, len(p.Pairs))
	targets := make([][]string, len(p.Pairs))
	for i, pair := range p.Pairs {
		sources[i], targets[i] = src.Tokenize(pair.Source), tgt.Tokenize(pair.Target)
	}
	if srcVocab, err = SeqVocabFromTokens(sources, src.Name(), srcOpts); err != nil {
		return nil, nil, errors.Wrapf(err, "source vocabulary of %s", p.Path)
	}
	if tgtVocab, err = SeqVocabFromTokens(targets, tgt.Name(), tgtOpts); err != nil {
		return nil, nil, errors.Wrapf(err, "target vocabulary of %s", p.Path)
	}
	return srcVocab, tgtVocab, nil
}

// ParallelEncodeOptions says how EncodeParallel encodes pairs. The zero
// value sets no length limit.
type ParallelEncodeOptions struct {
	// MaxSourceLen refuses a source of more tokens (a model's limit).
	// Default 0: no limit.
	MaxSourceLen int
}

// EncodeParallel encodes p's pairs for a sequence-to-sequence model: row i
// (pair Examples[i]) holds the source's ids, and its Second sequence the
// decoder's input, <bos> followed by the target's ids, with the targets
// the target's ids followed by <eos>:
//
//	IDs            s1 s2 ... sm
//	Second.IDs     <bos> t1 t2 ... tn
//	Second.Targets t1 t2 ... tn <eos>
//
// A side without tokens, or a source longer than opts.MaxSourceLen, is an
// error naming the pair's file and line. Both vocabularies must pass
// CheckSeqVocab and hold the tokens of their tokenizer.
func EncodeParallel(p *Parallel, src, tgt Tokenizer, srcVocab, tgtVocab *Vocab, opts ParallelEncodeOptions) (*Encoded, error) {
	for _, side := range []struct {
		name string
		tok  Tokenizer
		v    *Vocab
	}{{"source", src, srcVocab}, {"target", tgt, tgtVocab}} {
		if err := CheckSeqVocab(side.v); err != nil {
			return nil, errors.Wrapf(err, "encoding %s: %s vocabulary", p.Path, side.name)
		}
		if side.v.tokenizer != "" && side.v.tokenizer != side.tok.Name() {
			return nil, errors.Errorf("encoding %s: the %s vocabulary holds %s tokens, the tokenizer is %s", p.Path, side.name, side.v.tokenizer, side.tok.Name())
		}
	}
	if opts.MaxSourceLen < 0 {
		return nil, errors.Errorf("encoding %s: MaxSourceLen %d, want >= 0", p.Path, opts.MaxSourceLen)
	}
	n := len(p.Pairs)
	enc := &Encoded{IDs: make([][]int, n), Examples: make([]int, n)}
	second := &Encoded{IDs: make([][]int, n), Targets: make([][]int, n), Examples: enc.Examples}
	for i, pair := range p.Pairs {
		source, target := src.Tokenize(pair.Source), tgt.Tokenize(pair.Target)
		switch {
		case len(source) == 0:
			return nil, errors.Errorf("%s: source has no %s tokens: %s", p.where(i), src.Name(), excerpt([]byte(pair.Source)))
		case len(target) == 0:
			return nil, errors.Errorf("%s: target has no %s tokens: %s", p.where(i), tgt.Name(), excerpt([]byte(pair.Target)))
		case opts.MaxSourceLen > 0 && len(source) > opts.MaxSourceLen:
			return nil, errors.Errorf("%s: source has %d tokens, over the limit of %d", p.where(i), len(source), opts.MaxSourceLen)
		}
		ids := tgtVocab.EncodeSeq(target)
		enc.IDs[i] = srcVocab.EncodeSeq(source)
		enc.Examples[i] = i
		second.IDs[i] = append([]int{BOSID}, ids...)
		second.Targets[i] = append(ids, EOSID)
	}
	enc.Second = second
	return enc, nil
}
