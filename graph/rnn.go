package graph

import G "gorgonia.org/gorgonia"

// rnnStep is the simple RNN cell (PyTorch nn.RNN):
//
//	h' = σ(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)
//
// with σ = tanh or relu; x [B, I], h [B, H].
func rnnStep(gs []gate, x *G.Node, prev state, act func(*G.Node) (*G.Node, error)) state {
	return state{h: must(act(preActivation(gs[0], x, prev.h)))}
}
