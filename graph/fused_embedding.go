package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// embeddingKernel looks up a sequence's tokens as one op. Inputs: weight
// [V, E], tokens [T*B] (time-major ids) and the sequence's layout; output
// [T, B, E], zero at padding ids and past the batch's padded length. Its
// backward returns the weight's gradient in a buffer that tracks the rows
// it writes (see embeddingGrad).
type embeddingKernel[T float] struct {
	g        *Graph
	key      string // names the kernel's buffers in the workspace
	e        *Embedding
	steps    int // capacity T
	grad     *embeddingGrad
	outDense *tensor.Dense
	out      []T
	ids      []int // the real steps' tokens of the last forward, time-major
	active   int   // its padded length
}

// embeddingGrad is the weight gradient of one fused lookup: a buffer of
// the weight's shape in which only the rows of the batch's tokens are
// written. When the lookup is the weight's only reader in a graph (sparse,
// decided by Compile), Gorgonia's gradient of the weight is this buffer
// itself, so it is never added densely into a dual value: AccumulateGrads
// moves just its rows. Otherwise (a weight tied to a decoder, or read by
// two lookups) Gorgonia sums it with the other contributions like any
// gradient, and the buffer is cleared whole at every backward pass.
type embeddingGrad struct {
	base   *kernelBase // the lookup's ops: base.grads[0] is the weight's gradient node
	buf    *gradBuffer
	sparse bool
}

func newEmbeddingKernel[T float](g *Graph, e *Embedding, steps int) *embeddingKernel[T] {
	k := &embeddingKernel[T]{g: g, key: g.kernelKey("embedding"), e: e, steps: steps}
	k.grad = &embeddingGrad{buf: g.workspace.rowGrad(k.key+"/grad", e.Weight)}
	g.workspace.reserve(k.key+"/out", steps*g.cfg.Batch*e.Dim)
	return k
}

func (k *embeddingKernel[T]) name() string { return "fused_embedding" }
func (k *embeddingKernel[T]) outputShape() tensor.Shape {
	return tensor.Shape{k.steps, k.g.cfg.Batch, k.e.Dim}
}
func (k *embeddingKernel[T]) secondaryShapes() []tensor.Shape     { return nil }
func (k *embeddingKernel[T]) diffWRT() []bool                     { return []bool{true, false, false} }
func (k *embeddingKernel[T]) secondary(int) G.Value               { return nil }
func (k *embeddingKernel[T]) setSecondaryGrad(int, G.Value) error { return nil }
func (k *embeddingKernel[T]) inputGrad(int) G.Value               { return k.grad.buf.dense }

func (k *embeddingKernel[T]) forward(inputs []G.Value) (G.Value, error) {
	ids, err := intsOf(inputs[1])
	if err != nil {
		return nil, errors.Wrap(err, "tokens")
	}
	_, steps, err := layoutOf(inputs[2])
	if err != nil {
		return nil, err
	}
	weight := paramData[T](k.e.Weight)
	dim, n := k.e.Dim, steps*k.g.cfg.Batch
	sharedTensor(k.g.workspace, k.key+"/out", &k.outDense, &k.out, k.steps, k.g.cfg.Batch, dim)
	for i, id := range ids[:n] {
		if id != k.e.PaddingIdx {
			copy(k.out[i*dim:(i+1)*dim], weight[id*dim:(id+1)*dim])
		}
	}
	// The ids are kept for the backward pass, in the kernel's own memory.
	k.ids, k.active = append(k.ids[:0], ids[:n]...), steps
	return k.outDense, nil
}

func (k *embeddingKernel[T]) backward(outGrad G.Value) error {
	dOut, err := valueData[T](outGrad)
	if err != nil {
		return errors.Wrap(err, "output gradient")
	}
	buf := k.grad.buf
	buf.reset(k.grad.sparse)
	grad := buf.dense.Data().([]T)
	dim := k.e.Dim
	for i, id := range k.ids {
		if id == k.e.PaddingIdx {
			continue
		}
		buf.markRow(id)
		dst, src := grad[id*dim:(id+1)*dim], dOut[i*dim:(i+1)*dim]
		for j, v := range src {
			dst[j] += v
		}
	}
	return nil
}
