package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// CellState is the state of a recurrent cell at one step: H [B, H], and C
// [B, H] for LSTM (nil for other cells).
type CellState struct {
	H, C *G.Node
}

// CellConfig declares a single recurrent cell, like PyTorch's
// nn.RNNCell/LSTMCell/GRUCell(InputSize, HiddenSize).
type CellConfig struct {
	Cell       Cell // RNNTanh (default), RNNReLU, LSTM or GRU
	InputSize  int  // I, the features of each step's input, extra inputs included (required)
	HiddenSize int  // H (required)
}

// RecurrentCell is one recurrent cell that a model steps itself, one step
// at a time: a decoder that feeds the previous step's attention into the
// next, say. Its parameters are PyTorch's cell parameters
// "<name>.weight_ih" [G*H, I], "<name>.weight_hh" [G*H, H],
// "<name>.bias_ih" and "<name>.bias_hh" [G*H], initialised from
// U(-1/sqrt(H), 1/sqrt(H)).
type RecurrentCell struct {
	Config  CellConfig
	Weights *DirectionWeights
}

// NewRecurrentCell declares a cell called name in ps.
func NewRecurrentCell(ps *Params, name string, cfg CellConfig) (*RecurrentCell, error) {
	rc := RecurrentConfig{Cell: cfg.Cell, InputSize: cfg.InputSize, HiddenSize: cfg.HiddenSize}
	if err := rc.Validate(); err != nil {
		return nil, errors.Wrapf(err, "graph: recurrent cell %q", name)
	}
	w, err := declareDirection(ps, name, "", cfg.Cell, cfg.InputSize, cfg.HiddenSize)
	if err != nil {
		return nil, err
	}
	return &RecurrentCell{Config: cfg, Weights: w}, nil
}

// Step computes the cell's next state, for every row, from the input x
// [B, I'] joined along the features with the extra inputs (an attention
// context, say; I' plus their widths must be I) and the previous state
// prev (a zero field: zeros). It is differentiable like any layer: in a
// Fused graph it is one fused op, whose weights' gradients Gorgonia sums
// over the steps.
func (c *RecurrentCell) Step(g *Graph, x *G.Node, prev CellState, extra ...*G.Node) (next CellState, err error) {
	defer recoverTo(&err, "graph: stepping cell "+c.Weights.WeightIH.Name)
	x, err = joinFeatures(g, x, extra, c.Config.InputSize)
	if err != nil {
		return CellState{}, err
	}
	if err := checkState(g, c.Config.Cell, prev, c.Config.HiddenSize); err != nil {
		return CellState{}, err
	}
	return stepCell(g, c.Config.Cell, c.Weights, x, prev), nil
}

// Step advances the stack one step for every row: x [B, I] is the input
// of the bottom layer, prev the states of every layer (PyTorch's h_n
// order, nil for zeros), with dropout between layers in training graphs.
// It returns the top layer's output [B, H] and the new states, so a
// decoder or a sampler runs the stack one token at a time. A
// bidirectional stack cannot step.
func (r *Recurrent) Step(g *Graph, x *G.Node, prev *States) (out *G.Node, next *States, err error) {
	defer recoverTo(&err, "graph: stepping recurrent "+r.Weights[0][0].WeightIH.Name)
	cfg := r.Config
	if cfg.Bidirectional {
		return nil, nil, errors.New("graph: a bidirectional stack cannot step: its reverse direction needs the whole sequence")
	}
	if x.Dims() != 2 || x.Shape()[0] != g.cfg.Batch || x.Shape()[1] != cfg.InputSize {
		return nil, nil, errors.Errorf("graph: input has shape %v, want [%d, %d]", x.Shape(), g.cfg.Batch, cfg.InputSize)
	}
	if err := r.checkInitial(g, prev); err != nil {
		return nil, nil, err
	}
	next = &States{}
	for layer, dirs := range r.Weights {
		if layer > 0 {
			x = dropout(g, x, cfg.Dropout)
		}
		h0, c0 := r.initialState(g, prev, layer)
		st := stepCell(g, cfg.Cell, dirs[0], x, CellState{H: h0, C: c0})
		next.H = append(next.H, st.H)
		if cfg.Cell == LSTM {
			next.C = append(next.C, st.C)
		}
		x = st.H
	}
	return x, next, nil
}

// stepCell is one step of a cell for every row: primitive ops in a
// Composed graph, a one-step recurrentKernel in a Fused one.
func stepCell(g *Graph, cell Cell, w *DirectionWeights, x *G.Node, prev CellState) CellState {
	hidden := w.WeightHH.Value.Shape()[1]
	if prev.H == nil {
		prev.H = g.zerosNode(hidden)
	}
	if cell == LSTM && prev.C == nil {
		prev.C = g.zerosNode(hidden)
	}
	if g.cfg.Impl == Composed {
		// The step reads copies of the previous state, so that the
		// caller's nodes keep their values (see keepKernel).
		st := cell.step()(prepareGates(g, cell, w), x, state{h: keep(g, prev.H), c: keep(g, prev.C)})
		return CellState{H: st.h, C: st.c}
	}
	x3 := must(G.Reshape(x, tensor.Shape{1, g.cfg.Batch, x.Shape()[1]}))
	nodes := applyRecurrentKernel(g, cell, w, x3, g.unitLayout(), 1, prev.H, prev.C, false)
	next := CellState{H: nodes.secondary[0]}
	if cell == LSTM {
		next.C = nodes.secondary[1]
	}
	return next
}

// joinFeatures returns x joined with extra along the features, checking
// the batch and the total width.
func joinFeatures(g *Graph, x *G.Node, extra []*G.Node, width int) (*G.Node, error) {
	all := append([]*G.Node{x}, extra...)
	total := 0
	for i, n := range all {
		if n.Dims() != 2 || n.Shape()[0] != g.cfg.Batch {
			return nil, errors.Errorf("graph: input %d has shape %v, want [%d, F]", i, n.Shape(), g.cfg.Batch)
		}
		total += n.Shape()[1]
	}
	if total != width {
		return nil, errors.Errorf("graph: inputs have %d features in all, want %d", total, width)
	}
	if len(extra) == 0 {
		return x, nil
	}
	return must(G.Concat(1, all...)), nil
}

// checkState checks a cell state's shapes (nil fields are zeros).
func checkState(g *Graph, cell Cell, st CellState, hidden int) error {
	if cell != LSTM && st.C != nil {
		return errors.Errorf("graph: a %v cell has no c state", cell)
	}
	for _, n := range []*G.Node{st.H, st.C} {
		if n != nil && !n.Shape().Eq(tensor.Shape{g.cfg.Batch, hidden}) {
			return errors.Errorf("graph: state has shape %v, want [%d, %d]", n.Shape(), g.cfg.Batch, hidden)
		}
	}
	return nil
}
