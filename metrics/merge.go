package metrics

import (
	"slices"

	"github.com/pkg/errors"
)

// Merger is an Accumulator that adds up another's state: the measures of
// several workers or processes, each on its share of the data, combined
// as if one had measured it all.
type Merger interface {
	Accumulator
	// Merge adds other's counts, other being an accumulator of the same
	// kind over the same classes.
	Merge(other Accumulator) error
}

var (
	_ Merger = (*Classes)(nil)
	_ Merger = (*Tokens)(nil)
	_ Merger = (*Tagging)(nil)
	_ Merger = (*Transduction)(nil)
)

// Merge adds the confusion counts of other, a *Classes over the same
// classes.
func (c *Classes) Merge(other Accumulator) error {
	o, ok := other.(*Classes)
	if !ok {
		return errors.Errorf("metrics: merging a %T into a *metrics.Classes", other)
	}
	return c.Confusion.Merge(o.Confusion)
}

// Merge adds the summed loss, tokens and correct predictions of other, a
// *Tokens.
func (t *Tokens) Merge(other Accumulator) error {
	o, ok := other.(*Tokens)
	if !ok {
		return errors.Errorf("metrics: merging a %T into a *metrics.Tokens", other)
	}
	if o.PerChar != t.PerChar {
		return errors.Errorf("metrics: merging per-character tokens (%v) into per-character %v", o.PerChar, t.PerChar)
	}
	t.LossSum += o.LossSum
	t.Tokens += o.Tokens
	t.Correct += o.Correct
	return nil
}

// Merge adds the token and span counts of other, a *Tagging over the same
// tags and scheme.
func (m *Tagging) Merge(other Accumulator) error {
	o, ok := other.(*Tagging)
	if !ok {
		return errors.Errorf("metrics: merging a %T into a *metrics.Tagging", other)
	}
	if !slices.Equal(o.Names, m.Names) || o.Scheme != m.Scheme {
		return errors.Errorf("metrics: merging tags %v (%v) into tags %v (%v)", o.Names, o.Scheme, m.Names, m.Scheme)
	}
	m.Tokens += o.Tokens
	m.Correct += o.Correct
	for _, counts := range []struct {
		into *map[string]int
		from map[string]int
	}{{&m.Gold, o.Gold}, {&m.Found, o.Found}, {&m.Hit, o.Hit}} {
		if *counts.into == nil {
			*counts.into = map[string]int{}
		}
		for typ, n := range counts.from {
			(*counts.into)[typ] += n
		}
	}
	return nil
}

// Merge adds other's teacher-forced token counts and decoded sources, a
// *Transduction: a source both hold keeps other's output, as a later
// AddDecoded would, and gains other's references.
func (t *Transduction) Merge(other Accumulator) error {
	o, ok := other.(*Transduction)
	if !ok {
		return errors.Errorf("metrics: merging a %T into a *metrics.Transduction", other)
	}
	if err := t.Tokens.Merge(&o.Tokens); err != nil {
		return err
	}
	for key, d := range o.Sources {
		if t.Sources == nil {
			t.Sources = map[string]*Decoded{}
		}
		mine, ok := t.Sources[key]
		if !ok {
			mine = &Decoded{}
			t.Sources[key] = mine
		}
		mine.Output = append(mine.Output[:0], d.Output...)
		for _, r := range d.References {
			if !slices.ContainsFunc(mine.References, func(have []int) bool { return slices.Equal(have, r) }) {
				mine.References = append(mine.References, append([]int(nil), r...))
			}
		}
	}
	return nil
}
