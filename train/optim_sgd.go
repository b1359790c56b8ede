package train

import (
	"math"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/train/internal/vecopt"
)

// sgd is torch.optim.SGD. For each element, with g the gradient and p the
// parameter (state "momentum_buffer" b when Momentum > 0):
//
//	g = g + weight_decay·p                 if WeightDecay > 0
//	b = g                                  at the first step
//	b = momentum·b + (1-dampening)·g       afterwards
//	g = g + momentum·b  (Nesterov)  or  g = b
//	p = p - lr·g
type sgd struct {
	base
	momentum, dampening, weightDecay float64
	nesterov                         bool
	lr                               float64    // of the current step
	k32                              vecopt.SGD // its float32 coefficients
}

var _ Optimizer = (*sgd)(nil)

func newSGD(params *graph.Params, cfg OptimizerConfig) *sgd {
	o := &sgd{momentum: cfg.Momentum, dampening: cfg.Dampening, weightDecay: cfg.WeightDecay, nesterov: cfg.Nesterov}
	if o.momentum != 0 {
		o.init("sgd", o, params, cfg.Workers, 0, "momentum_buffer")
	} else {
		o.init("sgd", o, params, cfg.Workers, 0)
	}
	return o
}

// prepare sets the coefficients of an SGD step with learning rate lr.
func (o *sgd) prepare(lr float64) {
	o.lr = lr
	o.k32 = vecopt.SGD{
		WeightDecay:       float32(o.weightDecay),
		NegLR:             float32(-lr),
		Momentum:          float32(o.momentum),
		OneMinusDampening: float32(1 - o.dampening),
		Nesterov:          o.nesterov,
		First:             o.step == 1,
	}
}

func (o *sgd) update(i, lo, hi int) {
	if o.f32 {
		o.update32(i, lo, hi)
	} else {
		o.update64(i, lo, hi)
	}
}

func (o *sgd) update32(i, lo, hi int) {
	p := o.params[i].Value.Float32s()[lo:hi]
	g := o.params[i].Grad.Float32s()[lo:hi]
	if o.momentum == 0 {
		o.k32.Update(p, g)
		return
	}
	o.k32.UpdateMomentum(p, g, o.state[0][i].Float32s()[lo:hi])
}

func (o *sgd) update64(i, lo, hi int) {
	p := o.params[i].Value.Float64s()[lo:hi]
	g := o.params[i].Grad.Float64s()[lo:hi]
	g = g[:len(p)]
	wd, negLR := o.weightDecay, -o.lr
	if o.momentum == 0 {
		for j := range p {
			d := g[j]
			if wd != 0 {
				d = math.FMA(wd, p[j], d)
			}
			p[j] = math.FMA(negLR, d, p[j])
			g[j] = 0
		}
		return
	}
	buf := o.state[0][i].Float64s()[lo:hi]
	buf = buf[:len(p)]
	mom, keep, first, nesterov := o.momentum, 1-o.dampening, o.step == 1, o.nesterov
	for j := range p {
		d := g[j]
		if wd != 0 {
			d = math.FMA(wd, p[j], d)
		}
		if first {
			buf[j] = d
		} else {
			buf[j] = math.FMA(keep, d, float64(buf[j]*mom))
		}
		if nesterov {
			d = math.FMA(mom, buf[j], d)
		} else {
			d = buf[j]
		}
		p[j] = math.FMA(negLR, d, p[j])
		g[j] = 0
	}
}
