package graph

import (
	"fmt"
	"slices"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Impl selects how a graph builds its layers. Both follow the same
// semantics and give the same values; they differ in speed.
type Impl int

const (
	// Fused builds each layer direction, the embedding lookup, merges and
	// poolings as one Gorgonia op each, with hand-written forward and
	// backward kernels that reuse their buffers across runs. A fused graph
	// serves every batch padded to at most Config.Steps.
	Fused Impl = iota
	// Composed unrolls every step into primitive Gorgonia ops: the clear
	// reference. A composed graph serves only batches padded to exactly
	// Config.Steps.
	Composed
)

// String returns "fused" or "composed".
func (i Impl) String() string {
	if i == Composed {
		return "composed"
	}
	return "fused"
}

// Config describes the batches a graph is built for.
type Config struct {
	// Batch is B, the number of rows of every batch (required).
	Batch int
	// Steps is T: the padded length of every batch for a Composed graph,
	// the longest padded length accepted for a Fused graph (required).
	Steps int
	// Training enables dropout.
	Training bool
	// Impl is Fused (default) or Composed.
	Impl Impl
	// Padded runs the layers over the padding too, like an unpacked
	// PyTorch RNN over a padded batch: every row counts as long as the
	// batch's padded length, whatever lengths SetBatch is given.
	Padded bool
	// Workspace is the scratch memory of the fused kernels, which graphs
	// that never run at the same time may share. Default nil: the graph's
	// own.
	Workspace *Workspace
}

// Graph is one Gorgonia expression graph for padded batches of B rows and
// at most T steps. Parameter nodes are bound to the values of a shared
// Params set, so several graphs (one per padded length, one per worker)
// train the same weights; each graph keeps its own activations and
// gradients until AccumulateGrads adds them to the parameters. Per-batch
// inputs (token ids, length masks, one-hot targets, dropout masks) are
// nodes owned by the graph and refilled by SetBatch.
//
// A Graph is not safe for concurrent use; use one Graph per goroutine.
type Graph struct {
	*G.ExprGraph

	params *Params
	cfg    Config

	paramNodes   map[*Param]*G.Node
	dual         []*Param // parameters differentiated by Gorgonia
	direct       []*Param // parameters whose gradients fused kernels write
	anchor       *G.Node
	workspace    *Workspace
	kernelCounts map[string]int

	tokens    *G.Node
	vocabSize int
	inputs    []*input
	checks    []func(labels []int) error
	dropouts  int
	masks     map[int]*stepMasks
	zeros     map[int]*G.Node
	nextID    int

	ids     []int
	lengths []int
	padded  []int // the lengths of a Padded graph
	packing packing
	labels  []int
	active  int
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

// New returns an empty graph for the batches cfg describes, whose parameter
// nodes share the values of params.
func New(params *Params, cfg Config) (*Graph, error) {
	if params == nil {
		return nil, errors.New("graph: nil Params")
	}
	if cfg.Batch <= 0 || cfg.Steps <= 0 {
		return nil, errors.Errorf("graph: batch shape [%d, %d] must be positive", cfg.Batch, cfg.Steps)
	}
	if cfg.Impl != Fused && cfg.Impl != Composed {
		return nil, errors.Errorf("graph: unknown implementation %d", cfg.Impl)
	}
	ws := cfg.Workspace
	if ws == nil {
		ws = NewWorkspace()
	}
	return &Graph{
		ExprGraph:    G.NewGraph(),
		params:       params,
		cfg:          cfg,
		paramNodes:   map[*Param]*G.Node{},
		workspace:    ws,
		kernelCounts: map[string]int{},
		masks:        map[int]*stepMasks{},
		zeros:        map[int]*G.Node{},
	}, nil
}

// Batch returns B, the number of rows of the graph's batches.
func (g *Graph) Batch() int { return g.cfg.Batch }

// Steps returns T, the padded length the graph was built for.
func (g *Graph) Steps() int { return g.cfg.Steps }

// Training reports whether the graph was built for training.
func (g *Graph) Training() bool { return g.cfg.Training }

// Impl returns how the graph builds its layers.
func (g *Graph) Impl() Impl { return g.cfg.Impl }

// Dtype returns the dtype of the graph's float nodes.
func (g *Graph) Dtype() tensor.Dtype { return g.params.dtype }

// Params returns the parameter set the graph is bound to.
func (g *Graph) Params() *Params { return g.params }

// Lengths returns the lengths of the current batch's rows (nil before the
// first SetBatch).
func (g *Graph) Lengths() []int { return g.lengths }

// ActiveSteps returns the padded length of the current batch (at most
// Steps).
func (g *Graph) ActiveSteps() int { return g.active }

// Param returns the node bound to the parameter called name, creating it on
// first use, for use in Gorgonia ops: its gradient comes from Gorgonia's
// symbolic differentiation. Every use of a parameter in one graph shares
// this node.
func (g *Graph) Param(name string) (*G.Node, error) {
	p := g.params.Get(name)
	if p == nil {
		return nil, errors.Errorf("graph: no parameter %q", name)
	}
	return g.paramNode(p), nil
}

func (g *Graph) paramNode(p *Param) *G.Node {
	if !slices.Contains(g.dual, p) {
		g.dual = append(g.dual, p)
	}
	return g.valueNode(p)
}

// valueNode returns the node bound to p's value without registering it for
// Gorgonia's differentiation: fused kernels read it and write p's gradient
// themselves (see directGrad).
func (g *Graph) valueNode(p *Param) *G.Node {
	if n, ok := g.paramNodes[p]; ok {
		return n
	}
	shape := p.Value.Shape()
	n := G.NewTensor(g.ExprGraph, g.params.dtype, len(shape), G.WithShape(shape.Clone()...), G.WithName(p.Name), G.WithValue(p.Value))
	g.paramNodes[p] = n
	return n
}

// directGrad returns the gradient buffer of p that fused kernels add into,
// held in the graph's workspace; rowSparse buffers track the rows written.
func (g *Graph) directGrad(p *Param, rowSparse bool) *gradBuffer {
	if !slices.Contains(g.direct, p) {
		g.direct = append(g.direct, p)
	}
	return g.workspace.grad(p, rowSparse)
}

// gradAnchor returns the scalar learnable node that every fused kernel with
// parameters takes as an input. Differentiating the loss with respect to it
// makes Gorgonia build the kernels' backward ops, which write the
// parameters' gradients into their direct buffers; its own gradient is zero.
func (g *Graph) gradAnchor() *G.Node {
	if g.anchor == nil {
		g.anchor = G.NewScalar(g.ExprGraph, g.params.dtype, G.WithName("gradient_anchor"), G.WithValue(scalarValue(g.params.dtype, 0)))
	}
	return g.anchor
}

// Learnables returns the parameter nodes Gorgonia differentiates, in the
// order the graph first used them.
func (g *Graph) Learnables() []*G.Node {
	nodes := make([]*G.Node, len(g.dual))
	for i, p := range g.dual {
		nodes[i] = g.paramNodes[p]
	}
	return nodes
}

// Tokens returns the node [T*B] of token ids (tensor.Int), time-major: the id
// of row b at step t is at t*B + b.
func (g *Graph) Tokens() *G.Node {
	if g.tokens == nil {
		n := g.cfg.Steps * g.cfg.Batch
		v := tensor.New(tensor.Of(tensor.Int), tensor.WithShape(n))
		g.tokens = G.NewVector(g.ExprGraph, tensor.Int, G.WithShape(n), G.WithName("tokens"), G.WithValue(v))
	}
	return g.tokens
}

// uniqueName returns prefix followed by a number unique in the graph, for
// nodes that Gorgonia must not merge with look-alikes.
func (g *Graph) uniqueName(prefix string) string {
	g.nextID++
	return fmt.Sprintf("%s_%d", prefix, g.nextID)
}

// addInput creates a per-batch float input node of the given shape whose
// value fill recomputes in SetBatch (so SetBatch comes after building).
func (g *Graph) addInput(name string, shape tensor.Shape, fill func(dst []float64)) *G.Node {
	v := tensor.New(tensor.Of(g.params.dtype), tensor.WithShape(shape.Clone()...))
	n := G.NewTensor(g.ExprGraph, g.params.dtype, len(shape), G.WithShape(shape.Clone()...), G.WithName(g.uniqueName(name)), G.WithValue(v))
	g.inputs = append(g.inputs, &input{node: n, fill: fill, scratch: make([]float64, shape.TotalSize())})
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
	v := tensor.New(tensor.Of(g.params.dtype), tensor.WithShape(g.cfg.Batch, width))
	n := G.NewMatrix(g.ExprGraph, g.params.dtype, G.WithShape(g.cfg.Batch, width), G.WithName(fmt.Sprintf("zeros_%d", width)), G.WithValue(v))
	g.zeros[width] = n
	return n
}

// stepMask returns the per-step masks [B, width] of step t: keep is 1 for
// rows whose length exceeds t, hold is 1 - keep.
func (g *Graph) stepMask(t, width int) (keep, hold *G.Node) {
	m, ok := g.masks[width]
	if !ok {
		m = &stepMasks{keep: make([]*G.Node, g.cfg.Steps), hold: make([]*G.Node, g.cfg.Steps)}
		g.masks[width] = m
	}
	if m.keep[t] == nil {
		shape := tensor.Shape{g.cfg.Batch, width}
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

// SetBatch loads one padded batch of B rows and T steps: ids [B*T]
// row-major token ids (the id of row b at step t is at b*T + t), lengths [B]
// with 1 <= lengths[b] <= T, and labels [B] (nil when the graph has no
// loss). T must equal Steps for a Composed graph and be at most Steps for a
// Fused one. It refills every per-batch input, drawing new dropout masks in
// training graphs.
func (g *Graph) SetBatch(ids, lengths, labels []int) error {
	steps, err := g.checkBatch(ids, lengths, labels)
	if err != nil {
		return err
	}
	if g.cfg.Padded {
		g.padded = g.padded[:0]
		for range lengths {
			g.padded = append(g.padded, steps)
		}
		lengths = g.padded
	}
	g.ids, g.lengths, g.labels, g.active = ids, lengths, labels, steps
	g.packing.set(lengths, steps)
	if g.tokens != nil {
		dst := g.tokens.Value().Data().([]int)
		batch := g.cfg.Batch
		for b := 0; b < batch; b++ {
			for t := 0; t < steps; t++ {
				dst[t*batch+b] = ids[b*steps+t]
			}
		}
		clear(dst[steps*batch:])
	}
	for _, in := range g.inputs {
		g.refill(in)
	}
	return nil
}

// checkBatch validates a batch and returns its padded length.
func (g *Graph) checkBatch(ids, lengths, labels []int) (int, error) {
	batch := g.cfg.Batch
	if len(lengths) != batch {
		return 0, errors.Errorf("graph: batch has %d lengths, want B = %d", len(lengths), batch)
	}
	if len(ids) == 0 || len(ids)%batch != 0 {
		return 0, errors.Errorf("graph: batch has %d ids, want B*T for B = %d", len(ids), batch)
	}
	steps := len(ids) / batch
	switch {
	case g.cfg.Impl == Composed && steps != g.cfg.Steps:
		return 0, errors.Errorf("graph: batch has %d ids, want B*T = %d*%d = %d", len(ids), batch, g.cfg.Steps, batch*g.cfg.Steps)
	case steps > g.cfg.Steps:
		return 0, errors.Errorf("graph: batch is padded to %d steps, the graph takes at most %d", steps, g.cfg.Steps)
	}
	for b, n := range lengths {
		if n < 1 || n > steps {
			return 0, errors.Errorf("graph: row %d has length %d, want 1..%d", b, n, steps)
		}
	}
	if g.vocabSize > 0 {
		for i, id := range ids {
			if id < 0 || id >= g.vocabSize {
				return 0, errors.Errorf("graph: row %d step %d: token id %d out of range [0, %d)", i/steps, i%steps, id, g.vocabSize)
			}
		}
	}
	if labels != nil && len(labels) != batch {
		return 0, errors.Errorf("graph: batch has %d labels, want B = %d", len(labels), batch)
	}
	if g.dropouts > 0 && g.rng == nil {
		return 0, errors.New("graph: training graph with dropout needs SetRNG before SetBatch")
	}
	for _, check := range g.checks {
		if err := check(labels); err != nil {
			return 0, err
		}
	}
	return steps, nil
}
