package datasets

import (
	"fmt"
	"path/filepath"

	"github.com/pkg/errors"
)

// Example is one labelled text.
type Example struct {
	Text  string // the text, as the loader cleaned it
	Label int    // 0-based index into Dataset.Classes
	Line  int    // 1-based line where the example's record starts; for the dir format, the 1-based index into Dataset.Files
}

// Dataset is a list of labelled texts and where they came from.
type Dataset struct {
	Examples []Example
	Classes  []string     // class names; Example.Label indexes this
	Path     string       // the file or folder loaded, or a name such as "builtin"
	Files    []string     // dir format only: Files[Line-1] is an example's file, relative to Path
	Skipped  []SkippedRow // rows that lenient loading left out, by line; empty for derived datasets
}

// derive returns a dataset with ds's classes and source and the given
// examples; the skipped-rows report stays with the dataset that was loaded.
func (ds *Dataset) derive(examples []Example) *Dataset {
	return &Dataset{Examples: examples, Classes: ds.Classes, Path: ds.Path, Files: ds.Files}
}

// Slice returns the examples with indices from <= i < to, sharing their
// storage with ds. The project's fixed AG News split is ds.Slice(0, 6000) for
// training (rows 1..6000) and ds.Slice(6000, 7600) for evaluation.
func (ds *Dataset) Slice(from, to int) (*Dataset, error) {
	if from < 0 || to < from || to > len(ds.Examples) {
		return nil, errors.Errorf("%s: slice [%d:%d] out of range for %d examples", ds.Path, from, to, len(ds.Examples))
	}
	return ds.derive(ds.Examples[from:to:to]), nil
}

// ClassCounts returns the number of examples of each class, [len(Classes)].
func (ds *Dataset) ClassCounts() []int {
	counts := make([]int, len(ds.Classes))
	for _, ex := range ds.Examples {
		if ex.Label >= 0 && ex.Label < len(counts) {
			counts[ex.Label]++
		}
	}
	return counts
}

// CheckTrainable returns an error unless a classifier can be trained on ds:
// every label must index Classes and at least two classes must have
// examples. Loading does not call it, since a file of one class is fine for
// evaluation; training code should.
func (ds *Dataset) CheckTrainable() error {
	if len(ds.Examples) == 0 {
		return errors.Errorf("%s: no examples to train on", ds.Path)
	}
	for i := range ds.Examples {
		if err := ds.checkLabel(i); err != nil {
			return err
		}
	}
	var present []string
	for class, n := range ds.ClassCounts() {
		if n > 0 {
			present = append(present, ds.Classes[class])
		}
	}
	if len(present) < 2 {
		return errors.Errorf("%s: all %d examples are of class %q; training needs at least two classes",
			ds.Path, len(ds.Examples), present[0])
	}
	return nil
}

// checkLabel returns an error naming example i unless its label indexes
// Classes.
func (ds *Dataset) checkLabel(i int) error {
	if label := ds.Examples[i].Label; label < 0 || label >= len(ds.Classes) {
		return errors.Errorf("%s: label %d is not a class index (have %d classes)", ds.where(i), label, len(ds.Classes))
	}
	return nil
}

// where names the source of example i for messages: "path:line", or the
// example's own file for the dir format.
func (ds *Dataset) where(i int) string {
	return ds.location(ds.Examples[i].Line)
}

// location names the row or file at line (as Example.Line).
func (ds *Dataset) location(line int) string {
	if line >= 1 && line <= len(ds.Files) {
		return filepath.Join(ds.Path, ds.Files[line-1])
	}
	return fmt.Sprintf("%s:%d", ds.Path, line)
}

// rowError returns the *RowError of example i with problem, located as
// where locates it.
func (ds *Dataset) rowError(i int, problem string) *RowError {
	line := ds.Examples[i].Line
	if line >= 1 && line <= len(ds.Files) {
		return &RowError{Path: filepath.Join(ds.Path, ds.Files[line-1]), Problem: problem}
	}
	return &RowError{Path: ds.Path, Line: line, Problem: problem}
}

// Describe returns a report line for a row skipped from ds (from Skipped,
// or from the Skipped of its Encoded): "path:line: reason", or for the dir
// format "path/class/file.txt: reason".
func (ds *Dataset) Describe(row SkippedRow) string {
	return ds.location(row.Line) + ": " + row.Reason
}
