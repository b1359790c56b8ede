package graph

import (
	"sync/atomic"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Compile prepares the graph to run. With a loss node it adds the symbolic
// gradient of the loss (gorgonia.Grad) with respect to every learnable, so
// that Run also computes every parameter's gradient; with a nil loss the
// graph only runs forward (inference). The gradients of the loss with
// respect to the watched nodes (e.g. the embedded inputs) are kept too, for
// Gradient to return.
//
// Gorgonia binds each gradient to its parameter node's dual value, where
// it accumulates over runs until AccumulateGrads moves it into the
// parameter (or a Gorgonia solver's Step zeroes it). The one exception is
// an embedding's weight read by nothing but the fused lookup: its gradient
// touches only the rows of the batch's tokens, and Gorgonia cannot add a
// row-sparse value into a dense one, so the fused kernel keeps it in a
// buffer of its own, which is the node's Grad() and holds the last run's
// gradient only; AccumulateGrads moves just those rows.
func (g *Graph) Compile(loss *G.Node, watch ...*G.Node) (err error) {
	defer recoverTo(&err, "graph: compiling")
	if g.machine != nil {
		return errors.New("graph: already compiled")
	}
	if loss == nil {
		g.machine = newTape(g.expr)
		return nil
	}
	if !loss.IsScalar() {
		return errors.Errorf("graph: loss must be a scalar, got shape %v", loss.Shape())
	}
	wrt := g.Learnables()
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
	var bound []*G.Node
	for _, p := range g.used {
		if p.Frozen {
			continue
		}
		node := g.paramNodes[p]
		if lookups := g.sparse[p]; len(lookups) == 1 && lookups[0].base.grads != nil && node.Deriv() == lookups[0].base.grads[0] {
			lookups[0].sparse = true // the lookup is the weight's only reader
			continue
		}
		g.bound = append(g.bound, p)
		bound = append(bound, node)
	}
	g.learning = true
	opts := []G.VMOpt{}
	if len(bound) > 0 { // BindDualValues() of nothing would bind every node
		opts = append(opts, G.BindDualValues(bound...))
	}
	g.machine = newTape(g.expr, opts...)
	return nil
}

// running counts the graphs running at once in the process: paired
// directions (pairDirections) run at once only while fewer graphs run
// than there are cores for them.
var running atomic.Int32

// Run executes the compiled graph on the current batch: it draws new
// dropout masks (training graphs), then runs forward, and backward when
// compiled with a loss. The parameters' gradients stay in the graph until
// AccumulateGrads.
func (g *Graph) Run() (err error) {
	defer recoverTo(&err, "graph: running")
	if g.machine == nil {
		return errors.New("graph: Run before Compile")
	}
	if err := g.checkReady(); err != nil {
		return err
	}
	for _, in := range g.random {
		in.refill()
	}
	g.runs++
	running.Add(1)
	defer running.Add(-1)
	if err := g.machine.run(); err != nil {
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
	for _, p := range g.bound {
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
	for p, lookups := range g.sparse {
		if len(lookups) == 1 && lookups[0].sparse {
			lookups[0].buf.addInto(p.Grad, scale)
			lookups[0].buf.reset(true)
		}
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

// Values returns the values n had in the last Run, row-major, as float64:
// logits, a loss, a final state.
func Values(n *G.Node) ([]float64, error) {
	switch v := n.Value().(type) {
	case *G.F32:
		return []float64{float64(*v)}, nil
	case *G.F64:
		return []float64{float64(*v)}, nil
	case *tensor.Dense:
		if v.IsMaterializable() {
			v = v.Materialize().(*tensor.Dense)
		}
		return toFloat64s(v), nil
	}
	return nil, errors.Errorf("graph: node %v has no value yet (Run first)", n.Name())
}

// Scalar returns the value of a scalar node (a loss) in the last Run.
func Scalar(n *G.Node) (float64, error) {
	v, err := Values(n)
	if err != nil {
		return 0, err
	}
	if len(v) != 1 {
		return 0, errors.Errorf("graph: node %v has %d values, want a scalar", n.Name(), len(v))
	}
	return v[0], nil
}
