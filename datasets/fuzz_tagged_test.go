package datasets

import (
	"math"
	"strings"
	"testing"
	"unicode"
)

// FuzzLoadCoNLL feeds arbitrary bytes to the tagging loaders, CoNLL and
// JSON Lines, strict and lenient, with a small line limit or none. Nothing
// may panic, and every sentence read must be usable: tokens and as many
// tags, none empty, tags free of white space, at most MaxTokens.
func FuzzLoadCoNLL(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, limit uint16, tagCol int8) {
		dir := t.TempDir()
		for _, name := range []string{"data.conll", "data.jsonl"} {
			path := writeFile(t, dir, name, string(data))
			for _, lenient := range []bool{false, true} {
				opts := TaggedOptions{TagColumn: int(tagCol % 4), MaxLineBytes: int(limit), MaxTokens: 50, Lenient: lenient}
				d, err := LoadTagged(path, opts)
				if err != nil {
					continue
				}
				for _, s := range d.Sentences {
					if len(s.Tokens) == 0 || len(s.Tokens) != len(s.Tags) || len(s.Tokens) > 50 || s.Line < 1 {
						t.Fatalf("%s: sentence %+v", name, s)
					}
					for i, token := range s.Tokens {
						if token == "" || strings.ContainsAny(token, "\r\n") || s.Tags[i] == "" || strings.ContainsFunc(s.Tags[i], unicode.IsSpace) {
							t.Fatalf("%s: token %q tag %q", name, token, s.Tags[i])
						}
					}
				}
				if _, err := TagSetOf(d.Sentences); err != nil {
					t.Fatalf("%s: the tags make no tag set: %v", name, err)
				}
			}
		}
	})
}

// FuzzReadVectors feeds arbitrary bytes to ReadVectors. Nothing may
// panic, and the vectors read must all have the dimension, with finite
// values.
func FuzzReadVectors(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, limit uint16) {
		v, err := ReadVectors(writeFile(t, t.TempDir(), "v.vec", string(data)), VectorOptions{MaxLineBytes: int(limit)})
		if err != nil {
			return
		}
		if v.Dim < 1 || v.Dim > MaxVectorDim || len(v.values) != v.Len()*v.Dim {
			t.Fatalf("dim %d, %d words, %d values", v.Dim, v.Len(), len(v.values))
		}
		for _, word := range v.Words() {
			vec, ok := v.Vector(word)
			if !ok || len(vec) != v.Dim || word == "" {
				t.Fatalf("word %q: %v %v", word, vec, ok)
			}
			for _, x := range vec {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					t.Fatalf("word %q: value %v", word, x)
				}
			}
		}
	})
}
