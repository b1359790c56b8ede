package datasets

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// AGNewsClasses returns the AG News class names in label order: label 1 is
// World (index 0), 2 Sports, 3 Business, 4 Sci/Tech.
func AGNewsClasses() []string {
	return []string{"World", "Sports", "Business", "Sci/Tech"}
}

// agNewsFields are the AG News columns, as the header form names them.
var agNewsFields = []string{"label", "title", "description"}

// isAGNewsHeader reports whether fields is the header row of the header form.
func isAGNewsHeader(fields []string) bool {
	if len(fields) != len(agNewsFields) {
		return false
	}
	for i, name := range agNewsFields {
		if !strings.EqualFold(strings.TrimSpace(fields[i]), name) {
			return false
		}
	}
	return true
}

// agNewsClass maps an AG News label "1".."4" to a class index.
func agNewsClass(label string) (int, string) {
	n, err := strconv.Atoi(label)
	switch {
	case err != nil:
		return 0, fmt.Sprintf("%q is not an integer (want 1..4)", label)
	case n < 1 || n > 4:
		return 0, fmt.Sprintf("%q is not a class (want 1..4)", label)
	}
	return n - 1, ""
}

// looksLikeAGNews reports whether the first row of the CSV file at path is
// the AG News header or an AG News row (three fields, the first 1..4).
func looksLikeAGNews(path string, limit int) (bool, error) {
	f, err := openData(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	first, err := newRecordSource(f, path, false, limit).next()
	var rowErr *RowError
	switch {
	case err == io.EOF || errors.As(err, &rowErr):
		return false, nil
	case err != nil:
		return false, err
	}
	if isAGNewsHeader(first.fields) {
		return true, nil
	}
	_, problem := agNewsClass(strings.TrimSpace(first.fields[0]))
	return len(first.fields) == len(agNewsFields) && problem == "", nil
}

// cleanAGNewsText undoes the AG News encoding of a title or description:
// each backslash, which stands for a line break of the original article,
// becomes a space, and HTML character references are decoded (see
// decodeEntities). Nothing else changes; runs of spaces stay.
//
// torchtext's AG_NEWS, which the PyTorch lesson uses, yields the raw text
// with its backslashes and "#39;" references; decoding them gives
// basic_english real words and punctuation ("it's" rather than "it#39;s")
// and is what a reader of the articles would see.
func cleanAGNewsText(s string) string {
	return decodeEntities(strings.ReplaceAll(s, `\`, " "))
}

// loadAGNews reads AG News in its original form (no header, every field
// quoted) or its header form (label,title,description).
func loadAGNews(path string, opts LoadOptions, sink *rowSink) (*Dataset, error) {
	f, err := openData(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src := &peekedSource{recordSource: newRecordSource(f, path, false, opts.MaxLineBytes)}
	if first, err := src.next(); err != nil || !isAGNewsHeader(first.fields) {
		src.unread(first, err)
	}
	layout := &columnLayout{path: path, names: agNewsFields, labelCol: 0, textCols: []int{1, 2}, clean: cleanAGNewsText}
	switch {
	case opts.TitlesOnly:
		layout.textCols = []int{1}
	case opts.DescriptionsOnly:
		layout.textCols = []int{2}
	}
	rows, err := readRows(src, layout, sink)
	if err != nil {
		return nil, err
	}
	examples := make([]Example, 0, len(rows))
	for _, row := range rows {
		class, problem := agNewsClass(row.label)
		if problem != "" {
			if err := sink.reject(&RowError{Path: path, Line: row.line, Field: "label", Problem: problem}); err != nil {
				return nil, err
			}
			continue
		}
		examples = append(examples, Example{Text: row.text, Label: class, Line: row.line})
	}
	return &Dataset{Examples: examples, Classes: AGNewsClasses(), Path: path}, nil
}
