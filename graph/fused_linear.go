package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// linearKernel applies a linear layer at every step of a sequence as one
// op: y = x Wᵀ + b over the batch's padded length, one matrix product for
// all its steps. Inputs: x [T, B, In], the layout of x's token sequence,
// weight [Out, In], bias [Out]; output [T, B, Out], zero past the padded
// length. Its backward returns the gradients of x, the weight and the
// bias.
type linearKernel[T float] struct {
	g             *Graph
	key           string
	l             *Linear
	steps, in, nu int // capacity T, In, Out
	rows          int // B * the padded length of the last forward
	x             []T // the input of the last forward (for the weight's gradient)

	outDense, dxDense, dwDense, dbDense *tensor.Dense
	out, dx, dw, db                     []T
}

func newLinearKernel[T float](g *Graph, l *Linear, steps int) *linearKernel[T] {
	k := &linearKernel[T]{g: g, key: g.kernelKey("linear"), l: l, steps: steps, in: l.In, nu: l.Out}
	size := steps * g.cfg.Batch
	g.workspace.reserve(k.key+"/out", size*l.Out)
	g.workspace.reserve(k.key+"/dx", size*l.In)
	g.workspace.reserve(k.key+"/x", size*l.In)
	return k
}

func (k *linearKernel[T]) name() string { return "fused_linear" }
func (k *linearKernel[T]) outputShape() tensor.Shape {
	return tensor.Shape{k.steps, k.g.cfg.Batch, k.nu}
}
func (k *linearKernel[T]) secondaryShapes() []tensor.Shape     { return nil }
func (k *linearKernel[T]) diffWRT() []bool                     { return []bool{true, false, true, true} }
func (k *linearKernel[T]) secondary(int) G.Value               { return nil }
func (k *linearKernel[T]) setSecondaryGrad(int, G.Value) error { return nil }
func (k *linearKernel[T]) inputGrad(i int) G.Value {
	switch i {
	case 0:
		return k.dxDense
	case 2:
		return k.dwDense
	}
	return k.dbDense
}

func (k *linearKernel[T]) forward(inputs []G.Value) (G.Value, error) {
	x, err := valueData[T](inputs[0])
	if err != nil {
		return nil, errors.Wrap(err, "input")
	}
	_, steps, err := layoutOf(inputs[1])
	if err != nil {
		return nil, err
	}
	w, err := valueData[T](inputs[2])
	if err != nil {
		return nil, errors.Wrap(err, "weight")
	}
	b, err := valueData[T](inputs[3])
	if err != nil {
		return nil, errors.Wrap(err, "bias")
	}
	ws, batch := k.g.workspace, k.g.cfg.Batch
	k.rows = steps * batch
	sharedTensorPrefix(ws, k.key+"/out", k.rows*k.nu, &k.outDense, &k.out, k.steps, batch, k.nu)
	gemm(false, true, k.rows, k.nu, k.in, x, k.in, w, k.in, 0, k.out, k.nu)
	addRows(k.out[:k.rows*k.nu], b)
	if k.g.learning {
		// The input is Gorgonia's memory: keep a copy for the backward pass.
		k.x = append(buffer[T](ws, k.key+"/x", k.rows*k.in)[:0], x[:k.rows*k.in]...)
	}
	return k.outDense, nil
}

func (k *linearKernel[T]) backward(outGrad G.Value) error {
	dy, err := valueData[T](outGrad)
	if err != nil {
		return errors.Wrap(err, "output gradient")
	}
	ws, batch, n := k.g.workspace, k.g.cfg.Batch, k.rows
	w := paramData[T](k.l.Weight)
	sharedTensorPrefix(ws, k.key+"/dx", n*k.in, &k.dxDense, &k.dx, k.steps, batch, k.in)
	sharedTensorDirty(ws, k.key+"/dw", &k.dwDense, &k.dw, k.nu, k.in)
	sharedTensor(ws, k.key+"/db", &k.dbDense, &k.db, k.nu)
	gemm(false, false, n, k.in, k.nu, dy, k.nu, w, k.in, 0, k.dx, k.in)
	gemm(true, false, k.nu, k.in, n, dy, k.nu, k.x, k.in, 0, k.dw, k.in)
	addColumnSums(k.db, dy[:n*k.nu])
	k.x = nil
	return nil
}
