package datasets

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pkg/errors"
)

// Streams of the PCG generator for the tagging data (see split.go).
const (
	truecaseStream    = 0x6e21_b8d4_093f_c75a
	taggedSplitStream = 0xc4a9_27e0_5b13_8df6
)

// DefaultMaxWordChars is the default TaggedSource.MaxWordChars.
const DefaultMaxWordChars = 32

// TaggedSource says where a tagging run's data come from and how they
// become ids. The zero value is the built-in truecasing task: derived
// from AG News when AGNewsDir finds it (training on rows 1..6000 of its
// test split, validating on rows 6001..7600, the project's split), from
// BuiltinTruecasing otherwise (with a 10% validation split).
type TaggedSource struct {
	// Path is the training data (see LoadTagged); "" means Sentences or,
	// without them, the built-in truecasing task.
	Path string
	// Sentences, when Path is "", are the training data (rows of them
	// chosen by TrainRows and ValRows as of a file's).
	Sentences *Tagged
	// Load says how to read Path and ValPath.
	Load TaggedOptions
	// TrainRows selects the training sentences (for the AG News
	// truecasing task: articles). Default: all (AG News: 1:6000).
	TrainRows Rows
	// ValPath is a separate validation file. Default "": ValRows or
	// ValSplit.
	ValPath string
	// ValRows selects the validation sentences of ValPath, or of Path
	// when ValPath is "". Default: none (AG News truecasing: 6001:7600).
	ValRows Rows
	// ValSplit is the fraction of the training sentences held out, at
	// random, for validation when neither ValPath nor ValRows is set.
	// Default 0.1; negative means no validation.
	ValSplit float64
	// BuiltinSize is the number of sentences of BuiltinTruecasing.
	// Default 4000.
	BuiltinSize int
	// Lowercase lowercases the tokens before they become word ids (the
	// characters keep their case).
	Lowercase bool
	// Vocab bounds the vocabulary built from the training tokens.
	Vocab VocabOptions
	// Chars builds a character alphabet from the training tokens and
	// fills Encoded.Chars, for character features.
	Chars bool
	// MaxWordChars is the number of characters kept of each token (its
	// first ones). Default DefaultMaxWordChars.
	MaxWordChars int
	// Seed seeds the built-in sentences and the validation split.
	Seed uint64
}

// PreparedTagged is a tagging run's data as ids.
type PreparedTagged struct {
	Train, Val *Encoded // Val is nil without validation; Targets hold tag ids
	Vocab      *Vocab   // the words
	Tags       *TagSet
	Chars      *Vocab // the characters; nil unless TaggedSource.Chars
	// TrainSource and ValSource are the sentences before encoding.
	TrainSource, ValSource *Tagged
	// Data describes where the sentences came from.
	Data string
}

