package atomicfile

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pkg/errors"
)

// writeTree writes files (name -> content) into dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readTree returns the files of dir (name -> content); nil if dir is missing.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(data)
	}
	return files
}

// names returns the entries of dir, sorted.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestWriteDir(t *testing.T) {
	root := t.TempDir()
	path := filepath.Join(root, "last")
	fill := func(files map[string]string) func(string) error {
		return func(dir string) error { writeTree(t, dir, files); return nil }
	}
	cases := []struct {
		name    string
		write   func(string) error
		want    map[string]string
		wantErr bool
	}{
		{"creates", fill(map[string]string{"a": "1", "b": "2"}), map[string]string{"a": "1", "b": "2"}, false},
		{"replaces the whole folder", fill(map[string]string{"a": "3"}), map[string]string{"a": "3"}, false},
		{"failing writer leaves the old folder", func(dir string) error {
			writeTree(t, dir, map[string]string{"a": "partial"})
			return errors.New("disk on fire")
		}, map[string]string{"a": "3"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := WriteDir(path, c.write)
			if (err != nil) != c.wantErr {
				t.Fatalf("error %v, want error: %v", err, c.wantErr)
			}
			if got := readTree(t, path); !equalTrees(got, c.want) {
				t.Errorf("folder holds %v, want %v", got, c.want)
			}
			if got := names(t, root); !slices.Equal(got, []string{"last"}) {
				t.Errorf("parent holds %v, want only last (no temporary or old folder)", got)
			}
		})
	}
}

func equalTrees(a, b map[string]string) bool {
	if len(a) != len(b) || (a == nil) != (b == nil) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestRecoverDir sets up the states a crash inside WriteDir can leave and
// checks that RecoverDir and RemoveTemps leave one whole folder.
func TestRecoverDir(t *testing.T) {
	oldFiles := map[string]string{"a": "old"}
	newFiles := map[string]string{"a": "new"}
	cases := []struct {
		name  string
		setup map[string]map[string]string // folder -> files
		want  map[string]string
	}{
		{"crash while writing the temporary folder",
			map[string]map[string]string{"last": oldFiles, ".last.tmp-123": {"a": "ne"}}, oldFiles},
		{"crash after moving the old folder aside",
			map[string]map[string]string{".last.old": oldFiles, ".last.tmp-123": newFiles}, oldFiles},
		{"crash before removing the old folder",
			map[string]map[string]string{"last": newFiles, ".last.old": oldFiles}, newFiles},
		{"no crash", map[string]map[string]string{"last": newFiles}, newFiles},
		{"crash before the first write", map[string]map[string]string{".last.tmp-9": newFiles}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			for dir, files := range c.setup {
				writeTree(t, filepath.Join(root, dir), files)
			}
			writeTree(t, root, map[string]string{"keep.txt": "x"})
			if err := RecoverDir(filepath.Join(root, "last")); err != nil {
				t.Fatal(err)
			}
			if _, err := RemoveTemps(root); err != nil {
				t.Fatal(err)
			}
			if got := readTree(t, filepath.Join(root, "last")); !equalTrees(got, c.want) {
				t.Errorf("last holds %v, want %v", got, c.want)
			}
			want := []string{"keep.txt"}
			if c.want != nil {
				want = []string{"keep.txt", "last"}
			}
			if got := names(t, root); !slices.Equal(got, want) {
				t.Errorf("folder holds %v, want %v", got, want)
			}
		})
	}
}

func TestRemoveTemps(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{".metrics.jsonl.tmp-42": "x", "metrics.jsonl": "y", ".hidden": "z", "a.tmp-1": "w"})
	writeTree(t, filepath.Join(root, ".best.tmp-7"), map[string]string{"model.safetensors": "big"})
	removed, err := RemoveTemps(root)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{".best.tmp-7", ".metrics.jsonl.tmp-42"}; !slices.Equal(removed, want) {
		t.Errorf("removed %v, want %v", removed, want)
	}
	if got, want := names(t, root), []string{".hidden", "a.tmp-1", "metrics.jsonl"}; !slices.Equal(got, want) {
		t.Errorf("left %v, want %v", got, want)
	}
	if removed, err := RemoveTemps(filepath.Join(root, "missing")); err != nil || removed != nil {
		t.Errorf("missing folder: removed %v, error %v; want nothing", removed, err)
	}
}
