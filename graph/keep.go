package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// keepKernel is the identity, as one op whose output is its own memory.
// Gorgonia's tape machine lets an elementwise op overwrite its first input
// in place once no later op reads it, so a node that the caller reads
// after Run (a state returned by a step, to carry into the next one) could
// be overwritten by the ops that consume it. A Composed cell step
// therefore reads the previous state through this copy, and the caller's
// node is never an in-place op's input. Its gradient is the output's.
type keepKernel[T float] struct {
	shape      tensor.Shape
	out, grad  *tensor.Dense
	outs, grds []T
}

func newKeepKernel[T float](shape tensor.Shape) *keepKernel[T] {
	k := &keepKernel[T]{shape: shape.Clone()}
	k.out, k.outs = newBuffer[T](shape...)
	k.grad, k.grds = newBuffer[T](shape...)
	return k
}

func (k *keepKernel[T]) name() string                        { return "keep" }
func (k *keepKernel[T]) outputShape() tensor.Shape           { return k.shape.Clone() }
func (k *keepKernel[T]) secondaryShapes() []tensor.Shape     { return nil }
func (k *keepKernel[T]) diffWRT() []bool                     { return []bool{true} }
func (k *keepKernel[T]) secondary(int) G.Value               { return nil }
func (k *keepKernel[T]) setSecondaryGrad(int, G.Value) error { return nil }
func (k *keepKernel[T]) inputGrad(int) G.Value               { return k.grad }

func (k *keepKernel[T]) forward(inputs []G.Value) (G.Value, error) {
	x, err := valueData[T](inputs[0])
	if err != nil {
		return nil, errors.Wrap(err, "input")
	}
	copy(k.outs, x)
	return k.out, nil
}

func (k *keepKernel[T]) backward(outGrad G.Value) error {
	d, err := valueData[T](outGrad)
	if err != nil {
		return errors.Wrap(err, "output gradient")
	}
	copy(k.grds, d)
	return nil
}

// keep returns n unchanged in a Fused graph, whose kernels never write
// their inputs, and a copy of n in a Composed one (see keepKernel).
func keep(g *Graph, n *G.Node) *G.Node {
	if n == nil || g.cfg.Impl == Fused {
		return n
	}
	var k kernel
	if g.Dtype() == tensor.Float32 {
		k = newKeepKernel[float32](n.Shape())
	} else {
		k = newKeepKernel[float64](n.Shape())
	}
	return applyKernel(g, k, n).out
}

// Readable returns a node that holds n's value after Run, for a caller to
// read: n itself in a Fused graph, a copy of n in a Composed one, whose
// tape machine may reuse the memory of an intermediate node (a decoder
// step's state, or outputs a loss also consumes, such as a tagger's
// emission scores) once the ops that read it have run.
func Readable(g *Graph, n *G.Node) (r *G.Node, err error) {
	defer recoverTo(&err, "graph: readable node")
	return keep(g, n), nil
}
