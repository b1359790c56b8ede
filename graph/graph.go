package graph

import (
	"fmt"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Graph is one Gorgonia expression graph for padded batches of a fixed
// shape: Batch rows of Steps tokens. Parameter nodes are bound to the values
// of a shared Params set, so several graphs (one per padded length, one per
// worker) train the same weights. Per-batch inputs (token ids, length masks,
// one-hot targets, dropout masks) are nodes owned by the graph and refilled
// by SetBatch.
//
// A Graph is not safe for concurrent use; use one Graph per goroutine.
type Graph struct {
	*G.ExprGraph

	params   *Params
	batch    int
	steps    int
	training bool

	paramNodes map[*Param]*G.Node
	bound      []*Param

	tokens    *G.Node
	vocabSize int
	inputs    []*input
	checks    []func() error
	dropouts  int
	masks     map[int]*stepMasks
	zeros     map[int]*G.Node

	ids     []int
	lengths []int
	labels  []int
	rng     *RNG

	machine  G.VM
	learning bool
	watched  map[*G.Node]*G.Node
}

// input is a per-batch input node whose value fill recomputes from the
// current batch.
type input struct {
	node    *G.Node
	fill    func(dst []float64)
	scratch []float64
}

// stepMasks holds, for one feature width, the per-step masks [B, width]:
// keep is 1 where step t is a real token of the row, hold is 1 - keep.
type stepMasks struct {
	keep, hold []*G.Node
}

// New returns an empty graph for padded batches of batch rows and steps
// tokens whose parameter nodes share the values of params. training enables
// dropout and gradients.
func New(params *Params, batch, steps int, training bool) (*Graph, error) {
	if params == nil {
		return nil, errors.New("graph: nil Params")
	}
	if batch <= 0 || steps <= 0 {
		return nil, errors.Errorf("graph: batch shape [%d, %d] must be positive", batch, steps)
	}
	return &Graph{
		ExprGraph:  G.NewGraph(),
		params:     params,
		batch:      batch,
		steps:      steps,
		training:   training,
		paramNodes: map[*Param]*G.Node{},
		masks:      map[int]*stepMasks{},
		zeros:      map[int]*G.Node{},
	}, nil
}

// Batch returns B, the number of rows of the graph's batches.
func (g *Graph) Batch() int { return g.batch }

// Steps returns T, the padded length of the graph's batches.
func (g *Graph) Steps() int { return g.steps }

// Training reports whether the graph was built for training.
func (g *Graph) Training() bool { return g.training }

// Dtype returns the dtype of the graph's float nodes.
func (g *Graph) Dtype() tensor.Dtype { return g.params.dtype }

// Params returns the parameter set the graph is bound to.
func (g *Graph) Params() *Params { return g.params }

// Lengths returns the lengths of the current batch's rows (nil before the
// first SetBatch).
func (g *Graph) Lengths() []int { return g.lengths }

// Param returns the node bound to the parameter called name, creating it on
// first use. Every use of a parameter in one graph shares this node.
func (g *Graph) Param(name string) (*G.Node, error) {
	p := g.params.Get(name)
	if p == nil {
		return nil, errors.Errorf("graph: no parameter %q", name)
	}
	return g.paramNode(p), nil
}

func (g *Graph) paramNode(p *Param) *G.Node {
	if n, ok := g.paramNodes[p]; ok {
		return n
	}
	shape := p.Value.Shape()
	n := G.NewTensor(g.ExprGraph, g.params.dtype, len(shape), G.WithShape(shape.Clone()...), G.WithName(p.Name), G.WithValue(p.Value))
	g.paramNodes[p] = n
	g.bound = append(g.bound, p)
	return n
}

// Learnables returns the parameter nodes used by the graph, in the order the
// graph first used them.
func (g *Graph) Learnables() []*G.Node {
	nodes := make([]*G.Node, len(g.bound))
	for i, p := range g.bound {
		nodes[i] = g.paramNodes[p]
	}
	return nodes
}

// Tokens returns the node [T*B] of token ids (tensor.Int), time-major: the id
// of row b at step t is at t*B + b.
func (g *Graph) Tokens() *G.Node {
	if g.tokens == nil {
		v := tensor.New(tensor.Of(tensor.Int), tensor.WithShape(g.steps*g.batch))
		g.tokens = G.NewVector(g.ExprGraph, tensor.Int, G.WithShape(g.steps*g.batch), G.WithName("tokens"), G.WithValue(v))
	}
	return g.tokens
}

// addInput creates a per-batch float input node of the given shape whose
// value fill recomputes in SetBatch (so SetBatch comes after building).
func (g *Graph) addInput(name string, shape tensor.Shape, fill func(dst []float64)) *G.Node {
	v := tensor.New(tensor.Of(g.params.dtype), tensor.WithShape(shape.Clone()...))
	name = fmt.Sprintf("%s_%d", name, len(g.inputs))
	n := G.NewTensor(g.ExprGraph, g.params.dtype, len(shape), G.WithShape(shape.Clone()...), G.WithName(name), G.WithValue(v))
	in := &input{node: n, fill: fill, scratch: make([]float64, shape.TotalSize())}
	g.inputs = append(g.inputs, in)
	return n
}

func (g *Graph) refill(in *input) {
	in.fill(in.scratch)
	copyInto(in.node.Value().(*tensor.Dense), in.scratch)
}

// zerosNode returns a constant [B, width] node of zeros (the default initial
// state).
func (g *Graph) zerosNode(width int) *G.Node {
	if n, ok := g.zeros[width]; ok {
		return n
	}
	v := tensor.New(tensor.Of(g.params.dtype), tensor.WithShape(g.batch, width))
	n := G.NewMatrix(g.ExprGraph, g.params.dtype, G.WithShape(g.batch, width), G.WithName(fmt.Sprintf("zeros_%d", width)), G.WithValue(v))
	g.zeros[width] = n
	return n
}

// stepMask returns the per-step masks [B, width] of step t: keep is 1 for
// rows whose length exceeds t, hold is 1 - keep.
func (g *Graph) stepMask(t, width int) (keep, hold *G.Node) {
	m, ok := g.masks[width]
	if !ok {
		m = &stepMasks{keep: make([]*G.Node, g.steps), hold: make([]*G.Node, g.steps)}
		g.masks[width] = m
	}
	if m.keep[t] == nil {
		shape := tensor.Shape{g.batch, width}
		m.keep[t] = g.addInput("keep", shape, func(dst []float64) { g.fillStepMask(dst, t, width, 1) })
		m.hold[t] = g.addInput("hold", shape, func(dst []float64) { g.fillStepMask(dst, t, width, 0) })
	}
	return m.keep[t], m.hold[t]
}

func (g *Graph) fillStepMask(dst []float64, t, width int, real float64) {
	for b, n := range g.lengths {
		v := 1 - real
		if t < n {
			v = real
		}
		row := dst[b*width : (b+1)*width]
		for i := range row {
			row[i] = v
		}
	}
}

// SetRNG sets the source of the graph's dropout masks. A training graph with
// dropout needs one before SetBatch.
func (g *Graph) SetRNG(rng *RNG) { g.rng = rng }

// SetBatch loads one padded batch: ids [B*T] row-major token ids (the id of
// row b at step t is at b*T + t), lengths [B] with 1 <= lengths[b] <= T, and
// labels [B] (nil when the graph has no loss). It refills every per-batch
// input, drawing new dropout masks in training graphs.
func (g *Graph) SetBatch(ids, lengths, labels []int) error {
	if err := g.checkBatch(ids, lengths, labels); err != nil {
		return err
	}
	g.ids, g.lengths, g.labels = ids, lengths, labels
	if g.tokens != nil {
		dst := g.tokens.Value().Data().([]int)
		for b := 0; b < g.batch; b++ {
			for t := 0; t < g.steps; t++ {
				dst[t*g.batch+b] = ids[b*g.steps+t]
			}
		}
	}
	for _, in := range g.inputs {
		g.refill(in)
	}
	return nil
}

func (g *Graph) checkBatch(ids, lengths, labels []int) error {
	if len(ids) != g.batch*g.steps {
		return errors.Errorf("graph: batch has %d ids, want B*T = %d*%d = %d", len(ids), g.batch, g.steps, g.batch*g.steps)
	}
	if len(lengths) != g.batch {
		return errors.Errorf("graph: batch has %d lengths, want B = %d", len(lengths), g.batch)
	}
	for b, n := range lengths {
		if n < 1 || n > g.steps {
			return errors.Errorf("graph: row %d has length %d, want 1..%d", b, n, g.steps)
		}
	}
	if g.vocabSize > 0 {
		for i, id := range ids {
			if id < 0 || id >= g.vocabSize {
				return errors.Errorf("graph: row %d step %d: token id %d out of range [0, %d)", i/g.steps, i%g.steps, id, g.vocabSize)
			}
		}
	}
	if labels != nil && len(labels) != g.batch {
		return errors.Errorf("graph: batch has %d labels, want B = %d", len(labels), g.batch)
	}
	if g.dropouts > 0 && g.rng == nil {
		return errors.New("graph: training graph with dropout needs SetRNG before SetBatch")
	}
	g.labels = labels
	for _, check := range g.checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}
