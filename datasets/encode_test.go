package datasets

import (
	"reflect"
	"testing"
)

func TestEncode(t *testing.T) {
	ds := &Dataset{Path: "d.csv", Classes: []string{"a", "b"}, Examples: []Example{
		{Text: "The cat.", Label: 0, Line: 2},
		{Text: "?!", Label: 1, Line: 3}, // tokens, all known
		{Text: ";:", Label: 1, Line: 4}, // no tokens
		{Text: "a dog", Label: 1, Line: 5},
	}}
	tok, _ := NewTokenizer("basic_english")
	v, err := VocabFromTokens([][]string{{"the", "cat", ".", "?", "!"}}, VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Encode(ds, tok, v, EncodeOptions{})
	wantError(t, err, `d.csv:4: text has no basic_english tokens: ";:"`)

	enc, err := Encode(ds, tok, v, EncodeOptions{Lenient: true})
	if err != nil {
		t.Fatal(err)
	}
	want := &Encoded{
		IDs:      [][]int{{v.ID("the"), v.ID("cat"), v.ID(".")}, {v.ID("?"), v.ID("!")}, {UnkID, UnkID}},
		Labels:   []int{0, 1, 1},
		Examples: []int{0, 1, 3},
		Classes:  ds.Classes,
		Skipped:  []SkippedRow{{Line: 4, Reason: `text has no basic_english tokens: ";:"`}},
	}
	if !reflect.DeepEqual(enc, want) {
		t.Errorf("got  %+v\nwant %+v", enc, want)
	}
	if enc.Len() != 3 {
		t.Errorf("Len() = %d", enc.Len())
	}
}

func TestEncodeErrors(t *testing.T) {
	tok, _ := NewTokenizer("char")
	v, _ := VocabFromTokens(nil, VocabOptions{})
	_, err := Encode(&Dataset{Path: "p", Classes: []string{"a"}, Examples: []Example{{Text: "x", Label: 1, Line: 9}}}, tok, v, EncodeOptions{})
	wantError(t, err, "p:9: label 1 is not a class index")

	_, err = Encode(&Dataset{Path: "p", Classes: []string{"a"}, Examples: []Example{{Text: "", Line: 1}}}, tok, v, EncodeOptions{Lenient: true})
	wantError(t, err, "p: no example has char tokens")

	dirDataset := &Dataset{Path: "root", Files: []string{"neg/1.txt"}, Classes: []string{"neg"}, Examples: []Example{{Text: "", Line: 1}}}
	_, err = Encode(dirDataset, tok, v, EncodeOptions{})
	wantError(t, err, "root/neg/1.txt: text has no char tokens")
}
