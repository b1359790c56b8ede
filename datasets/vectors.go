package datasets

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pkg/errors"
)

// MaxVectorDim bounds the dimension of pretrained vectors: 65,536.
const MaxVectorDim = 1 << 16

// Vectors are pretrained word vectors (GloVe, word2vec, fastText), read
// from their text form by ReadVectors.
type Vectors struct {
	Path   string
	Dim    int
	words  []string
	index  map[string]int
	values []float32 // [len(words)*Dim]
}

// VectorOptions say what ReadVectors keeps. The zero value keeps every
// word.
type VectorOptions struct {
	// Want, when not nil, keeps only the words it accepts (a
	// vocabulary's, say), so that a large file costs no more memory than
	// the vectors used; the other lines are checked for their number of
	// fields but their values are not parsed. Default nil: every word.
	Want func(word string) bool
	// MaxLineBytes is the longest line accepted. Default
	// DefaultMaxLineBytes.
	MaxLineBytes int
}

// ReadVectors reads word vectors in text form: one word a line followed
// by its values, separated by spaces, as GloVe writes them, or with a
// first line "COUNT DIM" as word2vec's text format and fastText's .vec
// have. A word may itself hold spaces (GloVe's 840B vectors have some):
// the last Dim fields of a line are its values. Blank lines are skipped;
// the first vector of a word repeated later is kept.
//
// Errors name the file and line: a line with another number of values
// than the header's or the first line's dimension, a value that is not a
// finite number, invalid UTF-8, a line over MaxLineBytes, and a file with
// no vector.
func ReadVectors(path string, opts VectorOptions) (*Vectors, error) {
	if opts.MaxLineBytes == 0 {
		opts.MaxLineBytes = DefaultMaxLineBytes
	}
	f, err := openData(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	v := &Vectors{Path: path, index: map[string]int{}}
	lines := newLineReader(f, opts.MaxLineBytes)
	bad := func(line int, format string, args ...any) error {
		return &RowError{Path: path, Line: line, Problem: fmt.Sprintf(format, args...)}
	}
	for {
		line, err := lines.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errors.Wrapf(err, "read %s", path)
		}
		if line.overlong {
			return nil, bad(line.number, "%s", overlongProblem(line.number, opts.MaxLineBytes))
		}
		text := string(trimCR(line.text))
		if isBlank([]byte(text)) {
			continue
		}
		if !utf8.ValidString(text) {
			return nil, bad(line.number, "invalid UTF-8")
		}
		fields := strings.Fields(text)
		if v.Dim == 0 {
			if dim, ok := vectorHeader(fields); ok && line.number == 1 {
				if dim < 1 || dim > MaxVectorDim {
					return nil, bad(line.number, "header dimension %d, want 1..%d", dim, MaxVectorDim)
				}
				v.Dim = dim
				continue
			}
			if v.Dim = len(fields) - 1; v.Dim < 1 || v.Dim > MaxVectorDim {
				return nil, bad(line.number, "%d fields: want a word and 1..%d values", len(fields), MaxVectorDim)
			}
		}
		if len(fields) < v.Dim+1 {
			return nil, bad(line.number, "%d values, want %d (the vectors' dimension)", len(fields)-1, v.Dim)
		}
		word := strings.Join(fields[:len(fields)-v.Dim], " ")
		if _, dup := v.index[word]; dup || (opts.Want != nil && !opts.Want(word)) {
			continue
		}
		at := len(v.values)
		for i, field := range fields[len(fields)-v.Dim:] {
			x, err := strconv.ParseFloat(field, 32)
			if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
				v.values = v.values[:at]
				return nil, bad(line.number, "value %d %s is not a finite number", i+1, excerpt([]byte(field)))
			}
			v.values = append(v.values, float32(x))
		}
		v.index[word] = len(v.words)
		v.words = append(v.words, word)
	}
	if v.Dim == 0 {
		return nil, errors.Errorf("%s: no vectors", path)
	}
	return v, nil
}

