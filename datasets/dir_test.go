package datasets

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeTree writes files, path -> content, under a new folder and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		writeFile(t, root, name, content)
	}
	return root
}

func TestLoadDir(t *testing.T) {
	root := writeTree(t, map[string]string{
		"pos/2_9.txt":     "Loved it.",
		"pos/10_7.txt":    "\ufeffGreat fun<br />really.",
		"neg/1_2.txt":     "Dull.\n",
		"neg/notes.md":    "not an example",
		".hidden/x.txt":   "ignored",
		"urls_pos.txt":    "a file at the top: ignored",
		"unsup/0_0.txt":   "unlabelled",
		"neg/sub/3_1.txt": "in a sub-folder: ignored",
	})
	ds, err := Load(root, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkDataset(t, ds, []string{"Dull.\n", "Great fun<br />really.", "Loved it.", "unlabelled"},
		[]int{0, 1, 1, 2}, []int{1, 2, 3, 4}, []string{"neg", "pos", "unsup"})
	want := []string{filepath.Join("neg", "1_2.txt"), filepath.Join("pos", "10_7.txt"), filepath.Join("pos", "2_9.txt"), filepath.Join("unsup", "0_0.txt")}
	if !slices.Equal(ds.Files, want) {
		t.Errorf("files %q, want %q", ds.Files, want)
	}

	ds, err = Load(root, LoadOptions{Classes: []string{"pos", "neg"}})
	if err != nil {
		t.Fatal(err)
	}
	checkDataset(t, ds, []string{"Great fun<br />really.", "Loved it.", "Dull.\n"}, []int{0, 0, 1}, []int{1, 2, 3}, []string{"pos", "neg"})
}

func TestLoadDirBadFiles(t *testing.T) {
	root := writeTree(t, map[string]string{
		"a/1.txt": "fine",
		"a/2.txt": " \n\t",
		"b/1.txt": "bad \xff byte",
		"b/2.txt": strings.Repeat("long ", 10),
		"b/3.txt": "fine too",
	})
	_, err := Load(root, LoadOptions{MaxLineBytes: 20})
	wantError(t, err, filepath.Join(root, "a", "2.txt")+": empty text")

	ds, err := Load(root, LoadOptions{MaxLineBytes: 20, Lenient: true})
	if err != nil {
		t.Fatal(err)
	}
	checkDataset(t, ds, []string{"fine", "fine too"}, []int{0, 1}, []int{1, 5}, []string{"a", "b"})
	want := []SkippedRow{
		{Line: 2, Reason: "empty text"},
		{Line: 3, Reason: "invalid UTF-8"},
		{Line: 4, Reason: "file is larger than 20 bytes (MaxLineBytes)"},
	}
	if !slices.Equal(ds.Skipped, want) {
		t.Errorf("skipped %+v, want %+v", ds.Skipped, want)
	}
	// A report names the skipped file, not its index.
	if got, want := ds.Describe(ds.Skipped[1]), filepath.Join(root, "b", "1.txt")+": invalid UTF-8"; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
}

// TestLoadDirEmptyClass refuses a class folder with no usable file, in
// strict and lenient mode: it would make a class no example teaches.
func TestLoadDirEmptyClass(t *testing.T) {
	root := writeTree(t, map[string]string{"pos/1.txt": "fine", "neg/notes.md": "not an example", "bad/1.txt": "\xff"})
	for _, lenient := range []bool{false, true} {
		_, err := Load(root, LoadOptions{Classes: []string{"pos", "neg"}, Lenient: lenient})
		wantError(t, err, `class folder "neg" has no .txt files`)
	}
	_, err := Load(root, LoadOptions{Classes: []string{"pos", "bad"}, Lenient: true})
	wantError(t, err, `all 1 files of class folder "bad" were skipped`)
}

func TestLoadDirErrors(t *testing.T) {
	root := writeTree(t, map[string]string{"top.txt": "no class folders"})
	_, err := Load(root, LoadOptions{})
	wantError(t, err, "no class folders")

	_, err = Load(root, LoadOptions{Classes: []string{"missing"}})
	wantError(t, err, "read class folder", "missing")

	empty := writeTree(t, map[string]string{"a/readme.md": "x"})
	_, err = Load(empty, LoadOptions{})
	wantError(t, err, `class folder "a" has no .txt files`)
}
