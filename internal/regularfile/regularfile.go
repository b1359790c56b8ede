// Package regularfile reads files that a program is handed rather than
// writes itself, such as the config.json, vocab.txt and model.safetensors of
// a model directory: it opens only regular files (symbolic links followed),
// never blocks on a named pipe, and refuses a file larger than the limit the
// caller gives before reading any of it. Excerpt quotes a short, escaped
// piece of such a file for an error message. It is the reading counterpart
// of atomicfile.
package regularfile

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"unicode/utf8"

	"github.com/pkg/errors"
)

// ErrNotRegular is wrapped by the error for a path that is not a regular
// file: a directory, a device such as /dev/zero, a named pipe, a socket.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is wrapped by the error for a file over the caller's limit.
var ErrTooLarge = errors.New("file too large")

// Open opens path for reading if it is a regular file of at most limit
// bytes, and returns it with its size. A named pipe is opened without
// blocking and then refused, so Open never waits for a writer. Errors name
// the path.
func Open(path string, limit int64) (*os.File, int64, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, 0, err // an *fs.PathError, which names the path
	}
	info, err := f.Stat()
	if err == nil {
		err = check(path, info, limit)
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, info.Size(), nil
}

// check reports whether info describes a regular file of at most limit
// bytes.
func check(path string, info fs.FileInfo, limit int64) error {
	if !info.Mode().IsRegular() {
		return errors.Wrapf(ErrNotRegular, "%s is %s", path, kind(info.Mode()))
	}
	if info.Size() > limit {
		return errors.Wrapf(ErrTooLarge, "%s is %d bytes, over the limit of %d", path, info.Size(), limit)
	}
	return nil
}

// kind names the type of a file that is not regular.
func kind(mode fs.FileMode) string {
	switch {
	case mode.IsDir():
		return "a directory"
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeDevice != 0:
		return "a device"
	}
	return fmt.Sprintf("of type %v", mode.Type())
}

// ReadFile returns the contents of path, a regular file of at most limit
// bytes (see Open). It never reads more than limit+1 bytes, even from a
// file that grows while it is read.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, size, err := Open(path, limit)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data := make([]byte, 0, size+1) // one byte over, to see the end without growing
	for {
		n, err := f.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		switch {
		case int64(len(data)) > limit:
			return nil, errors.Wrapf(ErrTooLarge, "%s grew past the limit of %d bytes while read", path, limit)
		case err == io.EOF:
			return data, nil
		case err != nil:
			return nil, errors.Wrapf(err, "read %s", path)
		case len(data) == cap(data):
			data = append(data, 0)[:len(data)]
		}
	}
}

// ExcerptBytes is the most bytes of content Excerpt quotes.
const ExcerptBytes = 24

// Excerpt quotes s for an error message as a Go string literal, escaping
// control characters and invalid UTF-8. Past ExcerptBytes bytes it quotes
// only the first ones (whole runes) and adds "..." and the length, so a
// hostile or private file cannot fill a message or a log.
func Excerpt(s string) string {
	if len(s) <= ExcerptBytes {
		return strconv.Quote(s)
	}
	cut := ExcerptBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s... (%d bytes)", strconv.Quote(s[:cut]), len(s))
}
