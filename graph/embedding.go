package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// NoPadding is the padding index of an embedding without one.
const NoPadding = -1

// Embedding maps token ids to learned vectors, like PyTorch's
// nn.Embedding(NumEmbeddings, Dim, padding_idx=PaddingIdx). Its parameter is
// "<name>.weight" [NumEmbeddings, Dim], initialised from N(0, 1) with the
// padding row zero. The padding row gets no gradient, so it stays zero.
type Embedding struct {
	NumEmbeddings int
	Dim           int
	PaddingIdx    int // NoPadding or an id in [0, NumEmbeddings)
	Weight        *Param
}

// NewEmbedding declares an embedding called name (e.g. "embedding") in ps.
func NewEmbedding(ps *Params, name string, numEmbeddings, dim, paddingIdx int) (*Embedding, error) {
	if numEmbeddings <= 0 || dim <= 0 {
		return nil, errors.Errorf("graph: embedding %q: sizes %d x %d must be positive", name, numEmbeddings, dim)
	}
	if paddingIdx != NoPadding && (paddingIdx < 0 || paddingIdx >= numEmbeddings) {
		return nil, errors.Errorf("graph: embedding %q: padding index %d out of range [0, %d)", name, paddingIdx, numEmbeddings)
	}
	w, err := ps.Add(name+".weight", tensor.Shape{numEmbeddings, dim}, func(values []float64, rng *RNG) {
		Normal(1)(values, rng)
		if paddingIdx != NoPadding {
			Zeros(values[paddingIdx*dim:(paddingIdx+1)*dim], rng)
		}
	})
	if err != nil {
		return nil, err
	}
	return &Embedding{NumEmbeddings: numEmbeddings, Dim: dim, PaddingIdx: paddingIdx, Weight: w}, nil
}

// Build looks up the tokens of the sequence and returns their vectors as a
// sequence [T, B, Dim] carrying the tokens' lengths.
func (e *Embedding) Build(g *Graph, tokens *Sequence) (s *Seq, err error) {
	defer recoverTo(&err, "graph: building embedding "+e.Weight.Name)
	if !g.owns(tokens) {
		return nil, errors.New("graph: the token sequence is not one of this graph's")
	}
	if err := tokens.readVocab(e.NumEmbeddings); err != nil {
		return nil, err
	}
	steps, batch := tokens.cfg.Steps, g.cfg.Batch
	if g.cfg.Impl == Fused {
		var k kernel
		var eg *embeddingGrad
		if g.Dtype() == tensor.Float32 {
			ek := newEmbeddingKernel[float32](g, e, steps)
			k, eg = ek, ek.grad
		} else {
			ek := newEmbeddingKernel[float64](g, e, steps)
			k, eg = ek, ek.grad
		}
		nodes := applyKernel(g, k, g.paramNode(e.Weight), tokens.tokens, tokens.layout)
		eg.base = nodes.base
		g.sparse[e.Weight] = append(g.sparse[e.Weight], eg)
		return &Seq{whole: nodes.out, width: e.Dim, tokens: tokens}, nil
	}
	x := must(G.ByIndices(g.paramNode(e.Weight), tokens.tokens, 0))
	if e.PaddingIdx != NoPadding {
		notPad := tokens.addInput("not_padding", tensor.Shape{steps * batch, 1}, func(dst []float64) {
			ids := tokens.tokens.Value().Data().([]int)
			for i, id := range ids {
				dst[i] = 1
				if id == e.PaddingIdx {
					dst[i] = 0
				}
			}
		})
		x = must(G.BroadcastHadamardProd(x, notPad, nil, []byte{1}))
	}
	return &Seq{whole: must(G.Reshape(x, tensor.Shape{steps, batch, e.Dim})), width: e.Dim, tokens: tokens}, nil
}
