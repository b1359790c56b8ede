package safetensors

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReadHeader(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	tensors, meta := goFixture()
	if err := WriteFile(path, tensors, meta); err != nil {
		t.Fatal(err)
	}
	h, err := ReadHeader(path, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	full, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Tensors) != len(full.Tensors()) || h.Metadata["format"] != full.Metadata["format"] {
		t.Fatalf("header has %d tensors and metadata %v, the file %d and %v", len(h.Tensors), h.Metadata, len(full.Tensors()), full.Metadata)
	}
	for i, got := range h.Tensors {
		want := full.Tensors()[i]
		if got.Name != want.Name || got.Dtype != want.Dtype || !slices.Equal(got.Shape, want.Shape) || got.Data != nil {
			t.Errorf("tensor %d: header says %s %s %v (%d data bytes), file %s %s %v", i, got.Name, got.Dtype, got.Shape, len(got.Data), want.Name, want.Dtype, want.Shape)
		}
	}
}

func TestReadHeaderInvalid(t *testing.T) {
	header := `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	tests := []struct {
		name      string
		content   []byte
		maxHeader int64
		want      string
	}{
		{"empty", nil, 1 << 20, "file too short"},
		{"header over the caller's limit", file(header, make([]byte, 8)), 16, "header length 54 exceeds the limit of 16 bytes"},
		{"header past the end", file(header, nil)[:30], 1 << 20, "beyond the end of the file"},
		{"data truncated", file(header, make([]byte, 4)), 1 << 20, "file truncated: header describes 8 data bytes, the file has 4"},
		{"trailing bytes", file(header, make([]byte, 12)), 1 << 20, "not covered by any tensor"},
		{"invalid JSON", file(`{"a":`, nil), 1 << 20, "invalid header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.safetensors")
			if err := os.WriteFile(path, tt.content, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadHeader(path, tt.maxHeader)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("ReadHeader error %v, want one naming the file and containing %q", err, tt.want)
			}
		})
	}
}

// TestReadFileNotRegular refuses a link to /dev/zero, whose size reads 0
// but which never ends.
func TestReadFileNotRegular(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero here")
	}
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := os.Symlink("/dev/zero", path); err != nil {
		t.Fatal(err)
	}
	for name, read := range map[string]func() error{
		"ReadFile":   func() error { _, err := ReadFile(path); return err },
		"ReadHeader": func() error { _, err := ReadHeader(path, 1<<20); return err },
	} {
		if err := read(); err == nil || !strings.Contains(err.Error(), "is a device") {
			t.Errorf("%s of a link to /dev/zero: error %v", name, err)
		}
	}
}
