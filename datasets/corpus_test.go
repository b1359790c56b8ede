package datasets

import (
	"slices"
	"testing"
)

func TestLoadCorpus(t *testing.T) {
	dir := t.TempDir()
	agnews := "label,title,description\n1,\"Stocks rise\",\"Markets \\ up #36;5\"\n2,\"Team wins\",\"A goal\"\n"
	cases := []struct {
		name, file, content string
		opts                CorpusOptions
		texts               []string
		lines               []int
	}{
		{"text lines, blank skipped, CRLF", "a.txt", "first doc\r\n\n  \nsecond doc", CorpusOptions{}, []string{"first doc", "second doc"}, []int{1, 4}},
		{"jsonl, default key", "a.jsonl", "{\"text\": \"one\"}\n\n{\"text\": \"two\", \"x\": 1}\n", CorpusOptions{}, []string{"one", "two"}, []int{1, 3}},
		{"jsonl, two keys", "b.jsonl", "{\"t\": \"a\", \"d\": \"b\"}\n", CorpusOptions{TextCols: []string{"t", "d"}}, []string{"a b"}, []int{1}},
		{"agnews, both columns", "ag.csv", agnews, CorpusOptions{}, []string{"Stocks rise Markets   up $5", "Team wins A goal"}, []int{2, 3}},
		{"agnews titles", "ag.csv", agnews, CorpusOptions{TextCols: []string{"title"}}, []string{"Stocks rise", "Team wins"}, []int{2, 3}},
		{"agnews descriptions", "ag.csv", agnews, CorpusOptions{TextCols: []string{"description"}}, []string{"Markets   up $5", "A goal"}, []int{2, 3}},
		{"forced text format on a csv", "ag.csv", agnews, CorpusOptions{Format: FormatText}, []string{"label,title,description", "1,\"Stocks rise\",\"Markets \\ up #36;5\"", "2,\"Team wins\",\"A goal\""}, []int{1, 2, 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, dir, c.file, c.content)
			corpus, err := LoadCorpus(path, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(corpus.Texts, c.texts) || !slices.Equal(corpus.Lines, c.lines) {
				t.Errorf("got %q at lines %v, want %q at %v", corpus.Texts, corpus.Lines, c.texts, c.lines)
			}
		})
	}
}

func TestLoadCorpusBadInput(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, file, content string
		opts                CorpusOptions
		want                []string
	}{
		{"empty file", "empty.txt", "", CorpusOptions{}, []string{"empty.txt", "empty corpus"}},
		{"only blank lines", "blank.txt", "\n  \n", CorpusOptions{}, []string{"empty corpus"}},
		{"invalid UTF-8", "bad.txt", "ok\nbad \xff\n", CorpusOptions{}, []string{"bad.txt:2", "invalid UTF-8"}},
		{"overlong line", "long.txt", "ok\n0123456789\n", CorpusOptions{MaxLineBytes: 5}, []string{"long.txt:2", "longer than 5 bytes"}},
		{"jsonl missing key", "k.jsonl", "{\"text\": \"a\"}\n{\"body\": \"b\"}\n", CorpusOptions{}, []string{"k.jsonl:2", `field "text": missing`}},
		{"jsonl not an object", "n.jsonl", "[1]\n", CorpusOptions{}, []string{"n.jsonl:1", "want a JSON object"}},
		{"agnews unknown column", "ag.csv", "label,title,description\n1,a,b\n", CorpusOptions{TextCols: []string{"body"}}, []string{"AG News columns"}},
		{"unknown format", "x.txt", "a\n", CorpusOptions{Format: FormatDir}, []string{"corpus format"}},
		{"lenient, every row bad", "allbad.txt", "\xff\n\xfe\n", CorpusOptions{Lenient: true}, []string{"empty corpus", "2 rows skipped"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadCorpus(writeFile(t, dir, c.file, c.content), c.opts)
			wantError(t, err, c.want...)
		})
	}
}

func TestLoadCorpusLenient(t *testing.T) {
	path := writeFile(t, t.TempDir(), "c.txt", "good\nbad \xff\nalso good\n")
	c, err := LoadCorpus(path, CorpusOptions{Lenient: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Texts, []string{"good", "also good"}) || len(c.Skipped) != 1 || c.Skipped[0].Line != 2 {
		t.Errorf("texts %q, skipped %v", c.Texts, c.Skipped)
	}
}

func TestCorpusRows(t *testing.T) {
	c := &Corpus{Path: "p", Texts: []string{"a", "b", "c"}, Lines: []int{1, 2, 3}}
	got, err := c.Rows(Rows{2, 3})
	if err != nil || !slices.Equal(got.Texts, []string{"b", "c"}) || got.Where(0) != "p:2" {
		t.Errorf("Rows(2:3) = %v, %v", got, err)
	}
	if _, err := c.Rows(Rows{1, 4}); err == nil {
		t.Error("Rows(1:4) of 3 documents: no error")
	}
}
