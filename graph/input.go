package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Input is a float input of a graph whose value the caller sets between
// runs: an initial state carried over from a previous window or step,
// say. It starts at zero.
type Input struct {
	node *G.Node
}

// NewInput declares a float input of the given shape, called name.
func (g *Graph) NewInput(name string, shape ...int) (*Input, error) {
	for _, d := range shape {
		if d <= 0 {
			return nil, errors.Errorf("graph: input %q: shape %v must be positive", name, shape)
		}
	}
	v := tensor.New(tensor.Of(g.params.dtype), tensor.WithShape(shape...))
	n := G.NewTensor(g.expr, g.params.dtype, len(shape), G.WithShape(shape...), G.WithName(g.uniqueName(name)), G.WithValue(v))
	return &Input{node: n}, nil
}

// Node returns the input's node, for building it into layers.
func (in *Input) Node() *G.Node { return in.node }

// Set copies values (row-major, the input's size) into the input.
func (in *Input) Set(values []float64) error {
	d := in.node.Value().(*tensor.Dense)
	if len(values) != d.Shape().TotalSize() {
		return errors.Errorf("graph: input %s: %d values for shape %v", in.node.Name(), len(values), d.Shape())
	}
	copyInto(d, values)
	return nil
}

// Zero sets the input to zeros.
func (in *Input) Zero() { in.node.Value().(*tensor.Dense).Zero() }

// Load copies the value n had in its graph's last run (of the input's
// shape and dtype) into the input: the value only, so no gradient flows
// back into n's graph. Carrying a final state into the next window's
// initial state this way is truncated backpropagation through time's
// detach.
func (in *Input) Load(n *G.Node) error {
	src, ok := n.Value().(*tensor.Dense)
	if !ok {
		return errors.Errorf("graph: input %s: node %s has no value yet (Run first)", in.node.Name(), n.Name())
	}
	dst := in.node.Value().(*tensor.Dense)
	if !src.Shape().Eq(dst.Shape()) || src.Dtype() != dst.Dtype() {
		return errors.Errorf("graph: input %s: node %s is %v %v, want %v %v", in.node.Name(), n.Name(), src.Shape(), src.Dtype(), dst.Shape(), dst.Dtype())
	}
	if src.IsMaterializable() {
		src = src.Materialize().(*tensor.Dense)
	}
	copyInto(dst, toFloat64s(src))
	return nil
}
