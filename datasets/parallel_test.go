package datasets

import (
	"path/filepath"
	"reflect"
	"testing"
)

func TestLoadParallel(t *testing.T) {
	cases := []struct {
		name    string
		content string
		opts    ParallelOptions
		want    []Pair
	}{
		{"tsv", "hello\tbonjour\r\n\nthe cat\tle chat\nhello\tsalut\n", ParallelOptions{},
			[]Pair{{"hello", "bonjour", 1, 0}, {"the cat", "le chat", 3, 1}, {"hello", "salut", 4, 0}}},
		{"cmudict", ";;; a comment\nA  AH0\nA(1)  EY1\n\nA'S  EY1 Z\nABLE  EY1 B AH0 L\n", ParallelOptions{Format: FormatCMUdict},
			[]Pair{{"A", "AH0", 2, 0}, {"A", "EY1", 3, 0}, {"A'S", "EY1 Z", 5, 1}, {"ABLE", "EY1 B AH0 L", 6, 2}}},
		{"cmudict single space", "READ R EH1 D\nREAD(2) R IY1 D\n", ParallelOptions{Format: FormatCMUdict},
			[]Pair{{"READ", "R EH1 D", 1, 0}, {"READ", "R IY1 D", 2, 0}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "data.txt", c.content)
			p, err := LoadParallel(path, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p.Pairs, c.want) {
				t.Errorf("pairs %+v, want %+v", p.Pairs, c.want)
			}
		})
	}
}

func TestLoadParallelAligned(t *testing.T) {
	dir := t.TempDir()
	src := writeFile(t, dir, "src.txt", "one\ntwo\none\n")
	tgt := writeFile(t, dir, "tgt.txt", "un\r\ndeux\nune\n")
	p, err := LoadParallel(src, ParallelOptions{TargetPath: tgt})
	if err != nil {
		t.Fatal(err)
	}
	want := []Pair{{"one", "un", 1, 0}, {"two", "deux", 2, 1}, {"one", "une", 3, 0}}
	if !reflect.DeepEqual(p.Pairs, want) {
		t.Errorf("pairs %+v, want %+v", p.Pairs, want)
	}
}

func TestLoadParallelErrors(t *testing.T) {
	cases := []struct {
		name     string
		content  string
		target   string // a second file, for two aligned files
		opts     ParallelOptions
		wantPart []string
	}{
		{"no tab", "a\tb\nhello\n", "", ParallelOptions{}, []string{"data.txt:2:", "no tab"}},
		{"two tabs", "a\tb\tc\n", "", ParallelOptions{}, []string{"data.txt:1:", "more than one tab"}},
		{"empty source", "\tb\n", "", ParallelOptions{}, []string{"data.txt:1:", "empty source"}},
		{"empty target", "a\t \n", "", ParallelOptions{}, []string{"data.txt:1:", "empty target"}},
		{"empty file", "\n\n", "", ParallelOptions{}, []string{"no pairs"}},
		{"overlong", "a\t" + string(make([]byte, 40)) + "\n", "", ParallelOptions{MaxLineBytes: 20}, []string{"data.txt:1:", "longer than 20 bytes"}},
		{"invalid utf-8", "a\t\xff\n", "", ParallelOptions{}, []string{"data.txt:1:", "invalid UTF-8"}},
		{"cmudict no pronunciation", "A  AH0\nB\n", "", ParallelOptions{Format: FormatCMUdict}, []string{"data.txt:2:", "no pronunciation"}},
		{"cmudict alternate first", "A  AH0\nB(1)  B IY1\n", "", ParallelOptions{Format: FormatCMUdict}, []string{"data.txt:2:", `alternate "B(1)"`}},
		{"cmudict bad marker", "B  B IY1\nB(x)  B IY1\n", "", ParallelOptions{Format: FormatCMUdict}, []string{"data.txt:2:", "WORD(n)"}},
		{"unknown format", "a\tb\n", "", ParallelOptions{Format: FormatJSONL}, []string{`parallel format "jsonl"`}},
		{"target shorter", "a\nb\n", "x\n", ParallelOptions{}, []string{"tgt.txt has 1 lines", "src.txt more"}},
		{"source shorter", "a\n", "x\ny\n", ParallelOptions{}, []string{"src.txt has 1 lines"}},
		{"aligned empty target", "a\nb\n", "x\n\n", ParallelOptions{}, []string{"tgt.txt:2:", "empty target"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeFile(t, dir, "data.txt", c.content)
			if c.target != "" {
				path = writeFile(t, dir, "src.txt", c.content)
				c.opts.TargetPath = writeFile(t, dir, "tgt.txt", c.target)
			}
			_, err := LoadParallel(path, c.opts)
			wantError(t, err, c.wantPart...)
		})
	}
}

func TestSplitParallelKeepsSourcesTogether(t *testing.T) {
	p := &Parallel{Path: "p"}
	for g := 0; g < 20; g++ {
		for k := 0; k <= g%3; k++ {
			p.Pairs = append(p.Pairs, Pair{Source: string(rune('a' + g)), Target: "x", Line: len(p.Pairs) + 1, Group: g})
		}
	}
	train, val, err := SplitParallel(p, 0.25, 7)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len()+val.Len() != p.Len() {
		t.Fatalf("%d + %d pairs, want %d", train.Len(), val.Len(), p.Len())
	}
	inVal := map[int]bool{}
	for _, pair := range val.Pairs {
		inVal[pair.Group] = true
	}
	if len(inVal) != 5 {
		t.Errorf("%d sources in validation, want 5", len(inVal))
	}
	for _, pair := range train.Pairs {
		if inVal[pair.Group] {
			t.Errorf("source %q is in both parts", pair.Source)
		}
	}
	again, _, err := SplitParallel(p, 0.25, 7)
	if err != nil || !reflect.DeepEqual(again, train) {
		t.Errorf("the same seed gave another split (%v)", err)
	}
	if _, _, err := SplitParallel(p, 1, 7); err == nil {
		t.Error("fraction 1: want an error")
	}
}