// vectorHeader reports whether fields are a word2vec / fastText header,
// "COUNT DIM", and its dimension.
func vectorHeader(fields []string) (int, bool) {
	if len(fields) != 2 {
		return 0, false
	}
	count, err1 := strconv.Atoi(fields[0])
	dim, err2 := strconv.Atoi(fields[1])
	return dim, err1 == nil && err2 == nil && count >= 0
}

// Len returns the number of words kept.
func (v *Vectors) Len() int { return len(v.words) }

// Words returns the words kept, in file order.
func (v *Vectors) Words() []string { return append([]string(nil), v.words...) }

// Vector returns the vector of word, [Dim], and whether there is one.
func (v *Vectors) Vector(word string) ([]float32, bool) {
	i, ok := v.index[word]
	if !ok {
		return nil, false
	}
	return v.values[i*v.Dim : (i+1)*v.Dim], true
}

// Coverage says how many of a vocabulary's tokens pretrained vectors
// cover.
type Coverage struct {
	Tokens    int      // the vocabulary's tokens, PadToken and UnkToken left out
	Exact     int      // tokens with a vector of their own
	Lowercase int      // tokens without one whose lowercase form has one
	Missing   []string // the first MaxMissingShown tokens with neither, in id order
	Absent    int      // all tokens with neither
}

// MaxMissingShown bounds Coverage.Missing.
const MaxMissingShown = 10

// String reports the coverage in one line.
func (c Coverage) String() string {
	found := c.Exact + c.Lowercase
	s := fmt.Sprintf("%d of %d vocabulary tokens have a vector (%.1f%%: %d exact, %d by their lowercase form), %d have none",
		found, c.Tokens, 100*float64(found)/float64(max(c.Tokens, 1)), c.Exact, c.Lowercase, c.Absent)
	if len(c.Missing) > 0 {
		s += fmt.Sprintf(" (e.g. %s)", strings.Join(c.Missing, " "))
	}
	return s
}

// Lookup returns the vector of each token of vocab, [Len()][Dim] (nil for
// PadToken, UnkToken and tokens without one): its own, or else its
// lowercase form's. Coverage counts them.
func (v *Vectors) Lookup(vocab *Vocab) ([][]float32, Coverage) {
	rows := make([][]float32, vocab.Len())
	var c Coverage
	for id := UnkID + 1; id < vocab.Len(); id++ {
		token := vocab.Token(id)
		c.Tokens++
		if vec, ok := v.Vector(token); ok {
			rows[id] = vec
			c.Exact++
		} else if vec, ok := v.Vector(strings.ToLower(token)); ok {
			rows[id] = vec
			c.Lowercase++
		} else {
			c.Absent++
			if len(c.Missing) < MaxMissingShown {
				c.Missing = append(c.Missing, token)
			}
		}
	}
	return rows, c
}

// WantedBy returns a VectorOptions.Want that keeps the vectors Lookup
// reads for vocab: its tokens' and their lowercase forms'.
func WantedBy(vocab *Vocab) func(word string) bool {
	want := make(map[string]bool, 2*vocab.Len())
	for _, token := range vocab.tokens[UnkID+1:] {
		want[token] = true
		want[strings.ToLower(token)] = true
	}
	return func(word string) bool { return want[word] }
}

// AddWords returns vocab with the vectors' words it lacks appended, in
// file order, up to maxSize tokens in all (0: no bound): words that a
// model trained on vocab never saw but can then look up, with their
// pretrained vectors. A word that cannot be a token (a line break, or a
// special token's name) is left out. The vocabulary's tokenizer is kept.
func (v *Vectors) AddWords(vocab *Vocab, maxSize int) *Vocab {
	tokens := vocab.Tokens()
	for _, word := range v.words {
		if maxSize > 0 && len(tokens) >= maxSize {
			break
		}
		if _, ok := vocab.ids[word]; ok || strings.ContainsAny(word, "\r\n") {
			continue
		}
		tokens = append(tokens, word)
	}
	out := newVocab(tokens)
	out.tokenizer = vocab.tokenizer
	return out
}
