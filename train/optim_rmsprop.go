package train

import (
	"math"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/train/internal/vecopt"
)

// rmsprop is torch.optim.RMSprop (centered=False). For each element, with
// state v = "square_avg" (and b = "momentum_buffer" when Momentum > 0):
//
//	g = g + weight_decay·p                  if WeightDecay > 0
//	v = alpha·v + (1-alpha)·g·g
//	b = momentum·b + g / (sqrt(v) + eps);  p = p - lr·b     if Momentum > 0
//	p = p - lr · g / (sqrt(v) + eps)                        otherwise
type rmsprop struct {
	base
	alpha, eps, weightDecay, momentum float64
	lr                                float64        // of the current step
	k32                               vecopt.RMSprop // its float32 coefficients
}

var _ Optimizer = (*rmsprop)(nil)

func newRMSprop(params *graph.Params, cfg OptimizerConfig) *rmsprop {
	o := &rmsprop{
		alpha:       orDefault(cfg.Alpha, 0.99),
		eps:         orDefault(cfg.Eps, 1e-8),
		weightDecay: cfg.WeightDecay,
		momentum:    cfg.Momentum,
	}
	if o.momentum != 0 {
		o.init("rmsprop", o, params, cfg.Workers, 0, "square_avg", "momentum_buffer")
	} else {
		o.init("rmsprop", o, params, cfg.Workers, 0, "square_avg")
	}
	return o
}

// prepare sets the coefficients of an RMSprop step with learning rate lr.
func (o *rmsprop) prepare(lr float64) {
	o.lr = lr
	o.k32 = vecopt.RMSprop{
		WeightDecay:   float32(o.weightDecay),
		Alpha:         float32(o.alpha),
		OneMinusAlpha: float32(1 - o.alpha),
		Eps:           float32(o.eps),
		NegLR:         float32(-lr),
		Momentum:      float32(o.momentum),
	}
}

func (o *rmsprop) update(i, lo, hi int) {
	if o.f32 {
		o.update32(i, lo, hi)
	} else {
		o.update64(i, lo, hi)
	}
}

func (o *rmsprop) update32(i, lo, hi int) {
	p := o.params[i].Value.Float32s()[lo:hi]
	g := o.params[i].Grad.Float32s()[lo:hi]
	v := o.state[0][i].Float32s()[lo:hi]
	if o.momentum == 0 {
		o.k32.Update(p, g, v)
		return
	}
	o.k32.UpdateMomentum(p, g, v, o.state[1][i].Float32s()[lo:hi])
}

func (o *rmsprop) update64(i, lo, hi int) {
	p := o.params[i].Value.Float64s()[lo:hi]
	g := o.params[i].Grad.Float64s()[lo:hi]
	v := o.state[0][i].Float64s()[lo:hi]
	g, v = g[:len(p)], v[:len(p)]
	wd, eps, negLR := o.weightDecay, o.eps, -o.lr
	alpha, keep := o.alpha, 1-o.alpha
	if o.momentum == 0 {
		for j := range p {
			gj := g[j]
			if wd != 0 {
				gj = math.FMA(wd, p[j], gj)
			}
			v[j] = math.FMA(float64(keep*gj), gj, float64(v[j]*alpha))
			avg := math.Sqrt(v[j]) + eps
			p[j] += float64(negLR*gj) / avg
			g[j] = 0
		}
		return
	}
	buf := o.state[1][i].Float64s()[lo:hi]
	buf = buf[:len(p)]
	mom := o.momentum
	for j := range p {
		gj := g[j]
		if wd != 0 {
			gj = math.FMA(wd, p[j], gj)
		}
		v[j] = math.FMA(float64(keep*gj), gj, float64(v[j]*alpha))
		avg := math.Sqrt(v[j]) + eps
		buf[j] = float64(buf[j]*mom) + gj/avg
		p[j] = math.FMA(negLR, buf[j], p[j])
		g[j] = 0
	}
}
