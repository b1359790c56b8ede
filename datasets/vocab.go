package datasets

import (
	"slices"
	"strings"

	"github.com/pkg/errors"
)

// The special tokens every Vocab starts with.
const (
	PadID    = 0       // id of PadToken, which fills batches after each row's end
	UnkID    = 1       // id of UnkToken, which stands for every token not in the vocabulary
	PadToken = "<pad>" // token 0
	UnkToken = "<unk>" // token 1
)

// Vocab maps tokens to ids 0..Len()-1 and back. Ids 0 and 1 are PadToken and
// UnkToken; the other tokens follow by frequency, most frequent first, ties
// in byte order of the token. A Vocab is read-only and safe for concurrent
// use.
type Vocab struct {
	tokens    []string       // [Len()] token of each id
	ids       map[string]int // inverse of tokens
	tokenizer string         // the tokenizer the counted texts were split with; "" when unknown
}

// Tokenizer returns the name of the tokenizer whose tokens the vocabulary
// was built from (BuildVocab, Prepare), or "" when that is unknown (a
// vocabulary read from vocab.txt or built from tokens). A model reads its
// texts with this tokenizer, so that the ids mean what they meant in
// training.
func (v *Vocab) Tokenizer() string { return v.tokenizer }

// VocabOptions limits which tokens a vocabulary keeps. The zero value keeps
// every token.
type VocabOptions struct {
	// MinFreq drops tokens seen fewer times. Default (0) 1: keep all.
	MinFreq int
	// MaxSize bounds Len(), the two special tokens included (like Keras'
	// max_tokens): at most MaxSize-2 tokens are kept, the most frequent.
	// Default (0): no bound. Otherwise at least 2.
	MaxSize int
}

// VocabFromTokens builds a vocabulary from token rows, e.g. the tokenized
// texts of a training set. Tokens equal to PadToken or UnkToken are not
// counted: they keep their special ids.
func VocabFromTokens(rows [][]string, opts VocabOptions) (*Vocab, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	counts := make(map[string]int)
	for _, row := range rows {
		for _, token := range row {
			counts[token]++
		}
	}
	return vocabFromCounts(counts, opts), nil
}

// BuildVocab tokenizes every text of ds with tok and builds a vocabulary
// from the tokens, as VocabFromTokens does.
func BuildVocab(ds *Dataset, tok Tokenizer, opts VocabOptions) (*Vocab, error) {
	if err := opts.check(); err != nil {
		return nil, errors.Wrapf(err, "vocabulary of %s", ds.Path)
	}
	counts := make(map[string]int)
	for _, ex := range ds.Examples {
		for _, token := range tok.Tokenize(ex.Text) {
			counts[token]++
		}
	}
	v := vocabFromCounts(counts, opts)
	v.tokenizer = tok.Name()
	return v, nil
}

// check reports options out of range.
func (o VocabOptions) check() error {
	switch {
	case o.MinFreq < 0:
		return errors.Errorf("MinFreq is %d, want >= 0", o.MinFreq)
	case o.MaxSize < 0 || o.MaxSize == 1:
		return errors.Errorf("MaxSize is %d, want 0 (no bound) or >= 2 (the special tokens count)", o.MaxSize)
	}
	return nil
}

// vocabFromCounts keeps the tokens that checked opts allow, in vocabulary
// order.
func vocabFromCounts(counts map[string]int, opts VocabOptions) *Vocab {
	minFreq := max(opts.MinFreq, 1)
	delete(counts, PadToken)
	delete(counts, UnkToken)
	kept := make([]string, 0, len(counts))
	for token, n := range counts {
		if n >= minFreq {
			kept = append(kept, token)
		}
	}
	slices.SortFunc(kept, func(a, b string) int {
		if counts[a] != counts[b] {
			return counts[b] - counts[a]
		}
		return strings.Compare(a, b)
	})
	if opts.MaxSize > 0 && len(kept) > opts.MaxSize-2 {
		kept = kept[:opts.MaxSize-2]
	}
	return newVocab(append([]string{PadToken, UnkToken}, kept...))
}

// newVocab makes a Vocab of distinct tokens, the specials first.
func newVocab(tokens []string) *Vocab {
	ids := make(map[string]int, len(tokens))
	for id, token := range tokens {
		ids[token] = id
	}
	return &Vocab{tokens: tokens, ids: ids}
}

// Len returns the number of tokens, the two special ones included.
func (v *Vocab) Len() int { return len(v.tokens) }

// ID returns the id of token, UnkID when it is not in the vocabulary.
func (v *Vocab) ID(token string) int {
	if id, ok := v.ids[token]; ok {
		return id
	}
	return UnkID
}

// Token returns the token with the given id, UnkToken when there is none.
func (v *Vocab) Token(id int) string {
	if id < 0 || id >= len(v.tokens) {
		return UnkToken
	}
	return v.tokens[id]
}

// Tokens returns a copy of the tokens in id order, [Len()].
func (v *Vocab) Tokens() []string { return slices.Clone(v.tokens) }

// Encode returns the ids of tokens, [len(tokens)]. A token not in the
// vocabulary gets UnkID, and so does a literal PadToken: PadID never occurs
// inside an encoded text, only as padding after it.
func (v *Vocab) Encode(tokens []string) []int {
	ids := make([]int, len(tokens))
	for i, token := range tokens {
		ids[i] = v.encodeToken(token)
	}
	return ids
}

// encodeToken returns the id Encode gives token.
func (v *Vocab) encodeToken(token string) int {
	id, ok := v.ids[token]
	if !ok || id == PadID {
		return UnkID
	}
	return id
}

// Decode returns the tokens of ids, [len(ids)], UnkToken for an id out of
// range.
func (v *Vocab) Decode(ids []int) []string {
	tokens := make([]string, len(ids))
	for i, id := range ids {
		tokens[i] = v.Token(id)
	}
	return tokens
}
