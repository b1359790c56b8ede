package datasets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pkg/errors"
)

// loadJSONL reads one JSON object a line, e.g. {"text": "...", "label": 2}.
// The label is a string or an integer; the text fields must be strings.
// Blank lines are not rows; other keys are ignored.
func loadJSONL(path string, opts LoadOptions, sink *rowSink) (*Dataset, error) {
	f, err := openData(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	lines := newLineReader(f, opts.MaxLineBytes)
	var rows []rawRow
	for {
		line, err := lines.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errors.Wrapf(err, "read %s", path)
		}
		var row rawRow
		var rowErr *RowError
		switch text := trimCR(line.text); {
		case line.overlong:
			rowErr = &RowError{Path: path, Line: line.number, Problem: overlongProblem(line.number, opts.MaxLineBytes)}
		case isBlank(text):
			continue
		default:
			row, rowErr = jsonRow(text, opts.LabelCol, opts.TextCols)
		}
		if rowErr != nil {
			rowErr.Path, rowErr.Line = path, line.number
			if err := sink.reject(rowErr); err != nil {
				return nil, err
			}
			continue
		}
		row.line = line.number
		rows = append(rows, row)
	}
	examples, classes, err := labelRows(rows, opts.Classes, path, opts.LabelCol, sink)
	if err != nil {
		return nil, err
	}
	return &Dataset{Examples: examples, Classes: classes, Path: path}, nil
}

// jsonRow decodes one JSONL line; the RowError it returns has no location.
func jsonRow(line []byte, labelKey string, textKeys []string) (rawRow, *RowError) {
	bad := func(field, format string, args ...any) (rawRow, *RowError) {
		return rawRow{}, &RowError{Field: field, Problem: fmt.Sprintf(format, args...)}
	}
	object, rowErr := jsonObject(line)
	if rowErr != nil {
		return rawRow{}, rowErr
	}
	rawLabel, ok := object[labelKey]
	if !ok {
		return bad(labelKey, "missing")
	}
	label, problem := jsonLabel(rawLabel)
	if problem != "" {
		return bad(labelKey, "%s", problem)
	}
	if label == "" {
		return bad(labelKey, "empty label")
	}
	text, rowErr := jsonText(object, textKeys)
	if rowErr != nil {
		return rawRow{}, rowErr
	}
	return rawRow{label: label, text: text}, nil
}

// jsonObject decodes one JSONL line, an object; the RowError it returns
// has no location.
func jsonObject(line []byte) (map[string]json.RawMessage, *RowError) {
	if !utf8.Valid(line) {
		return nil, &RowError{Problem: "invalid UTF-8"}
	}
	if trimmed := bytes.TrimSpace(line); trimmed[0] != '{' {
		return nil, &RowError{Problem: "want a JSON object, got " + excerpt(trimmed)}
	}
	var object map[string]json.RawMessage
	if err := json.Unmarshal(line, &object); err != nil {
		return nil, &RowError{Problem: fmt.Sprintf("invalid JSON: %v", err)}
	}
	return object, nil
}

// jsonText returns the string fields keys of a JSONL object joined by
// single spaces; the RowError it returns has no location.
func jsonText(object map[string]json.RawMessage, keys []string) (string, *RowError) {
	parts := make([]string, len(keys))
	for i, key := range keys {
		raw, ok := object[key]
		if !ok {
			return "", &RowError{Field: key, Problem: "missing"}
		}
		if err := json.Unmarshal(raw, &parts[i]); err != nil || raw[0] != '"' {
			return "", &RowError{Field: key, Problem: "want a string, got " + excerpt(raw)}
		}
	}
	text := strings.Join(parts, " ")
	if strings.TrimSpace(text) == "" {
		return "", &RowError{Field: strings.Join(keys, "+"), Problem: "empty text"}
	}
	return text, nil
}

// jsonLabel returns a JSON label, a string or an integer, as trimmed text.
func jsonLabel(raw json.RawMessage) (label, problem string) {
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Sprintf("bad string: %v", err)
		}
		return strings.TrimSpace(s), ""
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return "", fmt.Sprintf("want a string or an integer, got %s", excerpt(raw))
	}
	return strconv.FormatInt(n, 10), ""
}

// excerpt quotes the start of b for messages.
func excerpt(b []byte) string {
	const most = 40
	if len(b) > most {
		return strconv.Quote(string(b[:most])) + "..."
	}
	return strconv.Quote(string(b))
}
