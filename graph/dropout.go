package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
)

// Dropout zeroes each element of x with probability p during training and
// scales the others by 1/(1-p), as PyTorch's nn.Dropout; outside training,
// and for p = 0, it returns x unchanged. The masks are drawn from the graph's
// RNG (SetRNG) at each Run, so a seed fixes them.
func Dropout(g *Graph, x *G.Node, p float64) (y *G.Node, err error) {
	defer recoverTo(&err, "graph: building dropout")
	if p < 0 || p > 1 {
		return nil, errors.Errorf("graph: dropout probability %v not in [0, 1]", p)
	}
	return dropout(g, x, p), nil
}

func dropout(g *Graph, x *G.Node, p float64) *G.Node {
	if !g.cfg.Training || p == 0 {
		return x
	}
	scale := 0.0
	if p < 1 {
		scale = 1 / (1 - p)
	}
	mask := g.newInput("dropout", x.Shape(), func(dst []float64) {
		for i := range dst {
			dst[i] = 0
			if g.rng.Float64() >= p {
				dst[i] = scale
			}
		}
	})
	g.random = append(g.random, mask)
	return must(G.HadamardProd(x, mask.node))
}
