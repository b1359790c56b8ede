package datasets

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pkg/errors"
)

// rawRow is a row whose label has not been mapped to a class yet.
type rawRow struct {
	line  int
	label string // trimmed, not empty
	text  string // not blank
}

// columnLayout says which fields of a delimited row hold the label and the
// text, and how to clean the text fields.
type columnLayout struct {
	path     string
	names    []string // field names for messages; len(names) is the field count every row must have
	labelCol int
	textCols []int
	clean    func(string) string // applied to each text field; nil keeps it as is
}

// row checks rec against the layout and returns its label and text, the text
// fields joined by single spaces.
func (l *columnLayout) row(rec record) (rawRow, *RowError) {
	bad := func(field, format string, args ...any) (rawRow, *RowError) {
		return rawRow{}, &RowError{Path: l.path, Line: rec.line, Field: field, Problem: fmt.Sprintf(format, args...)}
	}
	if len(rec.fields) != len(l.names) {
		return bad("", "got %d fields, want %d (%s)", len(rec.fields), len(l.names), strings.Join(l.names, ","))
	}
	label := rec.fields[l.labelCol]
	if !utf8.ValidString(label) {
		return bad(l.names[l.labelCol], "invalid UTF-8")
	}
	label = strings.TrimSpace(label)
	if label == "" {
		return bad(l.names[l.labelCol], "empty label")
	}
	parts := make([]string, len(l.textCols))
	for i, col := range l.textCols {
		parts[i] = rec.fields[col]
		if !utf8.ValidString(parts[i]) {
			return bad(l.names[col], "invalid UTF-8")
		}
		if l.clean != nil {
			parts[i] = l.clean(parts[i])
		}
	}
	text := strings.Join(parts, " ")
	if strings.TrimSpace(text) == "" {
		return bad(l.textFieldName(), "empty text")
	}
	return rawRow{line: rec.line, label: label, text: text}, nil
}

// textFieldName names the text fields together, e.g. "title+description".
func (l *columnLayout) textFieldName() string {
	names := make([]string, len(l.textCols))
	for i, col := range l.textCols {
		names[i] = l.names[col]
	}
	return strings.Join(names, "+")
}

// readRows reads every remaining row of src through layout, passing bad
// rows to sink.
func readRows(src recordSource, layout *columnLayout, sink *rowSink) ([]rawRow, error) {
	var rows []rawRow
	for {
		rec, err := src.next()
		if err == io.EOF {
			return rows, nil
		}
		var rowErr *RowError
		if errors.As(err, &rowErr) {
			if err := sink.reject(rowErr); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		row, rowErr := layout.row(rec)
		if rowErr != nil {
			if err := sink.reject(rowErr); err != nil {
				return nil, err
			}
			continue
		}
		rows = append(rows, row)
	}
}

// findColumns resolves the label and text columns of a header. A column is
// named by its header text or, failing that, by its 0-based index; without
// a header (header == nil, fields columns) only indices work.
func findColumns(path string, header []string, fields int, labelCol string, textCols []string) (label int, text []int, err error) {
	find := func(col string) (int, error) {
		for i, name := range header {
			if strings.TrimSpace(name) == col {
				return i, nil
			}
		}
		if i, err := strconv.Atoi(col); err == nil && i >= 0 && i < fields {
			return i, nil
		}
		if header == nil {
			return 0, errors.Errorf("%s: column %q: want a 0-based index below %d (the file has no header)", path, col, fields)
		}
		return 0, errors.Errorf("%s: column %q is not in the header (%s) and is not an index below %d",
			path, col, strings.Join(header, ","), fields)
	}
	if label, err = find(labelCol); err != nil {
		return 0, nil, err
	}
	text = make([]int, len(textCols))
	for i, col := range textCols {
		if text[i], err = find(col); err != nil {
			return 0, nil, err
		}
		if text[i] == label {
			return 0, nil, errors.Errorf("%s: column %q is both the label and a text column", path, col)
		}
	}
	return label, text, nil
}

// indexNames returns "column 0", "column 1", ... for files without a header.
func indexNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = "column " + strconv.Itoa(i)
	}
	return names
}
