package models

import (
	"math"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// logitRows reads the rows of a logits node ([..., V]) as its last run
// left them, float32 or float64, without copying them.
type logitRows struct {
	f32   []float32
	f64   []float64
	width int
}

// logitsOf returns the rows of n, whose last dimension is the row width.
func logitsOf(n *G.Node) (logitRows, error) {
	d, ok := n.Value().(*tensor.Dense)
	if !ok {
		return logitRows{}, errors.Errorf("models: logits %v have no value yet (Run first)", n.Name())
	}
	if d.IsMaterializable() {
		d = d.Materialize().(*tensor.Dense)
	}
	shape := d.Shape()
	l := logitRows{width: shape[len(shape)-1]}
	switch data := d.Data().(type) {
	case []float32:
		l.f32 = data
	case []float64:
		l.f64 = data
	default:
		return logitRows{}, errors.Errorf("models: logits of %v", d.Dtype())
	}
	return l, nil
}

// row returns row i.
func (l logitRows) row(i int) logitRow {
	from, to := i*l.width, (i+1)*l.width
	if l.f32 != nil {
		return logitRow{f32: l.f32[from:to]}
	}
	return logitRow{f64: l.f64[from:to]}
}

// logitRow is one row of logits [V].
type logitRow struct {
	f32 []float32
	f64 []float64
}

// len returns V.
func (r logitRow) len() int { return max(len(r.f32), len(r.f64)) }

// at returns logit i as float64.
func (r logitRow) at(i int) float64 {
	if r.f32 != nil {
		return float64(r.f32[i])
	}
	return r.f64[i]
}

// argmax returns the index of the largest logit (the first of equals).
func (r logitRow) argmax() int {
	best := 0
	if r.f32 != nil {
		for i, v := range r.f32 {
			if v > r.f32[best] {
				best = i
			}
		}
		return best
	}
	for i, v := range r.f64 {
		if v > r.f64[best] {
			best = i
		}
	}
	return best
}

// logSumExp returns log Σ exp(logit), computed in float64.
func (r logitRow) logSumExp() float64 {
	top := r.at(r.argmax())
	sum := 0.0
	for i := range r.len() {
		sum += math.Exp(r.at(i) - top)
	}
	return top + math.Log(sum)
}

// logProb returns log softmax(logits)[id], in float64.
func (r logitRow) logProb(id int) float64 { return r.at(id) - r.logSumExp() }

// float64s copies the row into dst (grown as needed) as float64.
func (r logitRow) float64s(dst []float64) []float64 {
	dst = dst[:0]
	for i := range r.len() {
		dst = append(dst, r.at(i))
	}
	return dst
}
