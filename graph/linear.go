package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Linear is an affine layer y = x Wᵀ + b, like PyTorch's nn.Linear(In, Out).
// Its parameters are "<name>.weight" [Out, In] and "<name>.bias" [Out], both
// initialised from U(-1/sqrt(In), 1/sqrt(In)) as PyTorch does.
type Linear struct {
	In, Out int
	Weight  *Param
	Bias    *Param
}

// NewLinear declares a linear layer called name (e.g. "fc") in ps.
func NewLinear(ps *Params, name string, in, out int) (*Linear, error) {
	if in <= 0 || out <= 0 {
		return nil, errors.Errorf("graph: linear %q: sizes %d -> %d must be positive", name, in, out)
	}
	w, err := ps.Add(name+".weight", tensor.Shape{out, in}, uniformFan(in))
	if err != nil {
		return nil, err
	}
	b, err := ps.Add(name+".bias", tensor.Shape{out}, uniformFan(in))
	if err != nil {
		return nil, err
	}
	return &Linear{In: in, Out: out, Weight: w, Bias: b}, nil
}

// Build applies the layer to x [N, In] and returns y [N, Out].
func (l *Linear) Build(g *Graph, x *G.Node) (y *G.Node, err error) {
	defer recoverTo(&err, "graph: building linear "+l.Weight.Name)
	if x.Dims() != 2 || x.Shape()[1] != l.In {
		return nil, errors.Errorf("graph: input has shape %v, want [N, %d]", x.Shape(), l.In)
	}
	return affine(g, x, g.paramNode(l.Weight), g.paramNode(l.Bias)), nil
}

// affine returns x wᵀ + b for x [N, In], w [Out, In] and b [Out] (or nil).
func affine(g *Graph, x, w, b *G.Node) *G.Node {
	y := must(G.Mul(x, must(G.Transpose(w))))
	if b == nil {
		return y
	}
	return addRow(y, b)
}

// addRow adds the vector b [F] to every row of y [N, F].
func addRow(y, b *G.Node) *G.Node {
	row := must(G.Reshape(b, tensor.Shape{1, b.Shape()[0]}))
	return must(G.BroadcastAdd(y, row, nil, []byte{0}))
}

// BuildSeq applies the layer at every step of x (T steps [B, In]) and
// returns y (T steps [B, Out]) over the same token sequence: a language
// model's decoder, a tagger's emission scores. Steps past a row's length
// give the bias, as PyTorch's Linear over a padded batch does; a fused
// graph computes only the batch's padded length.
func (l *Linear) BuildSeq(g *Graph, x *Seq) (y *Seq, err error) {
	defer recoverTo(&err, "graph: building linear "+l.Weight.Name+" over a sequence")
	if !g.owns(x.tokens) {
		return nil, errors.New("graph: the input sequence does not come from one of this graph's token sequences")
	}
	if x.width != l.In {
		return nil, errors.Errorf("graph: input has %d features, want %d", x.width, l.In)
	}
	if g.cfg.Impl == Fused {
		var k kernel
		steps := x.tokens.cfg.Steps
		if g.Dtype() == tensor.Float32 {
			k = newLinearKernel[float32](g, l, steps)
		} else {
			k = newLinearKernel[float64](g, l, steps)
		}
		out := applyKernel(g, k, x.wholeNode(), x.tokens.layout, g.paramNode(l.Weight), g.paramNode(l.Bias)).out
		return &Seq{whole: out, width: l.Out, tokens: x.tokens}, nil
	}
	w, b := g.paramNode(l.Weight), g.paramNode(l.Bias)
	return x.mapSteps(func(_ int, xt *G.Node) *G.Node { return affine(g, xt, w, b) }), nil
}
