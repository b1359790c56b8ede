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
	// Fused builds each layer direction, the embedding lookup, merges,
	// poolings, per-step linear layers and losses as one Gorgonia op each,
	// with hand-written forward and backward kernels that reuse their
	// buffers across runs. A fused graph serves every batch padded to at
	// most the capacity of its sequences.
	Fused Impl = iota
	// Composed unrolls every step into primitive Gorgonia ops: the clear
	// reference. A composed graph serves only batches padded to exactly
	// the capacity of its sequences.
	Composed
)

// String returns "fused" or "composed".
func (i Impl) String() string {
	if i == Composed {
		return "composed"
	}
	return "fused"
}

// Config describes the batches a graph is built for. The lengths of its
// token sequences are declared with NewSequence.
type Config struct {
	// Batch is B, the number of rows of every batch (required).
	Batch int
	// Training enables dropout.
	Training bool
	// Impl is Fused (default) or Composed.
	Impl Impl
	// Workspace is the scratch memory of the fused kernels, which graphs
	// that never run at the same time may share. Default nil: the graph's
	// own.
	Workspace *Workspace
}

// Graph is one Gorgonia expression graph over batches of B rows. Its
// per-batch inputs are declared explicitly: token sequences (NewSequence),
// targets (NewLabels, NewTokenTargets) and float inputs such as initial
// states (NewInput); layers take them as arguments. Parameter nodes are
// bound to the values of a shared Params set, so several graphs (one per
// padded length, one per worker) train the same weights; each graph keeps
// its own activations and gradients until AccumulateGrads adds them to the
// parameters.
//
// A Graph is not safe for concurrent use; use one Graph per goroutine.
// Graphs share only their parameters' data, so graphs over one Params may
// be built, compiled and run in parallel while nothing writes the
// parameters (inference); graphs sharing a Workspace must still run one at
// a time.
type Graph struct {
	expr   *G.ExprGraph
	params *Params
	cfg    Config

	paramNodes   map[*Param]*G.Node
	used         []*Param                    // parameters the graph uses, in order of first use
	sparse       map[*Param][]*embeddingGrad // the fused lookups of each embedding weight
	workspace    *Workspace
	kernelCounts map[string]int

	sequences []*Sequence
	targets   []*Targets
	random    []*input // inputs redrawn at every Run (dropout masks)
	zeros     map[int]*G.Node
	unit      *G.Node // the layout of one step for every row (cell steps)
	gates     map[*DirectionWeights][]gate
	nextID    int
	rng       *RNG

	machine  *tape
	runs     uint64 // the runs so far
	learning bool
	bound    []*Param // parameters whose gradients Gorgonia binds to their nodes' dual values
	watched  map[*G.Node]*G.Node
}

// input is a per-batch float input node whose value fill recomputes.
type input struct {
	node    *G.Node
	fill    func(dst []float64)
	scratch []float64
}

func (in *input) refill() {
	in.fill(in.scratch)
	copyInto(in.node.Value().(*tensor.Dense), in.scratch)
}

// New returns an empty graph for the batches cfg describes, whose parameter
// nodes share the values of params.
func New(params *Params, cfg Config) (*Graph, error) {
	if params == nil {
		return nil, errors.New("graph: nil Params")
	}
	if cfg.Batch <= 0 {
		return nil, errors.Errorf("graph: batch size %d must be positive", cfg.Batch)
	}
	if cfg.Impl != Fused && cfg.Impl != Composed {
		return nil, errors.Errorf("graph: unknown implementation %d", cfg.Impl)
	}
	ws := cfg.Workspace
	if ws == nil {
		ws = NewWorkspace()
	}
	return &Graph{
		expr:         G.NewGraph(),
		params:       params,
		cfg:          cfg,
		paramNodes:   map[*Param]*G.Node{},
		sparse:       map[*Param][]*embeddingGrad{},
		workspace:    ws,
		kernelCounts: map[string]int{},
		zeros:        map[int]*G.Node{},
		gates:        map[*DirectionWeights][]gate{},
	}, nil
}

// ExprGraph returns the underlying Gorgonia expression graph, for building
// Gorgonia ops of one's own beside gornn's layers.
func (g *Graph) ExprGraph() *G.ExprGraph { return g.expr }

// Batch returns B, the number of rows of the graph's batches.
func (g *Graph) Batch() int { return g.cfg.Batch }

// Training reports whether the graph was built for training.
func (g *Graph) Training() bool { return g.cfg.Training }

// Impl returns how the graph builds its layers.
func (g *Graph) Impl() Impl { return g.cfg.Impl }

