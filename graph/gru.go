package graph

import G "gorgonia.org/gorgonia"

// gruStep is the GRU cell (PyTorch nn.GRU), gates in PyTorch's order:
//
//	r = sigmoid(x W_irᵀ + b_ir + h W_hrᵀ + b_hr)
//	z = sigmoid(x W_izᵀ + b_iz + h W_hzᵀ + b_hz)
//	n = tanh(x W_inᵀ + b_in + r * (h W_hnᵀ + b_hn))
//	h' = (1 - z) * n + z * h
//
// with x [B, I] and h [B, H]. h' is computed as n + z * (h - n).
func gruStep(gs []gate, x *G.Node, prev state) state {
	r := must(G.Sigmoid(preActivation(gs[0], x, prev.h)))
	z := must(G.Sigmoid(preActivation(gs[1], x, prev.h)))
	xn := must(G.BroadcastAdd(must(G.Mul(x, gs[2].wx)), gs[2].b, nil, []byte{0}))
	hn := must(G.BroadcastAdd(must(G.Mul(prev.h, gs[2].wh)), gs[2].bh, nil, []byte{0}))
	n := must(G.Tanh(must(G.Add(xn, must(G.HadamardProd(r, hn))))))
	h := must(G.Add(n, must(G.HadamardProd(z, must(G.Sub(prev.h, n))))))
	return state{h: h}
}
