package graph

import G "gorgonia.org/gorgonia"

// lstmStep is the LSTM cell (PyTorch nn.LSTM), gates in PyTorch's order:
//
//	i = sigmoid(x W_iiᵀ + b_ii + h W_hiᵀ + b_hi)
//	f = sigmoid(x W_ifᵀ + b_if + h W_hfᵀ + b_hf)
//	g = tanh(x W_igᵀ + b_ig + h W_hgᵀ + b_hg)
//	o = sigmoid(x W_ioᵀ + b_io + h W_hoᵀ + b_ho)
//	c' = f * c + i * g
//	h' = o * tanh(c')
//
// with x [B, I] and h, c [B, H]; each gate has its own matmuls (the composed
// reference path does not slice one fused product).
func lstmStep(gs []gate, x *G.Node, prev state) state {
	i := must(G.Sigmoid(preActivation(gs[0], x, prev.h)))
	f := must(G.Sigmoid(preActivation(gs[1], x, prev.h)))
	g := must(G.Tanh(preActivation(gs[2], x, prev.h)))
	o := must(G.Sigmoid(preActivation(gs[3], x, prev.h)))
	c := must(G.Add(must(G.HadamardProd(f, prev.c)), must(G.HadamardProd(i, g))))
	h := must(G.HadamardProd(o, must(G.Tanh(c))))
	return state{h: h, c: c}
}