// Dtype returns the dtype of the graph's float nodes.
func (g *Graph) Dtype() tensor.Dtype { return g.params.dtype }

// Params returns the parameter set the graph is bound to.
func (g *Graph) Params() *Params { return g.params }

// Param returns the node bound to the parameter called name, creating it on
// first use, for use in Gorgonia ops. Every use of a parameter in one graph
// shares this node, and Compile differentiates the loss with respect to it.
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
	// The node's value is a tensor of its own over the parameter's data:
	// compiling a graph writes into its values' tensor headers (Gorgonia
	// sets their engine), which must not race with another graph running
	// over the same parameters.
	shape := p.Value.Shape()
	view := tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(p.Value.Data()))
	n := G.NewTensor(g.expr, g.params.dtype, len(shape), G.WithShape(shape.Clone()...), G.WithName(p.Name), G.WithValue(view))
	g.paramNodes[p] = n
	g.used = append(g.used, p)
	return n
}

// Learnables returns the nodes of every parameter the graph uses and
// trains (all but the Frozen ones), in the order the graph first used
// them. After Run, each one's Grad() is the gradient of the loss with
// respect to it, so a Gorgonia solver
// (G.NewAdamSolver().Step(G.NodesToValueGrads(g.Learnables()))) trains
// the graph's parameters like the train package does.
func (g *Graph) Learnables() []*G.Node {
	nodes := make([]*G.Node, 0, len(g.used))
	for _, p := range g.used {
		if !p.Frozen {
			nodes = append(nodes, g.paramNodes[p])
		}
	}
	return nodes
}

// uniqueName returns prefix followed by a number unique in the graph, for
// nodes that Gorgonia must not merge with look-alikes.
func (g *Graph) uniqueName(prefix string) string {
	g.nextID++
	return fmt.Sprintf("%s_%d", prefix, g.nextID)
}

// newInput creates a float input node of the given shape whose value fill
// recomputes on refill.
func (g *Graph) newInput(name string, shape tensor.Shape, fill func(dst []float64)) *input {
	v := tensor.New(tensor.Of(g.params.dtype), tensor.WithShape(shape.Clone()...))
	n := G.NewTensor(g.expr, g.params.dtype, len(shape), G.WithShape(shape.Clone()...), G.WithName(g.uniqueName(name)), G.WithValue(v))
	return &input{node: n, fill: fill, scratch: make([]float64, shape.TotalSize())}
}

// zerosNode returns a constant [B, width] node of zeros (the default initial
// state).
func (g *Graph) zerosNode(width int) *G.Node {
	if n, ok := g.zeros[width]; ok {
		return n
	}
	v := tensor.New(tensor.Of(g.params.dtype), tensor.WithShape(g.cfg.Batch, width))
	n := G.NewMatrix(g.expr, g.params.dtype, G.WithShape(g.cfg.Batch, width), G.WithName(fmt.Sprintf("zeros_%d", width)), G.WithValue(v))
	g.zeros[width] = n
	return n
}

// unitLayout returns a constant layout node of one step for every row,
// which the fused cell step feeds to the recurrent kernel.
func (g *Graph) unitLayout() *G.Node {
	if g.unit != nil {
		return g.unit
	}
	layout := make([]int, g.cfg.Batch+1)
	for i := range layout {
		layout[i] = 1
	}
	v := tensor.New(tensor.WithShape(len(layout)), tensor.WithBacking(layout))
	g.unit = G.NewVector(g.expr, tensor.Int, G.WithShape(len(layout)), G.WithName("unit_layout"), G.WithValue(v))
	return g.unit
}

// SetRNG sets the source of the graph's dropout masks. A training graph with
// dropout needs one before Run, which draws new masks from it.
func (g *Graph) SetRNG(rng *RNG) { g.rng = rng }

// checkReady reports what a Run still needs: every sequence and target
// set, a dropout source.
func (g *Graph) checkReady() error {
	for _, s := range g.sequences {
		if s.lengths == nil {
			return errors.Errorf("graph: Run before sequence %q is Set", s.name)
		}
	}
	for _, t := range g.targets {
		if !t.set {
			return errors.Errorf("graph: Run before targets %q are Set", t.name)
		}
		if t.seq != nil && t.sets != t.seq.sets {
			return errors.Errorf("graph: sequence %q was Set after targets %q: Set them again", t.seq.name, t.name)
		}
	}
	if len(g.random) > 0 && g.rng == nil {
		return errors.New("graph: training graph with dropout needs SetRNG before Run")
	}
	return nil
}

// owns reports whether s is one of the graph's sequences.
func (g *Graph) owns(s *Sequence) bool { return s != nil && slices.Contains(g.sequences, s) }
