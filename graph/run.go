package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Compile prepares the graph to run. With a loss node it adds the symbolic
// gradient of the loss (gorgonia.Grad) with respect to every learnable, so
// that Run also computes the parameters' gradients; with a nil loss the
// graph only runs forward (inference). The gradients of the loss with
// respect to the watched nodes (e.g. the embedded inputs) are kept too, for
// Gradient to return.
func (g *Graph) Compile(loss *G.Node, watch ...*G.Node) (err error) {
	defer recoverTo(&err, "graph: compiling")
	if g.machine != nil {
		return errors.New("graph: already compiled")
	}
	if loss == nil {
		g.machine = G.NewTapeMachine(g.ExprGraph)
		return nil
	}
	if !loss.IsScalar() {
		return errors.Errorf("graph: loss must be a scalar, got shape %v", loss.Shape())
	}
	wrt := g.Learnables()
	if g.anchor != nil {
		wrt = append(wrt, g.anchor)
	}
	if _, err := G.Grad(loss, wrt...); err != nil {
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
	g.machine = G.NewTapeMachine(g.ExprGraph, G.BindDualValues(wrt...))
	return nil
}

// Run executes the compiled graph on the current batch: forward, and
// backward when compiled with a loss. The parameters' gradients stay in the
// graph until AccumulateGrads.
func (g *Graph) Run() (err error) {
	defer recoverTo(&err, "graph: running")
	if g.machine == nil {
		return errors.New("graph: Run before Compile")
	}
	if g.lengths == nil {
		return errors.New("graph: Run before SetBatch")
	}
	g.machine.Reset()
	if err := g.machine.RunAll(); err != nil {
		return errors.Wrap(err, "graph: running")
	}
	return nil
}

// AccumulateGrads adds scale times the gradients of the last Run to each
// parameter's Param.Grad and clears them in the graph. With several graphs
// (workers) over parts of one batch, call it for each graph in a fixed
// order, from one goroutine, so the sums are deterministic.
func (g *Graph) AccumulateGrads(scale float64) error {
	if !g.learning {
		return errors.New("graph: AccumulateGrads on a graph compiled without a loss")
	}
	for _, p := range g.dual {
		grad, err := g.paramNodes[p].Grad()
		if err != nil {
			return errors.Wrapf(err, "graph: gradient of %s", p.Name)
		}
		d, ok := grad.(*tensor.Dense)
		if !ok {
			return errors.Errorf("graph: gradient of %s is %T, want a tensor", p.Name, grad)
		}
		if err := addScaled(p.Grad, d, scale); err != nil {
			return errors.Wrapf(err, "graph: gradient of %s", p.Name)
		}
		d.Zero()
	}
	for _, p := range g.direct {
		g.workspace.grads[p].moveInto(p.Grad, scale)
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
