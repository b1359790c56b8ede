package datasets

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const conllText = `-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O
. . O O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER

-DOCSTART- -X- -X- O
BRUSSELS NNP B-NP B-LOC
`

// TestLoadCoNLL reads a CoNLL-2003 excerpt: documents, sentences, the
// token and tag columns, by index from either end.
func TestLoadCoNLL(t *testing.T) {
	path := writeFile(t, t.TempDir(), "train.txt", conllText)
	for _, opts := range []TaggedOptions{{}, {TagColumn: 4}, {TokenColumn: -4, TagColumn: -1}} {
		d, err := LoadTagged(path, opts)
		if err != nil {
			t.Fatal(err)
		}
		want := []Sentence{
			{Tokens: []string{"EU", "rejects", "German", "call", "."}, Tags: []string{"B-ORG", "O", "B-MISC", "O", "O"}, Line: 3},
			{Tokens: []string{"Peter", "Blackburn"}, Tags: []string{"B-PER", "I-PER"}, Line: 9},
			{Tokens: []string{"BRUSSELS"}, Tags: []string{"B-LOC"}, Line: 13},
		}
		if fmt.Sprint(d.Sentences) != fmt.Sprint(want) {
			t.Errorf("%+v: sentences\n%v\nwant\n%v", opts, d.Sentences, want)
		}
	}
	d, err := LoadTagged(path, TaggedOptions{TagColumn: 3})
	if err != nil || d.Sentences[0].Tags[3] != "I-NP" {
		t.Errorf("chunk column: %v %v", d, err)
	}
}

// TestLoadTaggedMalformed checks that every malformed file is an error
// naming the file and line, and that lenient loading skips and lists the
// sentences instead.
func TestLoadTaggedMalformed(t *testing.T) {
	cases := []struct {
		name, file, content string
		opts                TaggedOptions
		want                []string // parts of the strict error
		kept                int      // sentences a lenient load keeps; -1: it fails too
	}{
		{"wrong column count", "a.conll", "a X O\nb Y\nc Z O\n\nd X O\n", TaggedOptions{}, []string{"a.conll:2:", "2 columns, want 3 like line 1"}, 1},
		{"too few columns", "a.conll", "a\nb\n", TaggedOptions{TagColumn: 2}, []string{"a.conll:1:", "too few for token column 1 and tag column 2"}, -1},
		{"sentence over the limit", "a.conll", "a O\nb O\nc O\n\nd O\n", TaggedOptions{MaxTokens: 2}, []string{"a.conll:1:", "sentence of 3 tokens is over the limit of 2"}, 1},
		{"empty file", "a.conll", "", TaggedOptions{}, []string{"a.conll: no sentences"}, -1},
		{"only blank lines and documents", "a.conll", "\n\n-DOCSTART- O\n\n", TaggedOptions{}, []string{"no sentences"}, -1},
		{"invalid UTF-8", "a.conll", "a O\n\xff O\n\nb O\n", TaggedOptions{}, []string{"a.conll:2:", "invalid UTF-8"}, 1},
		{"overlong line", "a.conll", "a O\n" + strings.Repeat("x", 50) + " O\n\nb O\n", TaggedOptions{MaxLineBytes: 20}, []string{"a.conll:2:", "longer than 20 bytes"}, 1},
		{"same columns", "a.conll", "a O\n", TaggedOptions{TokenColumn: 2, TagColumn: 2}, []string{"both 2"}, -1},
		{"json: lengths differ", "a.jsonl", `{"tokens": ["a", "b"], "tags": ["O"]}` + "\n" + `{"tokens": ["c"], "tags": ["O"]}`, TaggedOptions{}, []string{"a.jsonl:1:", `field "tags": 1 tags for 2 tokens`}, 1},
		{"json: missing key", "a.jsonl", `{"tokens": ["a"]}` + "\n", TaggedOptions{}, []string{"a.jsonl:1:", `field "tags": missing`}, -1},
		{"json: not strings", "a.jsonl", `{"tokens": [1], "tags": ["O"]}` + "\n", TaggedOptions{}, []string{`field "tokens": want an array of strings`}, -1},
		{"json: empty sentence", "a.jsonl", `{"tokens": [], "tags": []}` + "\n", TaggedOptions{}, []string{"empty sentence"}, -1},
		{"json: tag with a space", "a.jsonl", `{"tokens": ["a"], "tags": ["B PER"]}` + "\n", TaggedOptions{}, []string{"holds white space"}, -1},
		{"json: token with a line break", "a.jsonl", `{"tokens": ["a\nb"], "tags": ["O"]}` + "\n", TaggedOptions{}, []string{"holds a line break"}, -1},
		{"json: not an object", "a.jsonl", "[1]\n", TaggedOptions{}, []string{"want a JSON object"}, -1},
		{"json: over the limit", "a.jsonl", `{"tokens": ["a", "b"], "tags": ["O", "O"]}` + "\n", TaggedOptions{MaxTokens: 1}, []string{"over the limit of 1"}, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), tc.file, tc.content)
			_, err := LoadTagged(path, tc.opts)
			wantError(t, err, tc.want...)
			lenient := tc.opts
			lenient.Lenient = true
			d, err := LoadTagged(path, lenient)
			if tc.kept < 0 {
				if err == nil {
					t.Errorf("lenient load succeeded with %d sentences", len(d.Sentences))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Sentences) != tc.kept || len(d.Skipped) != 1 {
				t.Fatalf("lenient: %d sentences, %d skipped", len(d.Sentences), len(d.Skipped))
			}
			if line := d.Describe(d.Skipped[0]); !strings.HasPrefix(line, path+":") {
				t.Errorf("skipped report %q does not name the file and line", line)
			}
		})
	}
}

