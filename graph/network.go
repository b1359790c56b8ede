package graph

import (
	"math"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Mode is what a network is built for.
type Mode int

const (
	// Train networks apply dropout and compute the loss and its gradients.
	Train Mode = iota
	// Evaluate networks compute the loss without dropout or gradients.
	Evaluate
	// Predict networks compute only the logits; batches need no labels.
	Predict
)

// String returns "train", "evaluate" or "predict".
func (m Mode) String() string {
	switch m {
	case Train:
		return "train"
	case Evaluate:
		return "evaluate"
	}
	return "predict"
}

// Network is a classifier compiled into one graph: the logits [B, C] of
// each row and, unless built for Predict, the mean cross-entropy loss.
type Network struct {
	*Graph
	Mode   Mode
	Logits *G.Node
	Loss   *G.Node // nil for Predict
}

// LossValue returns the loss of the last Run.
func (n *Network) LossValue() (float64, error) {
	if n.Loss == nil {
		return 0, errors.New("graph: a Predict network has no loss")
	}
	switch v := n.Loss.Value().(type) {
	case *G.F32:
		return float64(*v), nil
	case *G.F64:
		return float64(*v), nil
	case *tensor.Dense:
		return toFloat64s(v)[0], nil
	}
	return 0, errors.Errorf("graph: no loss value yet (Run first)")
}

// LogitValues returns the logits [B*C] of the last Run, row-major.
func (n *Network) LogitValues() ([]float64, error) {
	v, ok := n.Logits.Value().(*tensor.Dense)
	if !ok {
		return nil, errors.New("graph: no logits yet (Run first)")
	}
	return toFloat64s(v), nil
}

// Predictions writes each row's most likely class into classes [B] and,
// when probs is not nil, the softmax probabilities into probs [B*C],
// computed in float64 from the logits of the last Run.
func (n *Network) Predictions(classes []int, probs []float64) error {
	logits, err := n.LogitValues()
	if err != nil {
		return err
	}
	c := n.Logits.Shape()[1]
	if len(classes) != len(logits)/c || (probs != nil && len(probs) != len(logits)) {
		return errors.Errorf("graph: predictions for %d rows of %d classes", len(logits)/c, c)
	}
	for b := range classes {
		row := logits[b*c : (b+1)*c]
		best := 0
		for j, x := range row {
			if x > row[best] {
				best = j
			}
		}
		classes[b] = best
		if probs == nil {
			continue
		}
		p := probs[b*c : (b+1)*c]
		sum := 0.0
		for j, x := range row {
			p[j] = math.Exp(x - row[best])
			sum += p[j]
		}
		for j := range p {
			p[j] /= sum
		}
	}
	return nil
}
