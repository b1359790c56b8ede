package graph

import (
	"fmt"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// RecurrentConfig declares a recurrent layer stack, like PyTorch's
// nn.RNN/nn.LSTM/nn.GRU(InputSize, HiddenSize, NumLayers, bias=True,
// batch_first=True, Dropout, Bidirectional). The zero value of every
// optional field is its documented default.
type RecurrentConfig struct {
	Cell       Cell // RNNTanh (default), RNNReLU, LSTM or GRU
	InputSize  int  // I, features of each input step (required)
	HiddenSize int  // H, features of each state (required)
	NumLayers  int  // layers stacked; 0 means 1

	// Bidirectional adds a reverse direction to every layer, which reads
	// each row from its own last real token back to its first.
	Bidirectional bool
	// Merge combines the two directions' outputs of the top layer: Concat
	// (default, PyTorch's; 2H features), Sum, Mul or Ave (Keras'; H).
	// Between stacked layers the directions are always concatenated, as
	// in PyTorch's modules, so every configuration loads into them.
	Merge Merge
	// Dropout is the probability of zeroing each output of every layer but
	// the last, during training only (PyTorch's dropout argument). It must
	// be below 1, and 0 for a single layer, where it would do nothing
	// (PyTorch warns; gornn refuses).
	Dropout float64
}

// DirectionWeights are the parameters of one direction of one layer, with
// PyTorch's names and shapes (gates stacked in PyTorch's order):
// weight_ih [Gates*H, I], weight_hh [Gates*H, H], bias_ih and bias_hh
// [Gates*H].
type DirectionWeights struct {
	WeightIH, WeightHH, BiasIH, BiasHH *Param
}

// unrolled is one direction of one layer built into a graph: the output
// sequence (T steps [B, H], zero at padded steps) and the final hidden (and
// LSTM cell) state [B, H] at each row's true last token (or, in reverse, at
// its first token).
type unrolled struct {
	outputs *Seq
	h, c    *G.Node
	fused   *kernelNodes // the fused kernel's nodes; nil when composed
}

// unrollFunc builds one direction of one layer over x from the initial
// state h0 (and c0 for LSTM) [B, H].
type unrollFunc func(g *Graph, cell Cell, w *DirectionWeights, x *Seq, h0, c0 *G.Node, reverse bool) *unrolled

// Recurrent is a declared recurrent layer stack; Build adds it to a graph.
type Recurrent struct {
	Config RecurrentConfig
	// Weights holds each layer's directions: Weights[layer][0] forward,
	// Weights[layer][1] reverse.
	Weights [][]*DirectionWeights
}

// NewRecurrent validates cfg and declares the stack's parameters in ps with
// PyTorch's names "<name>.weight_ih_l<k>[_reverse]" (and weight_hh, bias_ih,
// bias_hh), each initialised from U(-1/sqrt(H), 1/sqrt(H)).
func NewRecurrent(ps *Params, name string, cfg RecurrentConfig) (*Recurrent, error) {
	if cfg.NumLayers == 0 {
		cfg.NumLayers = 1
	}
	if err := cfg.Validate(); err != nil {
		return nil, errors.Wrapf(err, "graph: recurrent layer %q", name)
	}
	r := &Recurrent{Config: cfg}
	for layer := 0; layer < cfg.NumLayers; layer++ {
		in := cfg.InputSize
		if layer > 0 {
			in = cfg.directions() * cfg.HiddenSize
		}
		var dirs []*DirectionWeights
		for dir := 0; dir < cfg.directions(); dir++ {
			suffix := fmt.Sprintf("_l%d", layer)
			if dir == 1 {
				suffix += "_reverse"
			}
			w, err := declareDirection(ps, name, suffix, cfg.Cell, in, cfg.HiddenSize)
			if err != nil {
				return nil, err
			}
			dirs = append(dirs, w)
		}
		r.Weights = append(r.Weights, dirs)
	}
	return r, nil
}

// declareDirection declares the weights of one direction of one layer (or
// of a cell), "<name>.weight_ih<suffix>" and the like, each initialised
// from U(-1/sqrt(H), 1/sqrt(H)).
func declareDirection(ps *Params, name, suffix string, cell Cell, in, hidden int) (*DirectionWeights, error) {
	gh := cell.Gates() * hidden
	init := uniformFan(hidden)
	var w DirectionWeights
	for _, p := range []struct {
		dst   **Param
		kind  string
		shape tensor.Shape
	}{
		{&w.WeightIH, "weight_ih", tensor.Shape{gh, in}},
		{&w.WeightHH, "weight_hh", tensor.Shape{gh, hidden}},
		{&w.BiasIH, "bias_ih", tensor.Shape{gh}},
		{&w.BiasHH, "bias_hh", tensor.Shape{gh}},
	} {
		param, err := ps.Add(name+"."+p.kind+suffix, p.shape, init)
		if err != nil {
			return nil, err
		}
		*p.dst = param
	}
	return &w, nil
}

// Validate reports the first field that makes cfg unusable. NumLayers 0
// counts as its default, 1.
func (cfg RecurrentConfig) Validate() error {
	layers := max(cfg.NumLayers, 1)
	switch {
	case !cfg.Cell.valid():
		return errors.Errorf("unknown cell %d", cfg.Cell)
	case cfg.InputSize <= 0 || cfg.HiddenSize <= 0:
		return errors.Errorf("input size %d and hidden size %d must be positive", cfg.InputSize, cfg.HiddenSize)
	case cfg.NumLayers < 0:
		return errors.Errorf("num layers %d must be positive", cfg.NumLayers)
	case !(cfg.Dropout >= 0 && cfg.Dropout < 1): // NaN too
		return errors.Errorf("dropout %v not in [0, 1)", cfg.Dropout)
	case cfg.Dropout > 0 && layers == 1:
		return errors.Errorf("dropout %v with one layer: dropout applies between stacked layers, so it needs at least 2", cfg.Dropout)
	case !cfg.Merge.valid():
		return errors.Errorf("unknown merge mode %d", cfg.Merge)
	}
	return nil
}

func (cfg *RecurrentConfig) directions() int {
	if cfg.Bidirectional {
		return 2
	}
	return 1
}

// OutputWidth returns the number of features of each output step: 2H for a
// bidirectional stack merged by Concat, H otherwise.
func (cfg RecurrentConfig) OutputWidth() int {
	if cfg.Bidirectional && cfg.Merge == Concat {
		return 2 * cfg.HiddenSize
	}
	return cfg.HiddenSize
}

// OutputWidth returns the number of features of each output step (see
// RecurrentConfig.OutputWidth).
func (r *Recurrent) OutputWidth() int { return r.Config.OutputWidth() }

// States are the per-layer, per-direction states of a stack, in PyTorch's
// h_n order: layer 0 forward, layer 0 reverse, layer 1 forward, ... Each
// node is [B, H]; C is nil except for LSTM.
type States struct {
	H, C []*G.Node
}

// RecurrentOutput is the result of building a stack into a graph.
type RecurrentOutput struct {
	// Outputs are the top layer's outputs, T steps [B, OutputWidth()],
	// zero at padded steps.
	Outputs *Seq
	// Final holds the final states of every layer and direction.
	Final States
	// Merge and Bidirectional describe how the top layer's directions
	// combine, for pooling the final states.
	Merge         Merge
	Bidirectional bool
}

// Build adds the stack to g over the input sequence x (T steps [B, I]),
// following the lengths x carries. initial gives the initial states (nil
// for zeros).
func (r *Recurrent) Build(g *Graph, x *Seq, initial *States) (out *RecurrentOutput, err error) {
	defer recoverTo(&err, "graph: building recurrent "+r.Weights[0][0].WeightIH.Name)
	cfg := r.Config
	if !g.owns(x.tokens) {
		return nil, errors.New("graph: the input sequence does not come from one of this graph's token sequences")
	}
	if x.Width() != cfg.InputSize {
		return nil, errors.Errorf("graph: input has %d steps of %d features, want %d of %d", x.Len(), x.Width(), x.Len(), cfg.InputSize)
	}
	if err := r.checkInitial(g, initial); err != nil {
		return nil, err
	}
	unroll := fusedUnroll
	if g.cfg.Impl == Composed {
		unroll = composedUnroll
	}
	out = &RecurrentOutput{Merge: cfg.Merge, Bidirectional: cfg.Bidirectional}
	for layer, dirs := range r.Weights {
		if layer > 0 {
			x = dropoutSeq(g, x, cfg.Dropout)
		}
		var results []*unrolled
		for dir, w := range dirs {
			h0, c0 := r.initialState(g, initial, layer*len(dirs)+dir)
			u := unroll(g, cfg.Cell, w, x, h0, c0, dir == 1)
			results = append(results, u)
			out.Final.H = append(out.Final.H, u.h)
			if cfg.Cell == LSTM {
				out.Final.C = append(out.Final.C, u.c)
			}
		}
		x = results[0].outputs
		if len(results) == 2 && results[0].fused != nil {
			pairDirections(*results[0].fused, *results[1].fused)
		}
		if len(results) == 2 {
			m := Concat
			if layer == len(r.Weights)-1 {
				m = cfg.Merge
			}
			x = mergeSeqs(g, results[0].outputs, results[1].outputs, m)
		}
	}
	out.Outputs = x
	return out, nil
}

func (r *Recurrent) checkInitial(g *Graph, initial *States) error {
	if initial == nil {
		return nil
	}
	want := len(r.Weights) * r.Config.directions()
	if len(initial.H) != want || (r.Config.Cell == LSTM) != (initial.C != nil) || (initial.C != nil && len(initial.C) != want) {
		return errors.Errorf("graph: initial states: want %d h (and c for LSTM only), got %d h, %d c", want, len(initial.H), len(initial.C))
	}
	for _, n := range append(append([]*G.Node(nil), initial.H...), initial.C...) {
		if !n.Shape().Eq(tensor.Shape{g.cfg.Batch, r.Config.HiddenSize}) {
			return errors.Errorf("graph: initial state has shape %v, want [%d, %d]", n.Shape(), g.cfg.Batch, r.Config.HiddenSize)
		}
	}
	return nil
}

func (r *Recurrent) initialState(g *Graph, initial *States, i int) (h0, c0 *G.Node) {
	if initial != nil {
		h0 = initial.H[i]
		if initial.C != nil {
			c0 = initial.C[i]
		}
		return h0, c0
	}
	zeros := g.zerosNode(r.Config.HiddenSize)
	if r.Config.Cell == LSTM {
		return zeros, zeros
	}
	return zeros, nil
}

func dropoutSeq(g *Graph, s *Seq, p float64) *Seq {
	if !g.cfg.Training || p == 0 {
		return s
	}
	if s.steps == nil {
		return &Seq{whole: dropout(g, s.whole, p), width: s.width, tokens: s.tokens}
	}
	return s.mapSteps(func(_ int, x *G.Node) *G.Node { return dropout(g, x, p) })
}

// composedUnroll is the reference unrollFunc: it unrolls the cell step by
// step into primitive Gorgonia ops, with separate matmuls for each gate, and
// masks each step with the rows' lengths.
func composedUnroll(g *Graph, cell Cell, w *DirectionWeights, x *Seq, h0, c0 *G.Node, reverse bool) *unrolled {
	gates := prepareGates(g, cell, w)
	step := cell.step()
	width := h0.Shape()[1]
	outputs := make([]*G.Node, x.Len())
	st := state{h: h0, c: c0}
	for i := range outputs {
		t := i
		if reverse {
			t = x.Len() - 1 - i
		}
		next := step(gates, x.step(t), st)
		keep, hold := x.tokens.stepMask(t, width)
		outputs[t] = must(G.HadamardProd(keep, next.h))
		st.h = must(G.Add(outputs[t], must(G.HadamardProd(hold, st.h))))
		if cell == LSTM {
			st.c = must(G.Add(must(G.HadamardProd(keep, next.c)), must(G.HadamardProd(hold, st.c))))
		}
	}
	return &unrolled{outputs: &Seq{steps: outputs, width: width, tokens: x.tokens}, h: st.h, c: st.c}
}

// fusedUnroll is the fast unrollFunc: one recurrentKernel op.
func fusedUnroll(g *Graph, cell Cell, w *DirectionWeights, x *Seq, h0, c0 *G.Node, reverse bool) *unrolled {
	nodes := applyRecurrentKernel(g, cell, w, x.wholeNode(), x.tokens.layout, x.tokens.cfg.Steps, h0, c0, reverse)
	u := &unrolled{outputs: &Seq{whole: nodes.out, width: h0.Shape()[1], tokens: x.tokens}, h: nodes.secondary[0], fused: &nodes}
	if cell == LSTM {
		u.c = nodes.secondary[1]
	}
	return u
}

// applyRecurrentKernel adds a recurrentKernel over x [steps, B, I] with
// the given layout and initial states.
func applyRecurrentKernel(g *Graph, cell Cell, w *DirectionWeights, x, layout *G.Node, steps int, h0, c0 *G.Node, reverse bool) kernelNodes {
	in, hidden := x.Shape()[2], h0.Shape()[1]
	inputs := []*G.Node{x, layout, g.paramNode(w.WeightIH), g.paramNode(w.WeightHH), g.paramNode(w.BiasIH), g.paramNode(w.BiasHH), h0}
	if cell == LSTM {
		inputs = append(inputs, c0)
	}
	var k kernel
	if g.Dtype() == tensor.Float32 {
		k32 := newRecurrentKernel[float32](g, cell, w, steps, in, hidden, reverse)
		k32.inputNodes = inputs
		k = k32
	} else {
		k = newRecurrentKernel[float64](g, cell, w, steps, in, hidden, reverse)
	}
	return applyKernel(g, k, inputs...)
}

// prepareGates slices each gate's rows out of the stacked weights and
// transposes them, once per graph.
func prepareGates(g *Graph, cell Cell, w *DirectionWeights) []gate {
	if gates, ok := g.gates[w]; ok {
		return gates
	}
	wih, whh := g.paramNode(w.WeightIH), g.paramNode(w.WeightHH)
	bih, bhh := g.paramNode(w.BiasIH), g.paramNode(w.BiasHH)
	hidden := whh.Shape()[1]
	gates := make([]gate, cell.Gates())
	for k := range gates {
		rows := G.S(k*hidden, (k+1)*hidden)
		bi := must(G.Reshape(must(G.Slice(bih, rows)), tensor.Shape{1, hidden}))
		bh := must(G.Reshape(must(G.Slice(bhh, rows)), tensor.Shape{1, hidden}))
		gates[k] = gate{
			wx: must(G.Transpose(must(G.Slice(wih, rows)))),
			wh: must(G.Transpose(must(G.Slice(whh, rows)))),
		}
		if cell == GRU && k == 2 {
			gates[k].b, gates[k].bh = bi, bh
		} else {
			gates[k].b = must(G.Add(bi, bh))
		}
	}
	g.gates[w] = gates
	return gates
}
