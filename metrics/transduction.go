package metrics

import (
	"slices"
	"strconv"
	"strings"
)

// LowestWER is the objective of sequence-to-sequence models such as
// grapheme-to-phoneme converters: the lowest word error rate of decoded
// outputs.
var LowestWER = Objective{Score: "wer"}

// Transduction accumulates a sequence-to-sequence task: the decoder's
// per-token measures under teacher forcing (Tokens: "accuracy",
// "perplexity"), and for outputs decoded from the sources alone, the word
// and the phoneme (token) error rates against every reference of each
// source:
//
//	wer = sources whose output equals none of their references / sources
//	per = Σ_sources d(output, r*) / Σ_sources len(r*)
//
// where d is the edit distance (EditDistance) and r* the source's
// reference closest to the output (the first of the closest when several
// are). A source with several references (a word with alternate
// pronunciations) counts once. Its state survives encoding/json.
type Transduction struct {
	Tokens Tokens `json:"tokens"`
	// Sources holds each decoded source's output and references, by
	// SourceKey.
	Sources map[string]*Decoded `json:"sources,omitempty"`
}

// Decoded is one source's decoded output and its references, token ids
// without <bos> or <eos>.
type Decoded struct {
	Output     []int   `json:"output"`
	References [][]int `json:"references"`
}

// SourceKey returns the key under which Transduction keeps a source's
// output: its ids in decimal, separated by spaces.
func SourceKey(source []int) string {
	var b strings.Builder
	for i, id := range source {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(id))
	}
	return b.String()
}

// AddDecoded records the output decoded for source and one of its
// references. Calls for one source (a word's alternates, each a row of the
// data) add references; the output is the last call's, the same for a
// deterministic decoder.
func (t *Transduction) AddDecoded(source, output, reference []int) {
	if t.Sources == nil {
		t.Sources = map[string]*Decoded{}
	}
	key := SourceKey(source)
	d, ok := t.Sources[key]
	if !ok {
		d = &Decoded{}
		t.Sources[key] = d
	}
	d.Output = append(d.Output[:0], output...)
	for _, r := range d.References {
		if slices.Equal(r, reference) {
			return
		}
	}
	d.References = append(d.References, append([]int(nil), reference...))
}

// Errors returns the source's edit distance to its closest reference and
// that reference's length; the output is right when the distance is 0.
func (d *Decoded) Errors() (distance, length int) {
	distance = -1
	for _, r := range d.References {
		if e := EditDistance(d.Output, r); distance < 0 || e < distance {
			distance, length = e, len(r)
		}
	}
	return distance, length
}

// Scores returns the teacher-forced "accuracy" and "perplexity" when
// tokens were counted, and "wer" and "per" when outputs were decoded.
func (t *Transduction) Scores() Scores {
	s := t.Tokens.Scores()
	if len(t.Sources) == 0 {
		return s
	}
	wrong, distance, length := 0, 0, 0
	for _, d := range t.Sources {
		e, n := d.Errors()
		if e != 0 {
			wrong++
		}
		distance += e
		length += n
	}
	s["wer"] = float64(wrong) / float64(len(t.Sources))
	if length > 0 {
		s["per"] = float64(distance) / float64(length)
	}
	return s
}

// EditDistance returns the Levenshtein distance between a and b: the
// fewest insertions, deletions and substitutions of one token that turn a
// into b.
func EditDistance(a, b []int) int {
	row := make([]int, len(b)+1)
	for j := range row {
		row[j] = j
	}
	for i := 1; i <= len(a); i++ {
		diagonal := row[0]
		row[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			next := min(row[j]+1, row[j-1]+1, diagonal+cost)
			diagonal, row[j] = row[j], next
		}
	}
	return row[len(b)]
}