// PrepareTagged loads, splits and encodes the data src describes. The
// tags are those of the training sentences; a validation tag training
// never saw makes its sentence malformed (an error, or skipped and listed
// in Val.Skipped with Load.Lenient).
func PrepareTagged(src TaggedSource) (*PreparedTagged, error) {
	if src.BuiltinSize == 0 {
		src.BuiltinSize = 4000
	}
	if src.ValSplit == 0 {
		src.ValSplit = 0.1
	}
	if src.MaxWordChars == 0 {
		src.MaxWordChars = DefaultMaxWordChars
	}
	if src.MaxWordChars < 0 {
		return nil, errors.Errorf("datasets: MaxWordChars %d must be positive", src.MaxWordChars)
	}
	if err := src.Vocab.check(); err != nil {
		return nil, errors.Wrap(err, "datasets: vocabulary")
	}
	p := &PreparedTagged{}
	var err error
	if p.TrainSource, p.ValSource, p.Data, err = src.sentences(); err != nil {
		return nil, err
	}
	if p.Tags, err = TagSetOf(p.TrainSource.Sentences); err != nil {
		return nil, errors.Wrapf(err, "%s", p.TrainSource.Path)
	}
	rows := make([][]string, len(p.TrainSource.Sentences))
	var charRows [][]string
	for i, s := range p.TrainSource.Sentences {
		rows[i] = wordForms(s.Tokens, src.Lowercase)
		if src.Chars {
			for _, token := range s.Tokens {
				charRows = append(charRows, tokenChars(token, src.MaxWordChars))
			}
		}
	}
	if p.Vocab, err = VocabFromTokens(rows, src.Vocab); err != nil {
		return nil, err
	}
	if src.Chars {
		if p.Chars, err = VocabFromTokens(charRows, VocabOptions{}); err != nil {
			return nil, err
		}
	}
	opts := TaggedEncodeOptions{Lowercase: src.Lowercase, MaxWordChars: src.MaxWordChars, Lenient: src.Load.Lenient}
	if p.Train, err = EncodeTagged(p.TrainSource, p.Vocab, p.Tags, p.Chars, opts); err != nil {
		return nil, err
	}
	if p.ValSource != nil {
		if p.Val, err = EncodeTagged(p.ValSource, p.Vocab, p.Tags, p.Chars, opts); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// sentences loads the training and validation sentences.
func (src TaggedSource) sentences() (trainD, valD *Tagged, data string, err error) {
	var all *Tagged
	switch dir, ok := AGNewsDir(); {
	case src.Path != "":
		if all, err = LoadTagged(src.Path, src.Load); err != nil {
			return nil, nil, "", err
		}
		data = src.Path
	case src.Sentences != nil:
		all, data = src.Sentences, src.Sentences.Path
	case ok:
		if all, err = TruecaseAGNews(filepath.Join(dir, "test.csv")); err != nil {
			return nil, nil, "", err
		}
		if src.TrainRows == (Rows{}) && src.ValRows == (Rows{}) {
			src.TrainRows, src.ValRows = Rows{1, 6000}, Rows{6001, 7600}
		}
		data = "truecasing built from " + all.Path
	default:
		all = BuiltinTruecasing(src.BuiltinSize, src.Seed)
		data = fmt.Sprintf("built-in truecasing text (%d sentences; AG News not found at %s)", src.BuiltinSize, dir)
	}
	if trainD, err = all.slice(src.TrainRows); err != nil {
		return nil, nil, "", err
	}
	switch {
	case src.ValPath != "":
		var loaded *Tagged
		if loaded, err = LoadTagged(src.ValPath, src.Load); err == nil {
			valD, err = loaded.slice(src.ValRows)
			if valD != nil {
				valD.Skipped = loaded.Skipped
			}
		}
	case src.ValRows != (Rows{}):
		valD, err = all.slice(src.ValRows)
	case src.ValSplit > 0:
		trainD, valD, err = SplitTagged(trainD, src.ValSplit, src.Seed)
	}
	if err == nil && trainD != all {
		trainD.Skipped = all.Skipped // the file's skipped sentences, reported once
	}
	return trainD, valD, data, err
}

// SplitTagged divides d into a training and a validation part at random:
// round(valFraction * n) sentences go to validation, chosen by a shuffle
// seeded with seed (math/rand/v2 PCG). Both parts keep the sentences in
// their source order. valFraction must be in (0, 1) and leave both parts
// at least one sentence.
func SplitTagged(d *Tagged, valFraction float64, seed uint64) (train, val *Tagged, err error) {
	if !(valFraction > 0 && valFraction < 1) {
		return nil, nil, errors.Errorf("split %s: validation fraction %v, want 0 < f < 1", d.Path, valFraction)
	}
	n := len(d.Sentences)
	nVal := int(math.Round(valFraction * float64(n)))
	if nVal == 0 || nVal == n {
		return nil, nil, errors.Errorf("split %s: %d sentences: a validation fraction of %v leaves a part empty", d.Path, n, valFraction)
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	rand.New(rand.NewPCG(seed, taggedSplitStream)).Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	held := order[:nVal]
	slices.Sort(held)
	train, val = &Tagged{Path: d.Path}, &Tagged{Path: d.Path}
	next := 0
	for i, s := range d.Sentences {
		if next < len(held) && held[next] == i {
			val.Sentences = append(val.Sentences, s)
			next++
		} else {
			train.Sentences = append(train.Sentences, s)
		}
	}
	return train, val, nil
}

// TaggedEncodeOptions say how EncodeTagged maps sentences to ids.
type TaggedEncodeOptions struct {
	// Lowercase lowercases tokens before looking them up.
	Lowercase bool
	// MaxWordChars is the number of characters kept of each token.
	// Default DefaultMaxWordChars.
	MaxWordChars int
	// Lenient skips a sentence with a tag the tag set lacks, listing it in
	// Encoded.Skipped, instead of failing.
	Lenient bool
}

// EncodeTagged maps the sentences of d to word ids (words), tag ids as
// per-token targets (tags) and, when chars is not nil, each token's
// character ids (Encoded.Chars). A tag the set lacks is an error naming
// the sentence's file and line, or with Lenient skips the sentence.
func EncodeTagged(d *Tagged, words *Vocab, tags *TagSet, chars *Vocab, opts TaggedEncodeOptions) (*Encoded, error) {
	if opts.MaxWordChars == 0 {
		opts.MaxWordChars = DefaultMaxWordChars
	}
	enc := &Encoded{Classes: tags.Names()}
	if chars != nil {
		enc.Chars = [][][]int{}
	}
	for i, s := range d.Sentences {
		targets := make([]int, len(s.Tags))
		problem := ""
		for t, tag := range s.Tags {
			id, ok := tags.ID(tag)
			if !ok {
				problem = fmt.Sprintf("token %d %s: tag %s is not one of the training data's %d tags", t+1, excerpt([]byte(s.Tokens[t])), excerpt([]byte(tag)), tags.Len())
				break
			}
			targets[t] = id
		}
		if problem != "" {
			if !opts.Lenient {
				return nil, &RowError{Path: d.Path, Line: s.Line, Problem: problem}
			}
			enc.Skipped = append(enc.Skipped, SkippedRow{Line: s.Line, Reason: problem})
			continue
		}
		enc.IDs = append(enc.IDs, words.Encode(wordForms(s.Tokens, opts.Lowercase)))
		enc.Targets = append(enc.Targets, targets)
		enc.Examples = append(enc.Examples, i)
		if chars != nil {
			enc.Chars = append(enc.Chars, CharIDs(chars, s.Tokens, opts.MaxWordChars))
		}
	}
	if len(enc.IDs) == 0 {
		return nil, errors.Errorf("%s: no sentence to encode (%d skipped)", d.Path, len(enc.Skipped))
	}
	return enc, nil
}

// wordForms returns tokens, lowercased when lower.
func wordForms(tokens []string, lower bool) []string {
	if !lower {
		return tokens
	}
	out := make([]string, len(tokens))
	for i, token := range tokens {
		out[i] = strings.ToLower(token)
	}
	return out
}

// tokenChars returns the first most characters of token as the char
// tokenizer splits it.
func tokenChars(token string, most int) []string {
	chars := chars{}.Tokenize(token)
	return chars[:min(len(chars), most)]
}

// CharIDs returns the character ids of each token under the alphabet
// chars, each token's first maxChars characters: [len(tokens)][<=
// maxChars], at least one each (UnkID for a token of no character).
func CharIDs(chars *Vocab, tokens []string, maxChars int) [][]int {
	out := make([][]int, len(tokens))
	for i, token := range tokens {
		out[i] = chars.Encode(tokenChars(token, maxChars))
		if len(out[i]) == 0 {
			out[i] = []int{UnkID}
		}
	}
	return out
}
