package atomicfile

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/pkg/errors"
)

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.bin")
	write := func(text string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, text); return err }
	}
	cases := []struct {
		name    string
		write   func(io.Writer) error
		want    string
		wantErr bool
	}{
		{"creates", write("first"), "first", false},
		{"replaces", write("second"), "second", false},
		{"failing writer leaves the old file", func(w io.Writer) error {
			io.WriteString(w, "partial")
			return errors.New("disk on fire")
		}, "second", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := WriteFile(path, c.write)
			if (err != nil) != c.wantErr {
				t.Fatalf("error %v, want error: %v", err, c.wantErr)
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != c.want {
				t.Fatalf("file holds %q (%v), want %q", got, err, c.want)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("folder holds %d entries, want only the file (no temporary left)", len(entries))
			}
		})
	}
	if err := WriteFile(filepath.Join(dir, "missing", "x"), write("x")); err == nil {
		t.Error("writing into a missing folder succeeded")
	}
}