func TestSeqVocab(t *testing.T) {
	rows := [][]string{{"b", "a", "b"}, {"c", "<eos>", "b"}, {"<pad>"}}
	v, err := SeqVocabFromTokens(rows, CharTokenizer, VocabOptions{MaxSize: 6})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v.Tokens(), []string{"<pad>", "<unk>", "<bos>", "<eos>", "b", "a"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tokens %q, want %q", got, want)
	}
	if v.Tokenizer() != CharTokenizer {
		t.Errorf("tokenizer %q", v.Tokenizer())
	}
	if err := CheckSeqVocab(v); err != nil {
		t.Error(err)
	}
	if got, want := v.EncodeSeq([]string{"a", "<bos>", "<eos>", "<pad>", "z"}), []int{5, UnkID, UnkID, UnkID, UnkID}; !reflect.DeepEqual(got, want) {
		t.Errorf("EncodeSeq %v, want %v", got, want)
	}
	if _, err := SeqVocabFromTokens(rows, CharTokenizer, VocabOptions{MaxSize: 3}); err == nil {
		t.Error("MaxSize 3: want an error")
	}
	plain, err := VocabFromTokens(rows, VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantError(t, CheckSeqVocab(plain), "want \"<bos>\"")
}

func TestEncodeParallel(t *testing.T) {
	p := &Parallel{Path: "words.tsv", Pairs: []Pair{{"ab", "X Y", 1, 0}, {"ba", "Y", 2, 1}, {"ab", "X", 3, 0}}}
	chars, _ := NewTokenizer(CharTokenizer)
	words, _ := NewTokenizer(WhitespaceTokenizer)
	srcVocab, tgtVocab, err := BuildParallelVocabs(p, chars, words, VocabOptions{}, VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := EncodeParallel(p, chars, words, srcVocab, tgtVocab, ParallelEncodeOptions{MaxSourceLen: 2})
	if err != nil {
		t.Fatal(err)
	}
	a, b := srcVocab.ID("a"), srcVocab.ID("b")
	x, y := tgtVocab.ID("X"), tgtVocab.ID("Y")
	if want := [][]int{{a, b}, {b, a}, {a, b}}; !reflect.DeepEqual(enc.IDs, want) {
		t.Errorf("source ids %v, want %v", enc.IDs, want)
	}
	if want := [][]int{{BOSID, x, y}, {BOSID, y}, {BOSID, x}}; !reflect.DeepEqual(enc.Second.IDs, want) {
		t.Errorf("decoder inputs %v, want %v", enc.Second.IDs, want)
	}
	if want := [][]int{{x, y, EOSID}, {y, EOSID}, {x, EOSID}}; !reflect.DeepEqual(enc.Second.Targets, want) {
		t.Errorf("targets %v, want %v", enc.Second.Targets, want)
	}
	batcher, err := NewBatcher(enc, BatcherOptions{BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	it := batcher.Epoch(0)
	it.Next()
	batch := it.Batch()
	if batch.Steps != 2 || batch.Second == nil || batch.Second.Steps != 3 || !reflect.DeepEqual(batch.Second.Lengths, []int{3, 2, 2}) {
		t.Errorf("batch steps %d, second %+v", batch.Steps, batch.Second)
	}

	long := &Parallel{Path: "words.tsv", Pairs: []Pair{{"abc", "X", 7, 0}}}
	_, err = EncodeParallel(long, chars, words, srcVocab, tgtVocab, ParallelEncodeOptions{MaxSourceLen: 2})
	wantError(t, err, "words.tsv:7:", "3 tokens, over the limit of 2")
	empty := &Parallel{Path: "words.tsv", Pairs: []Pair{{"ab", "\x00", 4, 0}}}
	_, err = EncodeParallel(empty, chars, words, srcVocab, tgtVocab, ParallelEncodeOptions{})
	wantError(t, err, "words.tsv:4:", "target has no whitespace tokens")
	_, err = EncodeParallel(p, words, words, srcVocab, tgtVocab, ParallelEncodeOptions{})
	wantError(t, err, "source vocabulary holds char tokens")
}

// TestRealCMUdict loads the project's CMUdict split and checks the counts
// its README gives.
func TestRealCMUdict(t *testing.T) {
	dir, ok := CMUdictDir()
	if !ok {
		t.Skipf("CMUdict not found at %s: skipping", dir)
	}
	for _, c := range []struct {
		file          string
		pairs, groups int
	}{{CMUdictTrain, 112620, 105236}, {CMUdictDev, 6684, 6272}, {CMUdictTest, 13281, 12366}} {
		p, err := LoadParallel(filepath.Join(dir, c.file), ParallelOptions{Format: FormatCMUdict})
		if err != nil {
			t.Fatal(err)
		}
		if p.Len() != c.pairs || p.Groups() != c.groups {
			t.Errorf("%s: %d pronunciations of %d words, want %d of %d", c.file, p.Len(), p.Groups(), c.pairs, c.groups)
		}
	}
}

func TestWhitespaceTokenizer(t *testing.T) {
	tok, err := NewTokenizer(WhitespaceTokenizer)
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string][]string{
		"AH0 B  K\tEH1\n":  {"AH0", "B", "K", "EH1"},
		"Le\x00chat, noir": {"Le", "chat,", "noir"},
		"   ":              {},
	} {
		if got := tok.Tokenize(text); !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("Tokenize(%q) = %q, want %q", text, got, want)
		}
	}
}
