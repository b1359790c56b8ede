package datasets

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// The fuzz targets feed arbitrary bytes to the loaders and the tokenizers.
// Nothing may panic, and what comes back must keep the package's promises.
// Their seed corpora are in testdata/fuzz/<FuzzName>/.

func FuzzLoadCSV(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, limit uint16) {
		fuzzLoad(t, "data.csv", data, limit, LoadOptions{Format: FormatCSV})
		fuzzLoad(t, "data.tsv", data, limit, LoadOptions{Format: FormatTSV})
	})
}

func FuzzLoadAGNews(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, limit uint16) {
		fuzzLoad(t, "news.csv", data, limit, LoadOptions{Format: FormatAGNews})
		if _, err := looksLikeAGNews(writeFile(t, t.TempDir(), "news.csv", string(data)), DefaultMaxLineBytes); err != nil {
			t.Fatalf("looksLikeAGNews: %v", err)
		}
	})
}

func FuzzLoadJSONL(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, limit uint16) {
		fuzzLoad(t, "data.jsonl", data, limit, LoadOptions{})

		// Nothing is dropped uncounted: each non-blank line is an example
		// or a skipped row.
		ds, err := Load(writeFile(t, t.TempDir(), "data.jsonl", string(data)), LoadOptions{Lenient: true})
		if err != nil {
			return
		}
		lines := bytes.Split(bytes.TrimPrefix(data, utf8BOM), []byte("\n"))
		rows := 0
		for _, line := range lines {
			if len(bytes.TrimSpace(line)) > 0 {
				rows++
			}
		}
		if got := len(ds.Examples) + len(ds.Skipped); got != rows {
			t.Fatalf("%d non-blank lines, but %d examples and %d skipped", rows, len(ds.Examples), len(ds.Skipped))
		}
	})
}

// maxFuzzText is the longest text FuzzBasicEnglish tokenizes; it cuts
// longer inputs. The tokenizers decide each token from a few runes around it
// (a capital sigma from its word), so short texts reach every branch. Long
// ones only slowed the fuzzer to a halt: go test minimizes every input that
// finds new coverage, trying O(n²) candidates for n bytes, and a worker spent
// up to the 60 s -fuzzminimizetime on one input of a few KB, reporting no
// execs meanwhile.
const maxFuzzText = 128

func FuzzBasicEnglish(f *testing.F) {
	basic, _ := NewTokenizer("basic_english")
	chars, _ := NewTokenizer("char")
	f.Fuzz(func(t *testing.T, text string) {
		text = text[:min(len(text), maxFuzzText)]
		tokens := basic.Tokenize(text)
		for _, token := range tokens {
			if token == "" || !utf8.ValidString(token) || strings.ContainsFunc(token, isSeparator) {
				t.Fatalf("Tokenize(%q): bad token %q", text, token)
			}
			if len(token) > 1 && strings.ContainsAny(token, `'.,()!?;:"`) {
				t.Fatalf("Tokenize(%q): punctuation inside the token %q", text, token)
			}
		}
		// Tokens are normalized: tokenizing them again changes nothing,
		// unless joining them made a new "<br />".
		if joined := strings.Join(tokens, " "); !strings.Contains(joined, "<br />") {
			if again := basic.Tokenize(joined); !slices.Equal(again, tokens) {
				t.Fatalf("Tokenize(%q) = %q, but tokenizing those gives %q", text, tokens, again)
			}
		}
		if n, want := len(chars.Tokenize(text)), utf8.RuneCountInString(text); n != want {
			t.Fatalf("char: %d tokens for %d runes", n, want)
		}
	})
}

// fuzzLoad loads data as the file name, strictly and leniently, with a line
// limit drawn from limit (0: the default), and checks what comes back.
func fuzzLoad(t *testing.T, name string, data []byte, limit uint16, opts LoadOptions) {
	path := writeFile(t, t.TempDir(), name, string(data))
	opts.MaxLineBytes = int(limit % 300)
	strict, strictErr := Load(path, opts)
	opts.Lenient = true
	lenient, lenientErr := Load(path, opts)
	if strictErr == nil {
		if lenientErr != nil {
			t.Fatalf("strict load worked, lenient failed: %v", lenientErr)
		}
		if len(lenient.Skipped) != 0 || len(lenient.Examples) != len(strict.Examples) {
			t.Fatalf("strict: %d examples; lenient: %d and %d skipped", len(strict.Examples), len(lenient.Examples), len(lenient.Skipped))
		}
		checkLoaded(t, strict)
	}
	if lenientErr == nil {
		checkLoaded(t, lenient)
	}
}

// checkLoaded checks the invariants of a loaded dataset.
func checkLoaded(t *testing.T, ds *Dataset) {
	if len(ds.Examples) == 0 {
		t.Fatal("no examples and no error")
	}
	last := 0
	for _, ex := range ds.Examples {
		if ex.Label < 0 || ex.Label >= len(ds.Classes) {
			t.Fatalf("label %d with %d classes", ex.Label, len(ds.Classes))
		}
		if !utf8.ValidString(ex.Text) || strings.TrimSpace(ex.Text) == "" {
			t.Fatalf("bad text %q", ex.Text)
		}
		if ex.Line <= last {
			t.Fatalf("line %d after line %d", ex.Line, last)
		}
		last = ex.Line
	}
	for _, row := range ds.Skipped {
		if row.Line < 1 || row.Reason == "" {
			t.Fatalf("skipped row %+v", row)
		}
	}
}
