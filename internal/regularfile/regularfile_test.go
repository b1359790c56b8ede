//go:build unix

package regularfile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pkg/errors"
)

// TestReadFile reads a regular file and refuses everything else: a file over
// the limit, a directory, a symbolic link to /dev/zero (which would read
// forever) and a named pipe (which would block the open forever).
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.txt")
	if err := os.WriteFile(small, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	linked := filepath.Join(dir, "linked.txt")
	if err := os.Symlink(small, linked); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		path    string
		limit   int64
		want    string
		wantErr error
		message string
	}{
		{"regular", small, 5, "hello", nil, ""},
		{"symlink to a regular file", linked, 100, "hello", nil, ""},
		{"over the limit", small, 4, "", ErrTooLarge, "small.txt is 5 bytes, over the limit of 4"},
		{"directory", dir, 100, "", ErrNotRegular, "is a directory"},
		{"symlink to /dev/zero", zero, 100, "", ErrNotRegular, "zero is a device"},
		{"named pipe", fifo, 100, "", ErrNotRegular, "fifo is a named pipe"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ReadFile(c.path, c.limit)
			if c.wantErr == nil {
				if err != nil || string(got) != c.want {
					t.Fatalf("ReadFile = %q, %v; want %q", got, err, c.want)
				}
				return
			}
			if !errors.Is(err, c.wantErr) || !strings.Contains(err.Error(), c.message) {
				t.Fatalf("ReadFile error %v, want %v mentioning %q", err, c.wantErr, c.message)
			}
		})
	}
}
