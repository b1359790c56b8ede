package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Pooling says how a classifier reduces a recurrent stack's outputs over the
// steps to one vector [B, F] per row.
type Pooling int

// The pooling modes.
const (
	// Last is the final state at each row's true last token (for a
	// bidirectional stack, the two directions' final states merged): the
	// packed-sequence classifier of PyTorch and Keras' masked RNNs.
	Last Pooling = iota
	// Mean averages the outputs over each row's real tokens.
	Mean
	// Max takes the maximum of each feature over each row's real tokens.
	Max
	// MeanAll averages over all T steps, padding included, as PyTorch's
	// plain x.mean(dim=1) in the lesson's RNN classifier.
	MeanAll
)

var poolingNames = [...]string{Last: "last", Mean: "mean", Max: "max", MeanAll: "mean_all"}

// ParsePooling returns the pooling mode called name: last, mean, max or
// mean_all.
func ParsePooling(name string) (Pooling, error) {
	for p, n := range poolingNames {
		if n == name {
			return Pooling(p), nil
		}
	}
	return 0, errors.Errorf("graph: unknown pooling %q (want last, mean, max or mean_all)", name)
}

// String returns the mode's name as ParsePooling accepts it.
func (p Pooling) String() string {
	if !p.valid() {
		return "unknown"
	}
	return poolingNames[p]
}

func (p Pooling) valid() bool { return p >= Last && p <= MeanAll }

// maskedOut is added to padded steps before Max so they never win.
const maskedOut = -1e30

// Pool reduces out to one vector per row, [B, F] with F = OutputWidth().
func Pool(g *Graph, out *RecurrentOutput, mode Pooling) (n *G.Node, err error) {
	defer recoverTo(&err, "graph: pooling "+mode.String())
	if !mode.valid() {
		return nil, errors.Errorf("graph: unknown pooling %d", mode)
	}
	s := out.Outputs
	width, tokens, batch := s.Width(), s.tokens, g.cfg.Batch
	if mode != Last && g.cfg.Impl == Fused {
		var k kernel
		if g.Dtype() == tensor.Float32 {
			k = newPoolKernel[float32](g, mode, s.Len(), width)
		} else {
			k = newPoolKernel[float64](g, mode, s.Len(), width)
		}
		return applyKernel(g, k, s.wholeNode(), tokens.layout).out, nil
	}
	switch mode {
	case Last:
		hs := out.Final.H
		if out.Bidirectional {
			return merge(hs[len(hs)-2], hs[len(hs)-1], out.Merge), nil
		}
		return hs[len(hs)-1], nil
	case Mean:
		inverse := tokens.addInput("inverse_length", tensor.Shape{batch, width}, func(dst []float64) {
			for b, n := range tokens.lengths {
				for i := b * width; i < (b+1)*width; i++ {
					dst[i] = 1 / float64(n)
				}
			}
		})
		return must(G.HadamardProd(sumSteps(s), inverse)), nil
	case Max:
		padding := tokens.addInput("padding", tensor.Shape{s.Len(), batch, width}, func(dst []float64) {
			for t := 0; t < s.Len(); t++ {
				for b, n := range tokens.lengths {
					v := 0.0
					if t >= n {
						v = maskedOut
					}
					row := dst[(t*batch+b)*width : (t*batch+b+1)*width]
					for i := range row {
						row[i] = v
					}
				}
			}
		})
		return must(G.Max(must(G.Add(s.wholeNode(), padding)), 0)), nil
	case MeanAll:
		inverse := G.NewConstant(scalarOf(g.Dtype(), 1/float64(s.Len())))
		return must(G.HadamardProd(sumSteps(s), inverse)), nil
	}
	panic("unreachable")
}

// sumSteps returns the sum over the steps of s, [B, F].
func sumSteps(s *Seq) *G.Node {
	if s.steps == nil {
		return must(G.Sum(s.whole, 0))
	}
	if len(s.steps) == 1 {
		return s.steps[0]
	}
	return must(G.ReduceAdd(s.steps))
}

// scalarOf returns v as a scalar of dtype.
func scalarOf(dtype tensor.Dtype, v float64) interface{} {
	if dtype == tensor.Float32 {
		return float32(v)
	}
	return v
}

// scalarValue returns v as a Gorgonia scalar value of dtype.
func scalarValue(dtype tensor.Dtype, v float64) G.Value {
	if dtype == tensor.Float32 {
		return G.NewF32(float32(v))
	}
	return G.NewF64(v)
}
