package train

import (
	"math"

	"github.com/gornn/gornn/graph"
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
	clr                       float64 // decayed learning rate of the current step
}

var _ Optimizer = (*adagrad)(nil)

func newAdagrad(params *graph.Params, cfg OptimizerConfig) *adagrad {
	o := &adagrad{eps: orDefault(cfg.Eps, 1e-10), weightDecay: cfg.WeightDecay, lrDecay: cfg.LRDecay}
	o.init("adagrad", o, params, cfg.Workers, cfg.InitialAccumulator, "sum")
	return o
}

// Step applies one Adagrad update with learning rate lr.
func (o *adagrad) Step(lr float64) error {
	if err := o.check(lr); err != nil {
		return err
	}
	o.step++
	o.clr = lr / (1 + float64(o.step-1)*o.lrDecay)
	o.apply()
	return nil
}

func (o *adagrad) update(i, lo, hi int) {
	if o.f32 {
		p := o.params[i].Value.Float32s()[lo:hi]
		g := o.params[i].Grad.Float32s()[lo:hi]
		s := o.state[0][i].Float32s()[lo:hi]
		g, s = g[:len(p)], s[:len(p)] // bounds-check elimination
		wd, eps, negCLR := float32(o.weightDecay), float32(o.eps), float32(-o.clr)
		for j := range p {
			gj := g[j]
			if wd != 0 {
				gj = fma32(wd, p[j], gj)
			}
			s[j] = fma32(gj, gj, s[j])
			std := sqrt32(s[j]) + eps
			p[j] += float32(float32(negCLR*gj) / std)
		}
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
	}
}
