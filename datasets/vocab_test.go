package datasets

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestVocabOrderAndLimits(t *testing.T) {
	rows := [][]string{
		{"b", "a", "c", "b", "d"},
		{"a", "b", "e", "c", "<pad>", "<unk>"},
	}
	// counts: b 3, a 2, c 2, d 1, e 1; the specials are not counted.
	tests := []struct {
		name string
		opts VocabOptions
		want []string
	}{
		{"freq desc then token asc", VocabOptions{}, []string{"<pad>", "<unk>", "b", "a", "c", "d", "e"}},
		{"min freq", VocabOptions{MinFreq: 2}, []string{"<pad>", "<unk>", "b", "a", "c"}},
		{"max size counts the specials", VocabOptions{MaxSize: 4}, []string{"<pad>", "<unk>", "b", "a"}},
		{"max size of specials only", VocabOptions{MaxSize: 2}, []string{"<pad>", "<unk>"}},
		{"max size above the tokens", VocabOptions{MaxSize: 100}, []string{"<pad>", "<unk>", "b", "a", "c", "d", "e"}},
		{"both", VocabOptions{MinFreq: 2, MaxSize: 3}, []string{"<pad>", "<unk>", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := VocabFromTokens(rows, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := v.Tokens(); !slices.Equal(got, tt.want) {
				t.Errorf("tokens %q, want %q", got, tt.want)
			}
			if v.Len() != len(tt.want) {
				t.Errorf("Len() = %d, want %d", v.Len(), len(tt.want))
			}
		})
	}
}

func TestVocabOptionsErrors(t *testing.T) {
	for _, opts := range []VocabOptions{{MinFreq: -1}, {MaxSize: -1}, {MaxSize: 1}} {
		if _, err := VocabFromTokens(nil, opts); err == nil {
			t.Errorf("VocabFromTokens(%+v) gave no error", opts)
		}
	}
}

func TestVocabEncodeDecode(t *testing.T) {
	v, err := VocabFromTokens([][]string{{"the", "cat", "the"}}, VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		tokens []string
		ids    []int
		back   []string
	}{
		{[]string{"the", "cat"}, []int{2, 3}, []string{"the", "cat"}},
		{[]string{"dog"}, []int{UnkID}, []string{"<unk>"}},
		{[]string{"<pad>", "<unk>"}, []int{UnkID, UnkID}, []string{"<unk>", "<unk>"}},
		{nil, []int{}, []string{}},
	}
	for _, tt := range tests {
		ids := v.Encode(tt.tokens)
		if !slices.Equal(ids, tt.ids) {
			t.Errorf("Encode(%q) = %v, want %v", tt.tokens, ids, tt.ids)
		}
		if back := v.Decode(ids); !slices.Equal(back, tt.back) {
			t.Errorf("Decode(%v) = %q, want %q", ids, back, tt.back)
		}
	}
	if v.ID("cat") != 3 || v.ID("dog") != UnkID || v.ID(PadToken) != PadID {
		t.Errorf("ID: cat %d, dog %d, <pad> %d", v.ID("cat"), v.ID("dog"), v.ID(PadToken))
	}
	if v.Token(0) != PadToken || v.Token(3) != "cat" || v.Token(4) != UnkToken || v.Token(-1) != UnkToken {
		t.Errorf("Token: %q %q %q %q", v.Token(0), v.Token(3), v.Token(4), v.Token(-1))
	}
}

func TestVocabSaveLoad(t *testing.T) {
	dir := t.TempDir()
	v, err := VocabFromTokens([][]string{{"x", "y", "y", " ", "é", "#"}}, VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "vocab.txt")
	if err := v.Save(path); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if want := "<pad>\n<unk>\ny\n \n#\nx\né\n"; string(data) != want {
		t.Errorf("vocab.txt = %q, want %q", data, want)
	}
	loaded, err := LoadVocab(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(loaded.Tokens(), v.Tokens()) {
		t.Errorf("loaded %q, saved %q", loaded.Tokens(), v.Tokens())
	}
	if err := v.Save(path); err != nil { // replacing works too
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries after saving, want only vocab.txt", len(entries))
	}
}

func TestVocabSaveRejectsLineBreaks(t *testing.T) {
	dir := t.TempDir()
	for _, token := range []string{"a\nb", "a\r", ""} {
		v, err := VocabFromTokens([][]string{{token}}, VocabOptions{})
		if err != nil {
			t.Fatal(err)
		}
		err = v.Save(filepath.Join(dir, "vocab.txt"))
		wantError(t, err, "token 2", "empty or holds a line break")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed saves left %d files", len(entries))
	}
}

func TestLoadVocabErrors(t *testing.T) {
	tests := []struct {
		name, content string
		want          []string
	}{
		{"empty file", "", []string{"vocab.txt: 0 lines, want at least 2"}},
		{"no unk", "<pad>\n", []string{"vocab.txt: 1 lines"}},
		{"pad missing", "the\n<unk>\n", []string{"vocab.txt:1:", `want the special token "<pad>", got "the"`}},
		{"specials swapped", "<unk>\n<pad>\n", []string{"vocab.txt:1:"}},
		{"unk misplaced", "<pad>\na\n<unk>\n", []string{"vocab.txt:2:", `want the special token "<unk>"`}},
		{"duplicate", "<pad>\n<unk>\na\nb\na\n", []string{"vocab.txt:5:", `duplicate token "a" (first on line 3)`}},
		{"empty line", "<pad>\n<unk>\na\n\nb\n", []string{"vocab.txt:4:", "empty line"}},
		{"CRLF", "<pad>\r\n<unk>\r\n", []string{"vocab.txt:1:"}},
		{"carriage return", "<pad>\n<unk>\na\r\n", []string{"vocab.txt:3:", "carriage return"}},
		// Not a vocabulary at all (a link to /etc/passwd, say): the message
		// quotes no more than a short, escaped excerpt of it.
		{"other file", "root:x:0:0:root:/root:/bin/bash\n", []string{"vocab.txt:1:", `got "root:x:0:0:root:/root:/b"... (31 bytes)`}},
		{"long duplicate", "<pad>\n<unk>\n" + strings.Repeat("x", 100) + "\n" + strings.Repeat("x", 100) + "\n", []string{"vocab.txt:4:", `duplicate token "xxxxxxxxxxxxxxxxxxxxxxxx"... (100 bytes) (first on line 3)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadVocab(writeFile(t, t.TempDir(), "vocab.txt", tt.content))
			wantError(t, err, tt.want...)
		})
	}
	_, err := LoadVocab(filepath.Join(t.TempDir(), "missing.txt"))
	wantError(t, err, "missing.txt")
}

// TestLoadVocabNotRegular refuses a vocabulary that is a link to a device,
// which would otherwise be read until memory runs out.
func TestLoadVocabNotRegular(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero here")
	}
	path := filepath.Join(t.TempDir(), "vocab.txt")
	if err := os.Symlink("/dev/zero", path); err != nil {
		t.Fatal(err)
	}
	_, err := LoadVocab(path)
	wantError(t, err, "vocab.txt is a device")
}

func TestLoadVocabOfSize(t *testing.T) {
	content := "<pad>\n<unk>\na\nb\n"
	tests := []struct {
		size int
		want []string // error message parts; nil: loads
	}{
		{4, nil},
		{3, []string{"vocab.txt:4:", "more than the 3 tokens"}},
		{5, []string{"vocab.txt: 4 lines, want 5"}},
	}
	for _, tt := range tests {
		v, err := LoadVocabOfSize(writeFile(t, t.TempDir(), "vocab.txt", content), tt.size)
		if tt.want == nil {
			if err != nil || v.Len() != tt.size {
				t.Errorf("size %d: %v", tt.size, err)
			}
			continue
		}
		wantError(t, err, tt.want...)
	}
}

func TestLoadVocabLastLineWithoutNewline(t *testing.T) {
	v, err := LoadVocab(writeFile(t, t.TempDir(), "vocab.txt", "<pad>\n<unk>\nlast"))
	if err != nil {
		t.Fatal(err)
	}
	if v.Len() != 3 || v.ID("last") != 2 {
		t.Errorf("got %q", v.Tokens())
	}
}

func TestBuildVocab(t *testing.T) {
	ds := &Dataset{Path: "mem", Classes: []string{"x"}, Examples: []Example{
		{Text: "The cat. The dog!"}, {Text: "A cat"},
	}}
	tok, _ := NewTokenizer("basic_english")
	v, err := BuildVocab(ds, tok, VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"<pad>", "<unk>", "cat", "the", "!", ".", "a", "dog"}
	if !slices.Equal(v.Tokens(), want) {
		t.Errorf("tokens %q, want %q", v.Tokens(), want)
	}
	_, err = BuildVocab(ds, tok, VocabOptions{MaxSize: 1})
	wantError(t, err, "vocabulary of mem", "MaxSize is 1")
}
