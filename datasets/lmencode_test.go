package datasets

import (
	"slices"
	"testing"
)

func TestBuildCorpusVocab(t *testing.T) {
	tok, _ := NewTokenizer(BasicEnglishTokenizer)
	c := &Corpus{Path: "c", Texts: []string{"a b b <eos>", "c b a"}}
	cases := []struct {
		name string
		opts VocabOptions
		want []string
	}{
		{"all", VocabOptions{}, []string{PadToken, UnkToken, BOSToken, EOSToken, "b", "a", "c"}},
		{"max size counts the specials", VocabOptions{MaxSize: 5}, []string{PadToken, UnkToken, BOSToken, EOSToken, "b"}},
		{"min freq", VocabOptions{MinFreq: 2}, []string{PadToken, UnkToken, BOSToken, EOSToken, "b", "a"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := BuildCorpusVocab(c, tok, []string{BOSToken, EOSToken}, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(v.Tokens(), tc.want) || v.Tokenizer() != BasicEnglishTokenizer {
				t.Errorf("tokens %q (%s), want %q", v.Tokens(), v.Tokenizer(), tc.want)
			}
		})
	}
	for _, bad := range []struct {
		specials []string
		opts     VocabOptions
	}{
		{[]string{BOSToken, EOSToken}, VocabOptions{MaxSize: 3}},
		{[]string{PadToken}, VocabOptions{}},
		{[]string{EOSToken, EOSToken}, VocabOptions{}},
	} {
		if _, err := BuildCorpusVocab(c, tok, bad.specials, bad.opts); err == nil {
			t.Errorf("specials %q, %+v: no error", bad.specials, bad.opts)
		}
	}
}

// lmVocab returns a character vocabulary of texts with <bos> and <eos>.
func lmVocab(t *testing.T, texts ...string) (*Corpus, Tokenizer, *Vocab) {
	t.Helper()
	tok, _ := NewTokenizer(CharTokenizer)
	c := &Corpus{Path: "c", Texts: texts, Lines: make([]int, len(texts))}
	v, err := BuildCorpusVocab(c, tok, []string{BOSToken, EOSToken}, VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return c, tok, v
}

func TestEncodeDocuments(t *testing.T) {
	c, tok, v := lmVocab(t, "ab", "b")
	enc, err := EncodeDocuments(c, tok, v)
	if err != nil {
		t.Fatal(err)
	}
	bos, eos, a, b := v.ID(BOSToken), v.ID(EOSToken), v.ID("a"), v.ID("b")
	wantIDs := [][]int{{bos, a, b}, {bos, b}}
	wantTargets := [][]int{{a, b, eos}, {b, eos}}
	for i := range wantIDs {
		if !slices.Equal(enc.IDs[i], wantIDs[i]) || !slices.Equal(enc.Targets[i], wantTargets[i]) {
			t.Errorf("row %d: ids %v targets %v, want %v %v", i, enc.IDs[i], enc.Targets[i], wantIDs[i], wantTargets[i])
		}
	}
	if enc.Labels != nil {
		t.Error("a language model's rows have labels")
	}
}

// TestEncodeStream checks the windows against PyTorch's batchify and
// get_batch, written out by hand for a stream of 14 tokens (0..13 as
// positions), 3 columns (4 tokens each, 2 dropped) and bptt 2: column c
// holds positions 4c..4c+3, windows start at 0 and 2, the second one step
// long (n-1-2 = 1).
func TestEncodeStream(t *testing.T) {
	c, tok, v := lmVocab(t, "abcdef", "ghijkl") // 6 + eos + 6 + eos = 14 tokens
	enc, err := EncodeStream(c, tok, v, StreamOptions{Columns: 3, BPTT: 2})
	if err != nil {
		t.Fatal(err)
	}
	eos := v.ID(EOSToken)
	stream := v.Encode(tok.Tokenize("abcdef"))
	stream = append(append(append(stream, eos), v.Encode(tok.Tokenize("ghijkl"))...), eos)
	at := func(positions ...int) []int {
		ids := make([]int, len(positions))
		for i, p := range positions {
			ids[i] = stream[p]
		}
		return ids
	}
	want := []struct{ ids, targets []int }{
		{at(0, 1), at(1, 2)}, {at(4, 5), at(5, 6)}, {at(8, 9), at(9, 10)}, // window 0, columns 0..2
		{at(2), at(3)}, {at(6), at(7)}, {at(10), at(11)}, // window 1
	}
	if len(enc.IDs) != len(want) {
		t.Fatalf("%d rows, want %d", len(enc.IDs), len(want))
	}
	for i, w := range want {
		if !slices.Equal(enc.IDs[i], w.ids) || !slices.Equal(enc.Targets[i], w.targets) {
			t.Errorf("row %d: ids %v targets %v, want %v %v", i, enc.IDs[i], enc.Targets[i], w.ids, w.targets)
		}
	}
}

func TestEncodeLMBadInput(t *testing.T) {
	c, tok, v := lmVocab(t, "abc")
	words, _ := NewTokenizer(BasicEnglishTokenizer)
	plain, err := BuildCorpusVocab(c, tok, nil, VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		run  func() error
		want string
	}{
		{"stream shorter than a window", func() error {
			_, err := EncodeStream(c, tok, v, StreamOptions{Columns: 2, BPTT: 2})
			return err
		}, "shorter than one window"},
		{"zero columns", func() error {
			_, err := EncodeStream(c, tok, v, StreamOptions{BPTT: 2})
			return err
		}, "must be positive"},
		{"no specials", func() error {
			_, err := EncodeDocuments(c, tok, plain)
			return err
		}, "no <bos> token"},
		{"other tokenizer", func() error {
			_, err := EncodeDocuments(c, words, v)
			return err
		}, "the vocabulary holds char tokens"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { wantError(t, tc.run(), tc.want) })
	}
}

// TestEncodeSpecialSpelledInText maps a token spelled like a special one
// to <unk>: only the encoder puts <bos> and <eos> into a row.
func TestEncodeSpecialSpelledInText(t *testing.T) {
	tok, _ := NewTokenizer(BasicEnglishTokenizer)
	c := &Corpus{Path: "c", Texts: []string{"a <eos> b"}, Lines: []int{1}}
	v, err := BuildCorpusVocab(c, tok, []string{BOSToken, EOSToken}, VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := EncodeDocuments(c, tok, v)
	if err != nil {
		t.Fatal(err)
	}
	if got := enc.IDs[0][2]; got != UnkID {
		t.Errorf("the text's <eos> has id %d, want <unk> (%d)", got, UnkID)
	}
}