func TestLoadTaggedJSONL(t *testing.T) {
	path := writeFile(t, t.TempDir(), "a.jsonl", "\ufeff"+`{"words": ["New", "York"], "labels": ["B-LOC", "I-LOC"], "id": 3}`+"\r\n\n"+`{"words": ["hi"], "labels": ["O"]}`)
	d, err := LoadTagged(path, TaggedOptions{TokensKey: "words", TagsKey: "labels"})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Sentences) != 2 || d.Sentences[0].Tags[1] != "I-LOC" || d.Sentences[1].Line != 3 {
		t.Errorf("sentences %+v", d.Sentences)
	}
}

func TestTagSet(t *testing.T) {
	s, err := TagSetOf([]Sentence{{Tags: []string{"O", "B-PER"}}, {Tags: []string{"I-PER", "O"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Names(), []string{"B-PER", "I-PER", "O"}) {
		t.Errorf("names %v", s.Names())
	}
	if id, ok := s.ID("O"); !ok || id != 2 || s.Name(1) != "I-PER" || s.Name(9) != "" {
		t.Error("ID or Name wrong")
	}
	path := filepath.Join(t.TempDir(), "tags.txt")
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	again, err := LoadTagSet(path, 3)
	if err != nil || !slices.Equal(again.Names(), s.Names()) {
		t.Fatalf("round trip: %v %v", again, err)
	}
	_, err = LoadTagSet(path, 4)
	wantError(t, err, "3 tags, want 4")
	_, err = LoadTagSet(writeFile(t, t.TempDir(), "tags.txt", "O\nB X\n"), 0)
	wantError(t, err, "tags.txt:2:", "white space")
	_, err = LoadTagSet(writeFile(t, t.TempDir(), "tags.txt", "O\nO\n"), 0)
	wantError(t, err, "tags.txt:2:", "repeats line 1")
	if _, err := NewTagSet(nil); err == nil {
		t.Error("an empty tag set was accepted")
	}
}

func TestCaseTag(t *testing.T) {
	for token, want := range map[string]string{
		"the": CaseLower, "42": CaseLower, ",": CaseLower, "Paris": CaseTitle, "A": CaseTitle, "Élan": CaseTitle,
		"NASA": CaseUpper, "UN": CaseUpper, "U2": CaseTitle, "iPhone": CaseMixed, "McDonald": CaseMixed, "'Hello'": CaseTitle,
	} {
		if got := CaseTag(token); got != want {
			t.Errorf("CaseTag(%q) = %s, want %s", token, got, want)
		}
	}
	s := TruecaseSentence("NASA's iPhone plan, said John.")
	if fmt.Sprint(s.Tokens) != "[nasa's iphone plan , said john .]" || fmt.Sprint(s.Tags) != "[mixed mixed lower lower lower Title lower]" {
		t.Errorf("sentence %v %v", s.Tokens, s.Tags)
	}
}

// TestPrepareTagged prepares the built-in truecasing task (with AG News
// hidden) and a CoNLL file with a separate validation file, characters
// and lowercasing.
func TestPrepareTagged(t *testing.T) {
	t.Setenv("GORNN_AG_NEWS", filepath.Join(t.TempDir(), "absent"))
	p, err := PrepareTagged(TaggedSource{BuiltinSize: 200, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if p.Train.Len() != 180 || p.Val.Len() != 20 || !strings.Contains(p.Data, "built-in") || p.Chars != nil || p.Train.Labels != nil {
		t.Errorf("built-in: %d/%d rows, data %q", p.Train.Len(), p.Val.Len(), p.Data)
	}
	if !slices.Equal(p.Tags.Names(), []string{CaseTitle, CaseUpper, CaseLower, CaseMixed}) {
		t.Errorf("tags %v", p.Tags.Names())
	}
	again, _ := PrepareTagged(TaggedSource{BuiltinSize: 200, Seed: 3})
	if fmt.Sprint(again.Train.IDs) != fmt.Sprint(p.Train.IDs) {
		t.Error("the same seed gave other data")
	}

	dir := t.TempDir()
	train := writeFile(t, dir, "train.conll", "The O\nUN B-ORG\nmet O\n\nParis B-LOC\n")
	val := writeFile(t, dir, "val.conll", "the O\nWHO B-ORG\n\nx B-MISC\n")
	src := TaggedSource{Path: train, ValPath: val, Lowercase: true, Chars: true, MaxWordChars: 2}
	_, err = PrepareTagged(src)
	wantError(t, err, "val.conll:4:", `tag "B-MISC" is not one of the training data's 3 tags`)
	src.Load.Lenient = true
	p, err = PrepareTagged(src)
	if err != nil {
		t.Fatal(err)
	}
	if p.Val.Len() != 1 || len(p.Val.Skipped) != 1 || p.Vocab.ID("the") == UnkID || p.Vocab.ID("The") != UnkID {
		t.Errorf("val %d rows, %d skipped; vocab %v", p.Val.Len(), len(p.Val.Skipped), p.Vocab.Tokens())
	}
	// Characters keep their case and stop at MaxWordChars.
	if got := p.Chars.Decode(p.Train.Chars[0][0]); fmt.Sprint(got) != "[T h]" {
		t.Errorf("characters of The: %v", got)
	}
	if the, who := p.Chars.Decode(p.Val.Chars[0][0]), p.Chars.Decode(p.Val.Chars[0][1]); fmt.Sprint(the, who) != "[<unk> h] [<unk> <unk>]" {
		t.Errorf("characters of the and WHO: %v %v", the, who)
	}
	b, err := NewBatcher(p.Train, BatcherOptions{BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	it := b.Epoch(0)
	it.Next()
	batch := it.Batch()
	if batch.CharSteps != 2 || len(batch.Chars) != 2*3*2 || fmt.Sprint(batch.CharLengths) != "[2 2 2 2 0 0]" {
		t.Errorf("batch characters %v %v steps %d", batch.Chars, batch.CharLengths, batch.CharSteps)
	}
	if part := batch.Rows(1, 2); fmt.Sprint(part.CharLengths) != "[2 0 0]" || len(part.Chars) != 6 {
		t.Errorf("rows: %v", part.CharLengths)
	}
}

// TestPrepareTaggedAGNews derives the truecasing task from the shared AG
// News file: the project's split of its rows.
func TestPrepareTaggedAGNews(t *testing.T) {
	realAGNewsTest(t)
	p, err := PrepareTagged(TaggedSource{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Train.Len() != 6000 || p.Val.Len() != 1600 || !strings.Contains(p.Data, "test.csv") {
		t.Errorf("%d/%d sentences from %s", p.Train.Len(), p.Val.Len(), p.Data)
	}
}

func TestReadVectors(t *testing.T) {
	const glove = "the 0.1 0.2 0.3\nParis 1 2 3\nat name@x.com 4 5 6\n\nthe 9 9 9\n"
	const vec = "3 2\nthe 0.5 -0.5\nparis 1e-3 2\n<pad> 7 7\n"
	dir := t.TempDir()
	v, err := ReadVectors(writeFile(t, dir, "glove.txt", glove), VectorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if x, _ := v.Vector("the"); v.Dim != 3 || v.Len() != 3 || fmt.Sprint(x) != "[0.1 0.2 0.3]" {
		t.Errorf("glove: dim %d, %d words, the %v", v.Dim, v.Len(), x)
	}
	if _, ok := v.Vector("at name@x.com"); !ok {
		t.Error("a word with a space was lost")
	}
	w, err := ReadVectors(writeFile(t, dir, "wiki.vec", vec), VectorOptions{Want: func(w string) bool { return w != "the" }})
	if err != nil {
		t.Fatal(err)
	}
	if w.Dim != 2 || w.Len() != 2 {
		t.Errorf("vec: dim %d, %d words", w.Dim, w.Len())
	}
	vocab := newVocab([]string{PadToken, UnkToken, "Paris", "the", "Lima"})
	rows, cov := w.Lookup(vocab)
	if rows[2] == nil || rows[3] != nil || cov.Exact != 0 || cov.Lowercase != 1 || cov.Absent != 2 || cov.Tokens != 3 {
		t.Errorf("coverage %+v", cov)
	}
	if !strings.Contains(cov.String(), "1 of 3 vocabulary tokens have a vector") {
		t.Errorf("coverage report %q", cov)
	}
	added := v.AddWords(vocab, 0)
	if !slices.Equal(added.Tokens(), []string{PadToken, UnkToken, "Paris", "the", "Lima", "at name@x.com"}) {
		t.Errorf("added words: %v", added.Tokens())
	}
	if got := v.AddWords(vocab, 5).Len(); got != 5 {
		t.Errorf("AddWords up to 5: %d tokens", got)
	}
	want := WantedBy(vocab)
	if !want("paris") || !want("Lima") || want("<pad>") || want("x") {
		t.Error("WantedBy keeps the wrong words")
	}

	for _, tc := range []struct {
		name, content string
		want          []string
	}{
		{"short line", "a 1 2 3\nb 1 2\n", []string{"v.txt:2:", "2 values, want 3"}},
		{"bad value", "a 1 2\nb 1 x\n", []string{"v.txt:2:", `value 2 "x" is not a finite number`}},
		{"infinite value", "a 1 inf\n", []string{"v.txt:1:", "not a finite number"}},
		{"header then short", "2 3\na 1 2 3\nb 4 5\n", []string{"v.txt:3:", "2 values, want 3"}},
		{"bad header", "2 0\na 1\n", []string{"v.txt:1:", "header dimension 0"}},
		{"word only", "a\n", []string{"v.txt:1:", "1 fields"}},
		{"empty", "\n\n", []string{"v.txt: no vectors"}},
		{"invalid UTF-8", "\xff 1 2\n", []string{"v.txt:1:", "invalid UTF-8"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadVectors(writeFile(t, t.TempDir(), "v.txt", tc.content), VectorOptions{})
			wantError(t, err, tc.want...)
		})
	}
}
