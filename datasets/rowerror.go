package datasets

import (
	"cmp"
	"fmt"
	"slices"
)

// RowError reports one malformed row of a data file: where it is and what is
// wrong with it. Loaders return it (possibly wrapped) in strict mode and turn
// it into a SkippedRow in lenient mode. Its message reads
//
//	data/train.csv:17: field "label": "7" is not a class (want 1..4)
type RowError struct {
	Path    string // the file holding the row
	Line    int    // 1-based line where the row starts; 0 when the row is the whole file (dir format)
	Field   string // the offending field, "" when the row as a whole is wrong
	Problem string // what is wrong
}

// Error returns "path:line: field "name": problem".
func (e *RowError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.reason())
	}
	return fmt.Sprintf("%s: %s", e.Path, e.reason())
}

// reason is the message without the location.
func (e *RowError) reason() string {
	if e.Field == "" {
		return e.Problem
	}
	return fmt.Sprintf("field %q: %s", e.Field, e.Problem)
}

// SkippedRow is a row that lenient loading left out, and why.
// Dataset.Describe locates it for a report.
type SkippedRow struct {
	Line   int    // as Example.Line: for the dir format, the file's index in Dataset.Files
	Reason string // the RowError message without the file name and line
}

// rowSink receives the malformed rows of one load: it fails on the first in
// strict mode and keeps count of them in lenient mode.
type rowSink struct {
	lenient bool
	skipped []SkippedRow
}

// reject records a malformed row; it returns the row error in strict mode and
// nil in lenient mode.
func (s *rowSink) reject(e *RowError) error {
	return s.rejectAs(e, SkippedRow{Line: e.Line, Reason: e.reason()})
}

// rejectAs is reject with the entry of the skipped-rows report given.
func (s *rowSink) rejectAs(e *RowError, row SkippedRow) error {
	if !s.lenient {
		return e
	}
	s.skipped = append(s.skipped, row)
	return nil
}

// report returns the skipped rows sorted by line.
func (s *rowSink) report() []SkippedRow {
	slices.SortStableFunc(s.skipped, func(a, b SkippedRow) int { return cmp.Compare(a.Line, b.Line) })
	return s.skipped
}
