package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Merge says how the forward and reverse outputs of a bidirectional layer
// combine.
type Merge int

// The merge modes. Concat is PyTorch's (and Keras' default); Sum, Mul and
// Ave are Keras' other modes.
const (
	Concat Merge = iota // [forward, reverse], 2H features
	Sum                 // forward + reverse
	Mul                 // forward * reverse
	Ave                 // (forward + reverse) / 2
)

var mergeNames = [...]string{Concat: "concat", Sum: "sum", Mul: "mul", Ave: "ave"}

// ParseMerge returns the merge mode called name: concat, sum, mul or ave.
func ParseMerge(name string) (Merge, error) {
	for m, n := range mergeNames {
		if n == name {
			return Merge(m), nil
		}
	}
	return 0, errors.Errorf("graph: unknown merge mode %q (want concat, sum, mul or ave)", name)
}

// String returns the mode's name as ParseMerge accepts it.
func (m Merge) String() string {
	if !m.valid() {
		return "unknown"
	}
	return mergeNames[m]
}

func (m Merge) valid() bool { return m >= Concat && m <= Ave }

// merge combines two nodes of equal shape along their last axis.
func merge(a, b *G.Node, m Merge) *G.Node {
	switch m {
	case Sum:
		return must(G.Add(a, b))
	case Mul:
		return must(G.HadamardProd(a, b))
	case Ave:
		half := G.NewConstant(scalarOf(a.Dtype(), 0.5))
		return must(G.HadamardProd(must(G.Add(a, b)), half))
	}
	return must(G.Concat(a.Dims()-1, a, b))
}

// mergeSeqs merges two sequences: with one fused op in a Fused graph, step
// by step in a Composed one.
func mergeSeqs(g *Graph, a, b *Seq, m Merge) *Seq {
	if g.cfg.Impl == Fused {
		var k kernel
		steps := a.tokens.cfg.Steps
		if g.Dtype() == tensor.Float32 {
			k = newMergeKernel[float32](g, m, steps, a.width)
		} else {
			k = newMergeKernel[float64](g, m, steps, a.width)
		}
		out := applyKernel(g, k, a.wholeNode(), b.wholeNode(), a.tokens.layout).out
		return &Seq{whole: out, width: out.Shape()[2], tokens: a.tokens}
	}
	return a.mapSteps(func(t int, x *G.Node) *G.Node { return merge(x, b.step(t), m) })
}
