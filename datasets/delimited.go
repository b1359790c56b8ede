package datasets

import (
	"io"

	"github.com/pkg/errors"
)

// loadDelimited reads a generic CSV (tabs false) or TSV (tabs true) file.
// The first row is the header unless opts.NoHeader; without a header the
// first well-formed row sets the field count.
func loadDelimited(path string, opts LoadOptions, tabs bool, sink *rowSink) (*Dataset, error) {
	f, err := openData(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src := &peekedSource{recordSource: newRecordSource(f, path, tabs, opts.MaxLineBytes)}
	first, err := firstRecord(src, path, opts.NoHeader, sink)
	if err != nil {
		return nil, err
	}
	var header []string
	if opts.NoHeader {
		src.unread(first, nil)
	} else {
		header = first.fields
	}
	labelCol, textCols, err := findColumns(path, header, len(first.fields), opts.LabelCol, opts.TextCols)
	if err != nil {
		return nil, err
	}
	names := header
	if names == nil {
		names = indexNames(len(first.fields))
	}
	layout := &columnLayout{path: path, names: names, labelCol: labelCol, textCols: textCols}
	rows, err := readRows(src, layout, sink)
	if err != nil {
		return nil, err
	}
	examples, classes, err := labelRows(rows, opts.Classes, path, names[labelCol], sink)
	if err != nil {
		return nil, err
	}
	return &Dataset{Examples: examples, Classes: classes, Path: path}, nil
}

// firstRecord returns the header row, or with noHeader the first well-formed
// row, whose malformed predecessors go to sink.
func firstRecord(src recordSource, path string, noHeader bool, sink *rowSink) (record, error) {
	for {
		rec, err := src.next()
		if err == io.EOF {
			return record{}, errors.Errorf("%s: empty file", path)
		}
		var rowErr *RowError
		if errors.As(err, &rowErr) {
			if !noHeader {
				return record{}, errors.Wrap(err, "read header")
			}
			if err := sink.reject(rowErr); err != nil {
				return record{}, err
			}
			continue
		}
		return rec, err
	}
}
