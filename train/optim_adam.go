package train

import (
	"math"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/train/internal/vecopt"
)

// adam is torch.optim.Adam (amsgrad=False). At step t, for each element,
// with state m = "exp_avg" and v = "exp_avg_sq":
//
//	g = g + weight_decay·p                  if WeightDecay > 0
//	m = beta1·m + (1-beta1)·g
//	v = beta2·v + (1-beta2)·g·g
//	p = p - (lr / (1-beta1^t)) · m / (sqrt(v) / sqrt(1-beta2^t) + eps)
type adam struct {
	base
	beta1, beta2, eps, weightDecay float64
	// Of the current step:
	stepSize, bc2Sqrt float64
	k32               vecopt.Adam // the float32 coefficients
}

var _ Optimizer = (*adam)(nil)

func newAdam(params *graph.Params, cfg OptimizerConfig) *adam {
	o := &adam{
		beta1:       orDefault(cfg.Beta1, 0.9),
		beta2:       orDefault(cfg.Beta2, 0.999),
		eps:         orDefault(cfg.Eps, 1e-8),
		weightDecay: cfg.WeightDecay,
	}
	o.init("adam", o, params, cfg.Workers, 0, "exp_avg", "exp_avg_sq")
	return o
}

// prepare sets the coefficients of an Adam step with learning rate lr.
func (o *adam) prepare(lr float64) {
	// As torch: scalars in float64, then rounded to the parameters' dtype.
	o.stepSize = lr / (1 - powInt(o.beta1, o.step))
	o.bc2Sqrt = math.Sqrt(1 - powInt(o.beta2, o.step))
	o.k32 = vecopt.Adam{
		WeightDecay:         float32(o.weightDecay),
		Beta1:               float32(o.beta1),
		Beta2:               float32(o.beta2),
		OneMinusBeta1:       float32(1 - o.beta1),
		OneMinusBeta2:       float32(1 - o.beta2),
		Eps:                 float32(o.eps),
		BiasCorrection2Sqrt: float32(o.bc2Sqrt),
		NegStepSize:         float32(-o.stepSize),
	}
}

func (o *adam) update(i, lo, hi int) {
	if o.f32 {
		o.k32.Update(o.params[i].Value.Float32s()[lo:hi], o.params[i].Grad.Float32s()[lo:hi],
			o.state[0][i].Float32s()[lo:hi], o.state[1][i].Float32s()[lo:hi])
		return
	}
	p := o.params[i].Value.Float64s()[lo:hi]
	g := o.params[i].Grad.Float64s()[lo:hi]
	m := o.state[0][i].Float64s()[lo:hi]
	v := o.state[1][i].Float64s()[lo:hi]
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)] // bounds-check elimination
	wd, eps := o.weightDecay, o.eps
	b1, keep1, b2, keep2 := o.beta1, 1-o.beta1, o.beta2, 1-o.beta2
	bc2Sqrt, negStep := o.bc2Sqrt, -o.stepSize
	for j := range p {
		gj := g[j]
		if wd != 0 {
			gj = math.FMA(wd, p[j], gj)
		}
		m[j] = math.FMA(keep1, gj, float64(m[j]*b1))
		v[j] = math.FMA(float64(keep2*gj), gj, float64(v[j]*b2))
		denom := float64(math.Sqrt(v[j])/bc2Sqrt) + eps
		p[j] += float64(negStep*m[j]) / denom
		g[j] = 0
	}
}
