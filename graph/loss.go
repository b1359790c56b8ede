package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// CrossEntropy returns the mean over the batch of -log softmax(logits)[label],
// PyTorch's nn.CrossEntropyLoss() with integer targets: a scalar. logits are
// [B, C]; the labels come from SetBatch and must lie in [0, C).
func CrossEntropy(g *Graph, logits *G.Node) (loss *G.Node, err error) {
	defer recoverTo(&err, "graph: building cross-entropy")
	if logits.Dims() != 2 || logits.Shape()[0] != g.cfg.Batch {
		return nil, errors.Errorf("graph: logits have shape %v, want [%d, C]", logits.Shape(), g.cfg.Batch)
	}
	classes := logits.Shape()[1]
	g.checks = append(g.checks, func(labels []int) error {
		if labels == nil {
			return errors.New("graph: the graph has a loss: SetBatch needs labels")
		}
		for b, label := range labels {
			if label < 0 || label >= classes {
				return errors.Errorf("graph: row %d has label %d, want 0..%d", b, label, classes-1)
			}
		}
		return nil
	})
	onehot := g.addInput("targets", tensor.Shape{g.cfg.Batch, classes}, func(dst []float64) {
		clear(dst)
		for b, label := range g.labels {
			dst[b*classes+label] = 1
		}
	})
	logp := must(G.LogSoftMax(logits, 1))
	picked := must(G.Sum(must(G.HadamardProd(logp, onehot))))
	scale := G.NewConstant(scalarOf(g.Dtype(), -1/float64(g.cfg.Batch)))
	return must(G.HadamardProd(picked, scale)), nil
}

// Softmax returns softmax(logits) along the classes, [B, C]: the predicted
// probabilities.
func Softmax(logits *G.Node) (p *G.Node, err error) {
	defer recoverTo(&err, "graph: building softmax")
	return must(G.SoftMax(logits, 1)), nil
}
