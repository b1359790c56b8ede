package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"path"
	"strings"

	"github.com/pkg/errors"
)

// The input formats.
const (
	formatLines = "lines" // one text a line
	formatJSONL = "jsonl" // one JSON object a line, the text under a key
)

// maxLine is the longest input line scored (bytes); a longer one is a
// failure.
const maxLine = 1 << 20

// formatOf returns the format of the file at name: format itself, or for
// "auto" jsonl when the name ends in .jsonl or .json, lines otherwise.
func formatOf(format, name string) string {
	if format != "auto" {
		return format
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".jsonl", ".json":
		return formatJSONL
	}
	return formatLines
}

// textOf returns the parser of a line of format: its text, or why it has
// none to score.
func textOf(format, field string) func(line []byte) (string, error) {
	nonEmpty := func(text string) (string, error) {
		if strings.TrimSpace(text) == "" {
			return "", errors.New("empty text")
		}
		return text, nil
	}
	if format == formatLines {
		return func(line []byte) (string, error) { return nonEmpty(string(line)) }
	}
	return func(line []byte) (string, error) {
		var object map[string]json.RawMessage
		if err := json.Unmarshal(line, &object); err != nil {
			return "", errors.Wrap(err, "not a JSON object")
		}
		raw, ok := object[field]
		if !ok {
			return "", errors.Errorf("no %q key", field)
		}
		var text string
		if err := json.Unmarshal(raw, &text); err != nil {
			return "", errors.Errorf("%q is not a string", field)
		}
		return nonEmpty(text)
	}
}

// readLines calls line for each line of r (numbered from 1, without its
// end of line): tooLong says the line was longer than maxLine, and data
// then holds its start.
func readLines(r io.Reader, line func(number int, data []byte, tooLong bool)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var long []byte
	for number := 1; ; number++ {
		data, err := br.ReadSlice('\n')
		tooLong := false
		for err == bufio.ErrBufferFull { // a line longer than the buffer
			if len(long) <= maxLine {
				long = append(long, data...)
			}
			data, err = br.ReadSlice('\n')
		}
		if long != nil {
			data = append(long, data...)
			long = nil
			tooLong = len(bytes.TrimRight(data, "\r\n")) > maxLine
		}
		if err != nil && err != io.EOF {
			return errors.Wrapf(err, "line %d", number)
		}
		if len(data) == 0 && err == io.EOF {
			return nil
		}
		data = bytes.TrimSuffix(bytes.TrimSuffix(data, []byte("\n")), []byte("\r"))
		if tooLong {
			data = data[:maxExcerpt]
		}
		line(number, data, tooLong)
		if err == io.EOF {
			return nil
		}
	}
}

// lineWriter writes lines, each followed by a newline, through a buffer,
// keeping the first error.
type lineWriter struct {
	w   io.WriteCloser
	buf *bufio.Writer
	err error
}

func newLineWriter(w io.WriteCloser) *lineWriter {
	return &lineWriter{w: w, buf: bufio.NewWriterSize(w, 1<<20)}
}

func (lw *lineWriter) add(line string) {
	if lw.err == nil {
		_, lw.err = lw.buf.WriteString(line)
	}
	if lw.err == nil {
		lw.err = lw.buf.WriteByte('\n')
	}
}

// close flushes and closes, returning the first error.
func (lw *lineWriter) close() error {
	if lw.err == nil {
		lw.err = lw.buf.Flush()
	}
	if err := lw.w.Close(); lw.err == nil {
		lw.err = err
	}
	return lw.err
}
