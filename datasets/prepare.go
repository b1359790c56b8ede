package datasets

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// Rows is a 1-based, inclusive range of a file's examples, such as the
// project's AG News split 1:6000 (training) and 6001:7600 (evaluation).
// The zero value means every example.
type Rows struct{ From, To int }

// ParseRows reads a range written FROM:TO ("1:6000"); "" is every row.
func ParseRows(s string) (Rows, error) {
	if s == "" {
		return Rows{}, nil
	}
	from, to, ok := strings.Cut(s, ":")
	a, errA := strconv.Atoi(from)
	b, errB := strconv.Atoi(to)
	if !ok || errA != nil || errB != nil || a < 1 || b < a {
		return Rows{}, errors.Errorf("datasets: rows %q: want FROM:TO with 1 <= FROM <= TO, e.g. 1:6000", s)
	}
	return Rows{a, b}, nil
}

// String writes the range as ParseRows reads it.
func (r Rows) String() string {
	if r == (Rows{}) {
		return ""
	}
	return fmt.Sprintf("%d:%d", r.From, r.To)
}

// of returns the examples of ds in the range.
func (r Rows) of(ds *Dataset) (*Dataset, error) {
	if r == (Rows{}) {
		return ds, nil
	}
	if r.To > len(ds.Examples) {
		return nil, errors.Errorf("datasets: %s has %d examples, rows %s asked", ds.Path, len(ds.Examples), r)
	}
	return ds.Slice(r.From-1, r.To)
}

// Source says where a training run's data comes from and how it becomes
// token ids. The zero value is the built-in dataset with a 10% validation
// split.
type Source struct {
	// Path is the training data, a file or a folder (see Load); "" means
	// the built-in dataset (Builtin).
	Path string
	// Load says how to read Path and ValPath.
	Load LoadOptions
	// TrainRows selects the training examples of Path. Default: all.
	TrainRows Rows
	// ValPath is a separate validation file or folder. Default "": the
	// validation examples come from ValRows or ValSplit. Its labels are
	// matched to the training classes by name; it may lack some of them.
	// A label training never saw is a *RowError naming the file and line,
	// or, with Load.Lenient, a row left out and listed in its Skipped.
	ValPath string
	// ValRows selects the validation examples of ValPath, or of Path when
	// ValPath is "".
	ValRows Rows
	// ValSplit is the fraction of the training examples held out,
	// stratified, for validation when neither ValPath nor ValRows is set.
	// Default 0.1; negative means no validation.
	ValSplit float64
	// BuiltinSize is the number of built-in examples. Default 4000.
	BuiltinSize int
	// Tokenizer names the tokenizer. Default basic_english.
	Tokenizer string
	// Vocab bounds the vocabulary built from the training examples.
	Vocab VocabOptions
	// Seed seeds the built-in data and the validation split.
	Seed uint64
}

// Prepared is a run's data as token ids, with the vocabulary built from
// its training part.
type Prepared struct {
	Train, Val *Encoded // Val is nil without validation
	Vocab      *Vocab
	Tokenizer  Tokenizer
	Classes    []string
	// TrainSource and ValSource are the datasets before encoding (their
	// Skipped lists the rows a lenient load left out).
	TrainSource, ValSource *Dataset
}

// Prepare loads, splits, tokenizes and encodes the data src describes. The
// training part must be trainable (see Dataset.CheckTrainable).
func Prepare(src Source) (*Prepared, error) {
	if src.Tokenizer == "" {
		src.Tokenizer = BasicEnglishTokenizer
	}
	if src.BuiltinSize == 0 {
		src.BuiltinSize = 4000
	}
	if src.ValSplit == 0 {
		src.ValSplit = 0.1
	}
	tok, err := NewTokenizer(src.Tokenizer)
	if err != nil {
		return nil, err
	}
	trainDS, valDS, err := src.datasets()
	if err != nil {
		return nil, err
	}
	if err := trainDS.CheckTrainable(); err != nil {
		return nil, err
	}
	p := &Prepared{Tokenizer: tok, Classes: trainDS.Classes, TrainSource: trainDS, ValSource: valDS}
	opts := EncodeOptions{Lenient: src.Load.Lenient}
	if p.Train, p.Vocab, err = encodeNewVocab(trainDS, tok, src.Vocab, opts); err != nil {
		return nil, err
	}
	if valDS != nil {
		if p.Val, err = Encode(valDS, tok, p.Vocab, opts); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// datasets loads the training and validation examples.
func (src Source) datasets() (trainDS, valDS *Dataset, err error) {
	var all *Dataset
	if src.Path == "" {
		all = Builtin(src.BuiltinSize, src.Seed)
	} else if all, err = Load(src.Path, src.Load); err != nil {
		return nil, nil, err
	}
	if trainDS, err = src.TrainRows.of(all); err != nil {
		return nil, nil, err
	}
	switch {
	case src.ValPath != "":
		var loaded *Dataset
		if loaded, err = Load(src.ValPath, src.Load); err != nil {
			return nil, nil, err
		}
		if valDS, err = src.ValRows.of(loaded); err != nil {
			return nil, nil, err
		}
		valDS, err = withClasses(valDS, trainDS.Classes, loaded.Skipped, src.Load.Lenient)
	case src.ValRows != (Rows{}):
		valDS, err = src.ValRows.of(all)
	case src.ValSplit > 0:
		trainDS, valDS, err = Split(trainDS, src.ValSplit, src.Seed)
	}
	if err == nil && trainDS != all {
		trainDS.Skipped = all.Skipped // the file's skipped rows, reported once
	}
	return trainDS, valDS, err
}
