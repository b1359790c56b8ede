package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// poolKernel reduces a sequence [T, B, F] over its steps to [B, F] as one
// op: Mean and Max over each row's real tokens, MeanAll over the batch's
// padded length. Inputs: the sequence and its token sequence's layout.
type poolKernel[T float] struct {
	g        *Graph
	mode     Pooling
	capacity int // T
	width    int
	lengths  []int // the rows' lengths in the last forward
	active   int   // its padded length
	outDense *tensor.Dense
	out      []T
	argmax   []int // [B, F] step of each maximum
	dxDense  *tensor.Dense
	dx       []T
	key      string // names the kernel's input gradient in the workspace
}

func newPoolKernel[T float](g *Graph, mode Pooling, steps, width int) *poolKernel[T] {
	k := &poolKernel[T]{g: g, key: g.kernelKey("pool"), mode: mode, capacity: steps, width: width}
	g.workspace.reserve(k.key+"/dx", steps*g.cfg.Batch*width)
	k.outDense, k.out = newBuffer[T](g.cfg.Batch, width)
	if mode == Max {
		k.argmax = make([]int, g.cfg.Batch*width)
	}
	return k
}

func (k *poolKernel[T]) name() string                        { return "fused_pool_" + k.mode.String() }
func (k *poolKernel[T]) outputShape() tensor.Shape           { return tensor.Shape{k.g.cfg.Batch, k.width} }
func (k *poolKernel[T]) secondaryShapes() []tensor.Shape     { return nil }
func (k *poolKernel[T]) diffWRT() []bool                     { return []bool{true, false} }
func (k *poolKernel[T]) secondary(int) G.Value               { return nil }
func (k *poolKernel[T]) setSecondaryGrad(int, G.Value) error { return nil }
func (k *poolKernel[T]) inputGrad(int) G.Value               { return k.dxDense }

// steps returns how many leading steps of row b the pooling covers.
func (k *poolKernel[T]) steps(b int) int {
	if k.mode == MeanAll {
		return k.active
	}
	return k.lengths[b]
}

func (k *poolKernel[T]) forward(inputs []G.Value) (G.Value, error) {
	x, err := valueData[T](inputs[0])
	if err != nil {
		return nil, errors.Wrap(err, "input")
	}
	lengths, active, err := layoutOf(inputs[1])
	if err != nil {
		return nil, err
	}
	k.lengths, k.active = append(k.lengths[:0], lengths...), active
	batch, width := k.g.cfg.Batch, k.width
	for b := 0; b < batch; b++ {
		out := k.out[b*width : (b+1)*width]
		n := k.steps(b)
		copy(out, x[b*width:(b+1)*width])
		if k.mode == Max {
			arg := k.argmax[b*width : (b+1)*width]
			clear(arg)
			for t := 1; t < n; t++ {
				row := x[(t*batch+b)*width : (t*batch+b+1)*width]
				for j, v := range row {
					if v > out[j] {
						out[j], arg[j] = v, t
					}
				}
			}
			continue
		}
		for t := 1; t < n; t++ {
			row := x[(t*batch+b)*width : (t*batch+b+1)*width]
			for j, v := range row {
				out[j] += v
			}
		}
		for j := range out {
			out[j] /= T(n)
		}
	}
	return k.outDense, nil
}

func (k *poolKernel[T]) backward(outGrad G.Value) error {
	dOut, err := valueData[T](outGrad)
	if err != nil {
		return errors.Wrap(err, "output gradient")
	}
	batch, width := k.g.cfg.Batch, k.width
	sharedTensor(k.g.workspace, k.key+"/dx", &k.dxDense, &k.dx, k.capacity, batch, width)
	for b := 0; b < batch; b++ {
		d := dOut[b*width : (b+1)*width]
		if k.mode == Max {
			for j, t := range k.argmax[b*width : (b+1)*width] {
				k.dx[(t*batch+b)*width+j] = d[j]
			}
			continue
		}
		n := k.steps(b)
		for t := 0; t < n; t++ {
			row := k.dx[(t*batch+b)*width : (t*batch+b+1)*width]
			for j, v := range d {
				row[j] = v / T(n)
			}
		}
	}
	return nil
}
