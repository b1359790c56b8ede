package datasets

import (
	"bufio"
	"bytes"
	"io"
)

// utf8BOM is the byte order mark some editors put at the start of UTF-8 files.
var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// physicalLine is one line of a file as lineReader returns it.
type physicalLine struct {
	number  int    // 1-based
	text    []byte // the line without its "\n" ("\r" kept), cut to the limit when overlong; valid until the next call
	newline bool   // the line ended with "\n" (false only for a last line without one)
	// overlong reports that the line had more than the limit of bytes, not
	// counting its line break; the excess was dropped.
	overlong bool
	// droppedQuotes counts the '"' bytes among the dropped excess.
	droppedQuotes int
}

// lineReader splits a stream into physical lines without ever holding more
// than limit bytes of one line, and drops a leading UTF-8 byte order mark.
type lineReader struct {
	in     *bufio.Reader
	limit  int
	number int
	text   []byte
}

func newLineReader(r io.Reader, limit int) *lineReader {
	in := bufio.NewReader(r)
	if head, err := in.Peek(len(utf8BOM)); err == nil && bytes.Equal(head, utf8BOM) {
		_, _ = in.Discard(len(utf8BOM)) // cannot fail: the bytes are buffered
	}
	return &lineReader{in: in, limit: limit}
}

// next returns the next line, or io.EOF after the last one.
func (r *lineReader) next() (physicalLine, error) {
	r.text = r.text[:0]
	var (
		dropped, droppedQuotes int
		lastDropped            byte
		newline                bool
	)
	for {
		chunk, err := r.in.ReadSlice('\n')
		if n := len(chunk); n > 0 && chunk[n-1] == '\n' {
			chunk, newline = chunk[:n-1], true
		}
		if room := r.limit - len(r.text); room >= len(chunk) {
			r.text = append(r.text, chunk...)
		} else {
			r.text = append(r.text, chunk[:max(room, 0)]...)
			excess := chunk[max(room, 0):]
			dropped += len(excess)
			droppedQuotes += bytes.Count(excess, []byte{'"'})
			lastDropped = excess[len(excess)-1]
		}
		if newline || err == io.EOF {
			break
		}
		if err != bufio.ErrBufferFull {
			return physicalLine{}, err
		}
	}
	if !newline && len(r.text) == 0 && dropped == 0 {
		return physicalLine{}, io.EOF
	}
	if dropped == 1 && lastDropped == '\r' {
		// Only the "\r" of a "\r\n" break was over: the line fits.
		r.text = append(r.text, '\r')
		dropped = 0
	}
	r.number++
	return physicalLine{
		number:        r.number,
		text:          r.text,
		newline:       newline,
		overlong:      dropped > 0,
		droppedQuotes: droppedQuotes,
	}, nil
}

// trimCR returns line without a trailing "\r".
func trimCR(line []byte) []byte {
	return bytes.TrimSuffix(line, []byte{'\r'})
}

// isBlank reports whether b holds nothing but Unicode white space.
func isBlank(b []byte) bool {
	return len(bytes.TrimSpace(b)) == 0
}
