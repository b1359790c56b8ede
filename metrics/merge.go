package metrics

import "github.com/pkg/errors"

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
