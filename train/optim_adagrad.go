package train

import (
	"math"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/train/internal/vecopt"
)

// adagrad is torch.optim.Adagrad. At step t, for each element, with state
// s = "sum" (initially InitialAccumulator):
//
//	g = g + weight_decay·p                  if WeightDecay > 0
//	s = s + g·g
//	p = p - (lr / (1 + (t-1)·lr_decay)) · g / (sqrt(s) + eps)
type adagrad struct {
	base
	eps, weightDecay, lrDecay float64
	clr                       float64        // decayed learning rate of the current step
	k32                       vecopt.Adagrad // its float32 coefficients
}

var _ Optimizer = (*adagrad)(nil)

func newAdagrad(params *graph.Params, cfg OptimizerConfig) *adagrad {
	o := &adagrad{eps: orDefault(cfg.Eps, 1e-10), weightDecay: cfg.WeightDecay, lrDecay: cfg.LRDecay}
	o.init("adagrad", o, params, cfg.Workers, cfg.InitialAccumulator, "sum")
	return o
}

// prepare sets the coefficients of an Adagrad step with learning rate lr.
func (o *adagrad) prepare(lr float64) {
	o.clr = lr / (1 + float64(float64(o.step-1)*o.lrDecay)) // rounded product: no FMA
	o.k32 = vecopt.Adagrad{
		WeightDecay: float32(o.weightDecay),
		Eps:         float32(o.eps),
		NegLR:       float32(-o.clr),
	}
}

func (o *adagrad) update(i, lo, hi int) {
	if o.f32 {
		o.k32.Update(o.params[i].Value.Float32s()[lo:hi], o.params[i].Grad.Float32s()[lo:hi],
			o.state[0][i].Float32s()[lo:hi])
		return
	}
	p := o.params[i].Value.Float64s()[lo:hi]
	g := o.params[i].Grad.Float64s()[lo:hi]
	s := o.state[0][i].Float64s()[lo:hi]
	g, s = g[:len(p)], s[:len(p)]
	wd, eps, negCLR := o.weightDecay, o.eps, -o.clr
	for j := range p {
		gj := g[j]
		if wd != 0 {
			gj = math.FMA(wd, p[j], gj)
		}
		s[j] = math.FMA(gj, gj, s[j])
		std := math.Sqrt(s[j]) + eps
		p[j] += float64(negCLR*gj) / std
		g[j] = 0
	}
}
