package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LossOptions are the settings of a cross-entropy loss. The zero value
// gives PyTorch's defaults.
type LossOptions struct {
	// LabelSmoothing mixes the one-hot target with the uniform
	// distribution over the classes, as PyTorch's label_smoothing: the
	// loss of a target y is (1-ε)(-log p_y) + ε mean_c(-log p_c). Default
	// 0; it must lie in [0, 1).
	LabelSmoothing float64
}

func (o LossOptions) validate() error {
	if !(o.LabelSmoothing >= 0 && o.LabelSmoothing < 1) {
		return errors.Errorf("graph: label smoothing %v not in [0, 1)", o.LabelSmoothing)
	}
	return nil
}

// CrossEntropy returns the mean over the counted rows of -log
// softmax(logits)[label], PyTorch's nn.CrossEntropyLoss() with integer
// targets: a scalar. logits are [B, C]; labels are the graph's per-row
// targets (NewLabels), each in [0, C) or negative (ignored).
func CrossEntropy(g *Graph, logits *G.Node, labels *Targets, opts LossOptions) (loss *G.Node, err error) {
	defer recoverTo(&err, "graph: building cross-entropy")
	if labels == nil || labels.seq != nil || labels.g != g {
		return nil, errors.New("graph: cross-entropy needs the graph's per-row labels (NewLabels)")
	}
	if logits.Dims() != 2 || logits.Shape()[0] != g.cfg.Batch {
		return nil, errors.Errorf("graph: logits have shape %v, want [%d, C]", logits.Shape(), g.cfg.Batch)
	}
	return crossEntropy(g, logits, labels, opts)
}

// SequenceCrossEntropy returns the mean over the counted tokens of -log
// softmax(logits)[target], PyTorch's cross_entropy over per-step logits
// with ignore_index: a scalar. logits are a sequence [T, B, C] (a Linear's
// BuildSeq, say); targets are the graph's token targets of the same token
// sequence (NewTokenTargets). Tokens past their row's length and negative
// targets are ignored, and the mean is over the others (Targets.Count), so
// workers combine their losses weighted by their counts. No one-hot
// matrix is built: the fused kernel reads the target ids and computes the
// softmax and the gradient in one pass.
func SequenceCrossEntropy(g *Graph, logits *Seq, targets *Targets, opts LossOptions) (loss *G.Node, err error) {
	defer recoverTo(&err, "graph: building sequence cross-entropy")
	if targets == nil || targets.seq == nil || targets.g != g {
		return nil, errors.New("graph: sequence cross-entropy needs the graph's token targets (NewTokenTargets)")
	}
	if logits.tokens != targets.seq {
		return nil, errors.Errorf("graph: the logits are over another token sequence than targets %q's (%q)", targets.name, targets.seq.name)
	}
	whole := logits.wholeNode()
	rows := whole.Shape()[0] * whole.Shape()[1]
	return crossEntropy(g, must(G.Reshape(whole, tensor.Shape{rows, logits.width})), targets, opts)
}

// crossEntropy is the loss of logits [N, C] against targets [N].
func crossEntropy(g *Graph, logits *G.Node, targets *Targets, opts LossOptions) (*G.Node, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	classes := logits.Shape()[1]
	if err := targets.readBy(classes); err != nil {
		return nil, err
	}
	if g.cfg.Impl == Fused {
		var k kernel
		if g.Dtype() == tensor.Float32 {
			k = newCrossEntropyKernel[float32](g, logits.Shape(), opts.LabelSmoothing)
		} else {
			k = newCrossEntropyKernel[float64](g, logits.Shape(), opts.LabelSmoothing)
		}
		return applyKernel(g, k, logits, targets.node).out, nil
	}
	// The reference: sum(log_softmax(logits) * w), w = -((1-ε) onehot +
	// ε/C) / count on counted rows, 0 elsewhere.
	eps := opts.LabelSmoothing
	in := g.newInput("target_weights", logits.Shape(), func(dst []float64) {
		clear(dst)
		if targets.count == 0 {
			return
		}
		scale := -1 / float64(targets.count)
		for i, y := range targets.values() {
			if y < 0 {
				continue
			}
			row := dst[i*classes : (i+1)*classes]
			for c := range row {
				row[c] = scale * eps / float64(classes)
			}
			row[y] += scale * (1 - eps)
		}
	})
	targets.inputs = append(targets.inputs, in)
	logp := must(G.LogSoftMax(logits, 1))
	return must(G.Sum(must(G.HadamardProd(logp, in.node)))), nil
}

// Softmax returns softmax(logits) along the classes, [B, C]: the predicted
// probabilities.
func Softmax(logits *G.Node) (p *G.Node, err error) {
	defer recoverTo(&err, "graph: building softmax")
	return must(G.SoftMax(logits, 1)), nil
}
