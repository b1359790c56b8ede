package datasets

import (
	"fmt"

	"github.com/pkg/errors"
)

// Encoded is a dataset as token ids: N rows, each a non-empty id sequence,
// with what a task predicts of it: a class (Labels), a target per token
// (Targets), or a second sequence with its own targets (Second, a
// translation's target side).
type Encoded struct {
	IDs      [][]int      // [N][len_i] token ids, len_i >= 1; PadID never occurs
	Labels   []int        // [N] class index of each row; nil for per-token tasks
	Targets  [][]int      // [N][len_i] per-token targets aligned with IDs; nil unless the task has them
	Chars    [][][]int    // [N][len_i][chars] each token's character ids (a character vocabulary's), each token at least one; nil unless the model reads characters
	Second   *Encoded     // the rows' second sequences, with their targets; nil for one-sequence tasks
	Examples []int        // [N] index in the source Dataset.Examples of each row
	Classes  []string     // class names, as the source Dataset's
	Skipped  []SkippedRow // examples left out in lenient mode because they had no tokens
}

// Len returns the number of rows, N.
func (e *Encoded) Len() int { return len(e.IDs) }

// check reports the first row whose parts disagree: an empty row, targets
// of another length, a second sequence missing.
func (e *Encoded) check() error {
	for i, ids := range e.IDs {
		if len(ids) == 0 {
			return errors.Errorf("row %d is empty", i)
		}
		if e.Targets != nil && (i >= len(e.Targets) || len(e.Targets[i]) != len(ids)) {
			return errors.Errorf("row %d has %d tokens but not as many targets", i, len(ids))
		}
		if e.Chars != nil && (i >= len(e.Chars) || len(e.Chars[i]) != len(ids)) {
			return errors.Errorf("row %d has %d tokens but not as many character lists", i, len(ids))
		}
		for t, chars := range e.charsOf(i) {
			if len(chars) == 0 {
				return errors.Errorf("row %d token %d has no characters", i, t)
			}
		}
	}
	if e.Chars != nil && len(e.Chars) != len(e.IDs) {
		return errors.Errorf("%d rows but %d character rows", len(e.IDs), len(e.Chars))
	}
	if e.Targets != nil && len(e.Targets) != len(e.IDs) {
		return errors.Errorf("%d rows but %d target rows", len(e.IDs), len(e.Targets))
	}
	if e.Second != nil {
		if e.Second.Len() != e.Len() {
			return errors.Errorf("%d rows but %d second sequences", e.Len(), e.Second.Len())
		}
		return errors.Wrap(e.Second.check(), "second sequence")
	}
	return nil
}

// charsOf returns the character lists of row i's tokens, nil without
// characters.
func (e *Encoded) charsOf(i int) [][]int {
	if e.Chars == nil || i >= len(e.Chars) {
		return nil
	}
	return e.Chars[i]
}

// EncodeOptions says how Encode treats texts without tokens.
type EncodeOptions struct {
	// Lenient leaves out examples whose text has no tokens (e.g. only
	// punctuation that the tokenizer drops), listing them in
	// Encoded.Skipped. Default false: such an example is an error.
	Lenient bool
}

// Encode tokenizes every example of ds with tok and maps the tokens to ids
// with v. An example with no tokens is an error naming its file and line,
// or with opts.Lenient is skipped and reported. Labels must index
// ds.Classes.
func Encode(ds *Dataset, tok Tokenizer, v *Vocab, opts EncodeOptions) (*Encoded, error) {
	if v.tokenizer != "" && v.tokenizer != tok.Name() {
		return nil, errors.Errorf("encoding %s: the vocabulary holds %s tokens, the tokenizer is %s", ds.Path, v.tokenizer, tok.Name())
	}
	return encode(ds, tok, opts, v.Encode)
}

// encodeNewVocab is BuildVocab followed by Encode with the new vocabulary,
// tokenizing each text once: every distinct token gets a provisional id,
// counted as it goes, and the ids are mapped to the vocabulary's once it is
// built from the counts.
func encodeNewVocab(ds *Dataset, tok Tokenizer, vocabOpts VocabOptions, opts EncodeOptions) (*Encoded, *Vocab, error) {
	if err := vocabOpts.check(); err != nil {
		return nil, nil, errors.Wrapf(err, "vocabulary of %s", ds.Path)
	}
	provisional := make(map[string]int)
	var counts []int // by provisional id
	enc, err := encode(ds, tok, opts, func(tokens []string) []int {
		ids := make([]int, len(tokens))
		for i, token := range tokens {
			id, ok := provisional[token]
			if !ok {
				id = len(counts)
				provisional[token] = id
				counts = append(counts, 0)
			}
			counts[id]++
			ids[i] = id
		}
		return ids
	})
	if err != nil {
		return nil, nil, err
	}
	byToken := make(map[string]int, len(provisional))
	for token, id := range provisional {
		byToken[token] = counts[id]
	}
	v := vocabFromCounts(byToken, vocabOpts)
	v.tokenizer = tok.Name()
	final := make([]int, len(counts)) // by provisional id
	for token, id := range provisional {
		final[id] = v.encodeToken(token)
	}
	for _, ids := range enc.IDs {
		for i, id := range ids {
			ids[i] = final[id]
		}
	}
	return enc, v, nil
}

// encode is Encode with the tokens of a text mapped to ids by ids.
func encode(ds *Dataset, tok Tokenizer, opts EncodeOptions, ids func(tokens []string) []int) (*Encoded, error) {
	enc := &Encoded{
		IDs:      make([][]int, 0, len(ds.Examples)),
		Labels:   make([]int, 0, len(ds.Examples)),
		Examples: make([]int, 0, len(ds.Examples)),
		Classes:  ds.Classes,
	}
	for i, ex := range ds.Examples {
		if err := ds.checkLabel(i); err != nil {
			return nil, err
		}
		tokens := tok.Tokenize(ex.Text)
		if len(tokens) == 0 {
			problem := fmt.Sprintf("text has no %s tokens: %s", tok.Name(), excerpt([]byte(ex.Text)))
			if !opts.Lenient {
				return nil, errors.Errorf("%s: %s", ds.where(i), problem)
			}
			enc.Skipped = append(enc.Skipped, SkippedRow{Line: ex.Line, Reason: problem})
			continue
		}
		enc.IDs = append(enc.IDs, ids(tokens))
		enc.Labels = append(enc.Labels, ex.Label)
		enc.Examples = append(enc.Examples, i)
	}
	if len(enc.IDs) == 0 {
		return nil, errors.Errorf("%s: no example has %s tokens", ds.Path, tok.Name())
	}
	return enc, nil
}
