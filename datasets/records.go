package datasets

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/pkg/errors"
)

// record is one row of a delimited file.
type record struct {
	fields []string
	line   int // 1-based line where the row starts
}

// recordSource yields the rows of a delimited file. next returns a *RowError
// for a row that cannot be split into fields (the caller may skip it and go
// on), io.EOF after the last row, and any other error when reading failed.
type recordSource interface {
	next() (record, error)
}

// newRecordSource returns the rows of r, a comma- or tab-separated file named
// path, holding at most limit bytes of any line. Blank lines are not rows.
func newRecordSource(r io.Reader, path string, tabs bool, limit int) recordSource {
	lines := newLineReader(r, limit)
	if tabs {
		return &tsvRecords{path: path, lines: lines, limit: limit}
	}
	in := &cutLinesReader{lines: lines}
	parser := csv.NewReader(in)
	parser.FieldsPerRecord = -1 // field counts are checked by the caller, with better messages
	return &csvRecords{path: path, in: in, parser: parser, limit: limit}
}

// tsvRecords splits lines on tabs. Fields are never quoted: the IANA
// text/tab-separated-values format has no quoting, so a field holds any
// character but tab and line break, quotes included.
type tsvRecords struct {
	path  string
	lines *lineReader
	limit int
}

func (t *tsvRecords) next() (record, error) {
	for {
		line, err := t.lines.next()
		if err != nil {
			if err == io.EOF {
				return record{}, io.EOF
			}
			return record{}, errors.Wrapf(err, "read %s", t.path)
		}
		if line.overlong {
			return record{line: line.number}, &RowError{Path: t.path, Line: line.number, Problem: overlongProblem(line.number, t.limit)}
		}
		text := trimCR(line.text)
		if len(text) == 0 {
			continue
		}
		return record{fields: strings.Split(string(text), "\t"), line: line.number}, nil
	}
}

// csvRecords parses RFC 4180 CSV with encoding/csv, which handles quoted
// fields with commas, doubled quotes and line breaks, and CRLF line ends.
type csvRecords struct {
	path   string
	in     *cutLinesReader
	parser *csv.Reader
	limit  int
	offset int64 // input offset where the next row starts
}

func (c *csvRecords) next() (record, error) {
	fields, err := c.parser.Read()
	if err == io.EOF {
		return record{}, io.EOF
	}
	start, end := c.offset, c.parser.InputOffset()
	c.offset = end
	line := 0
	var parseErr *csv.ParseError
	switch {
	case errors.As(err, &parseErr):
		line = parseErr.StartLine
	case err != nil:
		return record{}, errors.Wrapf(err, "read %s", c.path)
	default:
		line, _ = c.parser.FieldPos(0)
	}
	if cut, ok := c.in.cutBetween(start, end); ok {
		return record{line: line}, &RowError{Path: c.path, Line: line, Problem: overlongProblem(cut, c.limit)}
	}
	if parseErr != nil {
		if end == start {
			return record{}, errors.Wrapf(err, "read %s: parser made no progress", c.path)
		}
		return record{line: line}, &RowError{Path: c.path, Line: line, Problem: csvProblem(parseErr)}
	}
	return record{fields: fields, line: line}, nil
}

// csvProblem describes a CSV syntax error for a RowError.
func csvProblem(e *csv.ParseError) string {
	if e.Line == e.StartLine {
		return fmt.Sprintf("malformed CSV at column %d: %v", e.Column, e.Err)
	}
	return fmt.Sprintf("malformed CSV at line %d, column %d (row spans lines %d-%d): %v",
		e.Line, e.Column, e.StartLine, e.Line, e.Err)
}

func overlongProblem(line, limit int) string {
	return fmt.Sprintf("line %d is longer than %d bytes (MaxLineBytes)", line, limit)
}

// cutLinesReader feeds a CSV parser the lines of a lineReader, overlong ones
// cut to the limit, and remembers where it cut. When the dropped part of a
// line held an odd number of quotes it adds one, so that the parser leaves
// the line in the same quoting state as the full line would have: the rows
// after a cut line still parse, and the row holding it is reported.
type cutLinesReader struct {
	lines   *lineReader
	pending []byte
	buf     []byte
	offset  int64 // bytes handed out so far
	cuts    []lineCut
	err     error
}

// lineCut is a line cut to the limit: its number and the offset of its first
// byte in the parser's input.
type lineCut struct {
	offset int64
	line   int
}

// Read implements io.Reader for the CSV parser.
func (c *cutLinesReader) Read(p []byte) (int, error) {
	for len(c.pending) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		line, err := c.lines.next()
		if err != nil {
			c.err = err
			continue
		}
		c.buf = append(c.buf[:0], line.text...)
		if line.overlong {
			c.cuts = append(c.cuts, lineCut{offset: c.offset, line: line.number})
			if line.droppedQuotes%2 == 1 {
				c.buf = append(c.buf, '"')
			}
		}
		if line.newline {
			c.buf = append(c.buf, '\n')
		}
		c.pending = c.buf
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	c.offset += int64(n)
	return n, nil
}

// cutBetween reports the first cut line starting in the input range
// [start, end), forgetting all cuts before end.
func (c *cutLinesReader) cutBetween(start, end int64) (int, bool) {
	found, line := false, 0
	for len(c.cuts) > 0 && c.cuts[0].offset < end {
		if !found && c.cuts[0].offset >= start {
			found, line = true, c.cuts[0].line
		}
		c.cuts = c.cuts[1:]
	}
	return line, found
}

// peekedSource is a recordSource that can give back one row.
type peekedSource struct {
	recordSource
	held    *record
	heldErr error
}

// unread makes the next call to next return rec and err again.
func (p *peekedSource) unread(rec record, err error) {
	p.held, p.heldErr = &rec, err
}

func (p *peekedSource) next() (record, error) {
	if p.held != nil {
		rec, err := *p.held, p.heldErr
		p.held, p.heldErr = nil, nil
		return rec, err
	}
	return p.recordSource.next()
}
