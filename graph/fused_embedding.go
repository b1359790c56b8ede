package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// embeddingKernel looks up the graph's tokens as one op. Inputs: weight
// [V, E], tokens [T*B] (time-major ids) and the gradient anchor; output
// [T, B, E], zero at padding ids and past the batch's padded length. Its
// backward adds each used row's gradient to the weight's row-sparse direct
// buffer, touching only the rows of the batch's tokens.
type embeddingKernel[T float] struct {
	g          *Graph
	key        string // names the kernel's output in the workspace
	e          *Embedding
	grad       *gradBuffer
	outDense   *tensor.Dense
	out        []T
	anchorGrad G.Value
}

func newEmbeddingKernel[T float](g *Graph, e *Embedding) *embeddingKernel[T] {
	k := &embeddingKernel[T]{g: g, key: g.kernelKey("embedding"), e: e, grad: g.directGrad(e.Weight, true), anchorGrad: scalarValue(g.Dtype(), 0)}
	g.workspace.reserve(k.key+"/out", g.cfg.Steps*g.cfg.Batch*e.Dim)
	return k
}

func (k *embeddingKernel[T]) name() string { return "fused_embedding" }
func (k *embeddingKernel[T]) outputShape() tensor.Shape {
	return tensor.Shape{k.g.cfg.Steps, k.g.cfg.Batch, k.e.Dim}
}
func (k *embeddingKernel[T]) secondaryShapes() []tensor.Shape     { return nil }
func (k *embeddingKernel[T]) diffWRT() []bool                     { return []bool{false, false, true} }
func (k *embeddingKernel[T]) secondary(int) G.Value               { return nil }
func (k *embeddingKernel[T]) setSecondaryGrad(int, G.Value) error { return nil }
func (k *embeddingKernel[T]) inputGrad(int) G.Value               { return k.anchorGrad }

func (k *embeddingKernel[T]) tokens(v G.Value) ([]int, error) {
	d, ok := v.(*tensor.Dense)
	if !ok {
		return nil, errors.Errorf("tokens: want a dense tensor, got %T", v)
	}
	ids, ok := d.Data().([]int)
	if !ok {
		return nil, errors.Errorf("tokens: want int ids, got %v", d.Dtype())
	}
	return ids, nil
}

func (k *embeddingKernel[T]) forward(inputs []G.Value) (G.Value, error) {
	ids, err := k.tokens(inputs[1])
	if err != nil {
		return nil, err
	}
	weight := paramData[T](k.e.Weight)
	dim, n := k.e.Dim, k.g.active*k.g.cfg.Batch
	sharedTensor(k.g.workspace, k.key+"/out", &k.outDense, &k.out, k.g.cfg.Steps, k.g.cfg.Batch, dim)
	for i, id := range ids[:n] {
		if id != k.e.PaddingIdx {
			copy(k.out[i*dim:(i+1)*dim], weight[id*dim:(id+1)*dim])
		}
	}
	return k.outDense, nil
}

func (k *embeddingKernel[T]) backward(outGrad G.Value) error {
	dOut, err := valueData[T](outGrad)
	if err != nil {
		return errors.Wrap(err, "output gradient")
	}
	ids := k.g.tokens.Value().Data().([]int)
	grad := bufferData[T](k.grad)
	dim := k.e.Dim
	for i, id := range ids[:k.g.active*k.g.cfg.Batch] {
		if id == k.e.PaddingIdx {
			continue
		}
		k.grad.markRow(id)
		dst, src := grad[id*dim:(id+1)*dim], dOut[i*dim:(i+1)*dim]
		for j, v := range src {
			dst[j] += v
		}
	}
	return nil
}
