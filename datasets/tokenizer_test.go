package datasets

import (
	"bufio"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestBasicEnglishRules checks each rule of torchtext's basic_english alone.
func TestBasicEnglishRules(t *testing.T) {
	tests := []struct {
		rule, text string
		want       []string
	}{
		{"lowercase first", "Hello WORLD", []string{"hello", "world"}},
		{"apostrophe splits off", "it's", []string{"it", "'", "s"}},
		{"double quote removed", `say "hi"`, []string{"say", "hi"}},
		{"double quote removed before <br />", `a<b"r />b`, []string{"a", "b"}},
		{"full stop splits off", "end. next", []string{"end", ".", "next"}},
		{"<br /> is a space", "one<br />two", []string{"one", "two"}},
		{"<BR /> lowercased first", "one<BR />two", []string{"one", "two"}},
		{"<br/> untouched", "a<br/>b", []string{"a<br/>b"}},
		{"comma splits off", "a,b", []string{"a", ",", "b"}},
		{"brackets split off", "f(x)", []string{"f", "(", "x", ")"}},
		{"exclamation splits off", "wow!!", []string{"wow", "!", "!"}},
		{"question splits off", "why?", []string{"why", "?"}},
		{"semicolon is a space", "a;b", []string{"a", "b"}},
		{"colon is a space", "a:b", []string{"a", "b"}},
		{"whitespace runs collapse", "a \t\r\n b", []string{"a", "b"}},
		{"python-only whitespace", "a\x1cb\x1fc", []string{"a", "b", "c"}},
		{"no empty tokens", "  ;: ", nil},
		{"other punctuation stays", "e-mail AT&T #36;", []string{"e-mail", "at&t", "#36"}},
		{"dotted capital I", "İ", []string{"i\u0307"}},
		{"final sigma", "ΟΔΟΣ ΣΑΣ", []string{"οδος", "σας"}},
		{"sigma before a cased letter", "AΣ'B", []string{"aσ", "'", "b"}},
		{"invalid UTF-8", "a\xffb", []string{"a\ufffdb"}},
		// gornn's one departure from torchtext, which keeps them in tokens.
		{"NUL separates", "ab\x00cd\x00", []string{"ab", "cd"}},
		{"control characters separate", "a\x01b\x1bc\x7fd\u0080e\u009fF", []string{"a", "b", "c", "d", "e", "f"}},
	}
	tok, err := NewTokenizer("basic_english")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if got := tok.Tokenize(tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("Tokenize(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

// TestBasicEnglishFixture compares with the outputs of
// testdata/make_basic_english.py, torchtext's rules run by Python.
func TestBasicEnglishFixture(t *testing.T) {
	f, err := os.Open("testdata/basic_english.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tok, _ := NewTokenizer("basic_english")
	lines := bufio.NewScanner(f)
	cases := 0
	for line := 1; lines.Scan(); line++ {
		var c struct {
			Text   string   `json:"text"`
			Tokens []string `json:"tokens"`
		}
		if err := json.Unmarshal(lines.Bytes(), &c); err != nil {
			t.Fatalf("basic_english.jsonl:%d: %v", line, err)
		}
		if got := tok.Tokenize(c.Text); !slices.Equal(got, c.Tokens) {
			t.Errorf("basic_english.jsonl:%d: Tokenize(%q) = %q, Python says %q", line, c.Text, got, c.Tokens)
		}
		cases++
	}
	if cases < 100 {
		t.Errorf("fixture has %d cases, want at least 100", cases)
	}
}

// TestBasicEnglishRealAGNews compares the tokens of every row of the real AG
// News file with the digests Python wrote (see make_basic_english.py).
func TestBasicEnglishRealAGNews(t *testing.T) {
	path := realAGNewsTest(t)
	digests := readDigests(t, "testdata/basic_english_agnews.sha256")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows = rows[1:] // header
	tok, _ := NewTokenizer("basic_english")
	const block = 100
	for start := 0; start < len(rows); start += block {
		digest := sha256.New()
		for _, row := range rows[start:min(start+block, len(rows))] {
			fmt.Fprintf(digest, "%s\n", strings.Join(tok.Tokenize(row[1]+" "+row[2]), " "))
		}
		if got, want := hex.EncodeToString(digest.Sum(nil)), digests[start+1]; got != want {
			t.Errorf("rows %d..%d: tokens differ from Python's", start+1, start+block)
		}
	}
	if len(digests) != (len(rows)+block-1)/block {
		t.Errorf("%d digests for %d rows", len(digests), len(rows))
	}
}

func readDigests(t *testing.T, path string) map[int]string {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	digests := make(map[int]string)
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		first, digest, _ := strings.Cut(line, " ")
		row, err := strconv.Atoi(first)
		if err != nil {
			t.Fatalf("%s: bad line %q", path, line)
		}
		digests[row] = digest
	}
	return digests
}

func TestCharTokenizer(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"", []string{}},
		{"Ab", []string{"A", "b"}},
		{"é😀", []string{"é", "😀"}},
		{"a\tb\nc\r", []string{"a", " ", "b", " ", "c", " "}},
		{"\xff", []string{"\ufffd"}},
		{"a\x00\x7f\u0085", []string{"a", " ", " ", " "}},
	}
	tok, err := NewTokenizer("char")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		if got := tok.Tokenize(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("Tokenize(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestNewTokenizer(t *testing.T) {
	for _, name := range []string{"basic_english", "char"} {
		tok, err := NewTokenizer(name)
		if err != nil || tok.Name() != name {
			t.Errorf("NewTokenizer(%q) = %v, %v", name, tok, err)
		}
	}
	_, err := NewTokenizer("spacy")
	wantError(t, err, `unknown tokenizer "spacy"`, "basic_english", "char", "whitespace")
}
