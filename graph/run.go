package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Compile prepares the graph to run. With a loss node it adds the symbolic
// gradient of the loss with respect to every learnable, so that Run also
// accumulates each parameter's gradient into its Param.Grad; with a nil loss
// the graph only runs forward (inference). The gradients of the loss with
// respect to the watched nodes (e.g. the embedded inputs) are kept too, for
// Gradient to return.
func (g *Graph) Compile(loss *G.Node, watch ...*G.Node) (err error) {
	defer recoverTo(&err, "graph: compiling")
	if g.machine != nil {
		return errors.New("graph: already compiled")
	}
	if loss != nil {
		if !loss.IsScalar() {
			return errors.Errorf("graph: loss must be a scalar, got shape %v", loss.Shape())
		}
		if _, err := G.Grad(loss, g.Learnables()...); err != nil {
			return errors.Wrap(err, "graph: differentiating the loss")
		}
		g.watched = map[*G.Node]*G.Node{}
		for _, n := range watch {
			if n.Deriv() == nil {
				return errors.Errorf("graph: watched node %v does not lead to a learnable", n.Name())
			}
			g.watched[n] = n.Deriv()
		}
		g.learning = true
		g.machine = G.NewTapeMachine(g.ExprGraph, G.BindDualValues(g.Learnables()...))
		return nil
	}
	g.machine = G.NewTapeMachine(g.ExprGraph)
	return nil
}

// Run executes the compiled graph on the current batch. When the graph was
// compiled with a loss, each parameter's gradient for this batch is added to
// its Param.Grad (zero them with Params.ZeroGrads or an optimizer step).
func (g *Graph) Run() (err error) {
	defer recoverTo(&err, "graph: running")
	if g.machine == nil {
		return errors.New("graph: Run before Compile")
	}
	if g.lengths == nil {
		return errors.New("graph: Run before SetBatch")
	}
	if g.learning {
		g.zeroNodeGrads()
	}
	g.machine.Reset()
	if err := g.machine.RunAll(); err != nil {
		return errors.Wrap(err, "graph: running")
	}
	if g.learning {
		return g.accumulateGrads()
	}
	return nil
}

// Gradient returns the gradient of the loss with respect to a node watched
// at Compile, as computed by the last Run.
func (g *Graph) Gradient(n *G.Node) (*tensor.Dense, error) {
	grad, ok := g.watched[n]
	if !ok {
		return nil, errors.Errorf("graph: node %v was not watched at Compile", n.Name())
	}
	v, ok := grad.Value().(*tensor.Dense)
	if !ok {
		return nil, errors.Errorf("graph: no gradient of %v yet (Run first)", n.Name())
	}
	return v, nil
}

// Close releases the graph's machine.
func (g *Graph) Close() error {
	if g.machine == nil {
		return nil
	}
	return g.machine.Close()
}

func (g *Graph) zeroNodeGrads() {
	for _, p := range g.bound {
		if grad, err := g.paramNodes[p].Grad(); err == nil {
			if d, ok := grad.(*tensor.Dense); ok {
				d.Zero()
			}
		}
	}
}

func (g *Graph) accumulateGrads() error {
	for _, p := range g.bound {
		grad, err := g.paramNodes[p].Grad()
		if err != nil {
			return errors.Wrapf(err, "graph: gradient of %s", p.Name)
		}
		if err := addInto(p.Grad, grad.(*tensor.Dense)); err != nil {
			return errors.Wrapf(err, "graph: gradient of %s", p.Name)
		}
	}
	return nil
}

// addInto adds src to dst elementwise; both have dst's dtype and size.
func addInto(dst, src *tensor.Dense) error {
	if src.Shape().TotalSize() != dst.Shape().TotalSize() || src.Dtype() != dst.Dtype() {
		return errors.Errorf("shape %v %v, want %v %v", src.Shape(), src.Dtype(), dst.Shape(), dst.Dtype())
	}
	if dst.Dtype() == tensor.Float32 {
		d, s := dst.Float32s(), src.Float32s()
		for i := range d {
			d[i] += s[i]
		}
		return nil
	}
	d, s := dst.Float64s(), src.Float64s()
	for i := range d {
		d[i] += s[i]
	}
	return nil
}
