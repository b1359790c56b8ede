package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
)

// Cell selects the recurrent cell of a layer.
type Cell int

// The recurrent cells, with PyTorch's equations (see rnn.go, lstm.go, gru.go).
const (
	RNNTanh Cell = iota // simple RNN, h' = tanh(W x + b_ih + H h + b_hh)
	RNNReLU             // simple RNN, h' = relu(W x + b_ih + H h + b_hh)
	LSTM                // long short-term memory, gates i, f, g, o
	GRU                 // gated recurrent unit, gates r, z, n
)

var cellNames = [...]string{RNNTanh: "rnn_tanh", RNNReLU: "rnn_relu", LSTM: "lstm", GRU: "gru"}

// ParseCell returns the cell called name: rnn_tanh, rnn_relu, lstm or gru.
func ParseCell(name string) (Cell, error) {
	for c, n := range cellNames {
		if n == name {
			return Cell(c), nil
		}
	}
	return 0, errors.Errorf("graph: unknown cell %q (want rnn_tanh, rnn_relu, lstm or gru)", name)
}

// String returns the cell's name as ParseCell accepts it.
func (c Cell) String() string {
	if c < 0 || int(c) >= len(cellNames) {
		return "unknown"
	}
	return cellNames[c]
}

// Gates returns the number of gate blocks stacked in the cell's weights:
// 1 for simple RNNs, 4 for LSTM (i, f, g, o), 3 for GRU (r, z, n).
func (c Cell) Gates() int {
	switch c {
	case LSTM:
		return 4
	case GRU:
		return 3
	}
	return 1
}

func (c Cell) valid() bool { return c >= RNNTanh && c <= GRU }

// gate holds one gate's weights, prepared once per graph for per-step use.
type gate struct {
	wx *G.Node // [I, H]: the gate's rows of weight_ih, transposed
	wh *G.Node // [H, H]: the gate's rows of weight_hh, transposed
	b  *G.Node // [1, H]: bias_ih + bias_hh (GRU n gate: bias_ih only)
	bh *G.Node // [1, H]: the GRU n gate's bias_hh; nil for other gates
}

// state is a cell's state at one step: h [B, H], and c [B, H] for LSTM.
type state struct{ h, c *G.Node }

// stepFunc computes the cell's next state from the input x [B, I].
type stepFunc func(gates []gate, x *G.Node, prev state) state

func (c Cell) step() stepFunc {
	switch c {
	case RNNTanh:
		return func(gs []gate, x *G.Node, prev state) state { return rnnStep(gs, x, prev, G.Tanh) }
	case RNNReLU:
		return func(gs []gate, x *G.Node, prev state) state { return rnnStep(gs, x, prev, G.Rectify) }
	case LSTM:
		return lstmStep
	}
	return gruStep
}

// preActivation returns x wx + h wh + b for one gate: [B, H].
func preActivation(gt gate, x, h *G.Node) *G.Node {
	xw := must(G.Mul(x, gt.wx))
	hw := must(G.Mul(h, gt.wh))
	return must(G.BroadcastAdd(must(G.Add(xw, hw)), gt.b, nil, []byte{0}))
}
