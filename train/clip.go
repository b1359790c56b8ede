package train

import (
	"math"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/train/internal/vecopt"
	"gorgonia.org/tensor"
)

// ClipGradNorm rescales the gradients of params in place so that their
// global 2-norm, taken over all gradients as one vector, is at most maxNorm,
// and returns that norm before clipping, like torch.nn.utils.clip_grad_norm_
// (PyTorch 1.13, norm_type 2):
//
//	total = ‖(‖g₁‖, ‖g₂‖, …)‖
//	coef  = min(maxNorm / (total + 1e-6), 1)
//	gᵢ    = coef · gᵢ     (for every gradient, even when coef is 1)
//
// All of it is computed in the parameters' dtype, in PyTorch's summation
// order (float32: 8 partial sums with fused multiply-adds, as its AVX2
// kernel; float64: one), so the norm and the clipped gradients match
// PyTorch's bit for bit. A NaN or infinite gradient makes the norm NaN or infinite and
// the gradients NaN or zero, as in PyTorch: check GradsFinite first.
func ClipGradNorm(params *graph.Params, maxNorm float64) (totalNorm float64) {
	list := params.List()
	if len(list) == 0 {
		return 0
	}
	if params.Dtype() == tensor.Float32 {
		var stack [64]float32
		norms := stack[:0]
		for _, p := range list {
			norms = append(norms, norm32(p.Grad.Float32s()))
		}
		total := norm32(norms)
		// torch: max_norm / t is t.reciprocal() * max_norm; min keeps NaN.
		coef := min(float32(1/(total+float32(1e-6)))*float32(maxNorm), 1)
		for _, p := range list {
			g := p.Grad.Float32s()
			for i := range g {
				g[i] *= coef
			}
		}
		return float64(total)
	}
	var stack [64]float64
	norms := stack[:0]
	for _, p := range list {
		norms = append(norms, norm64(p.Grad.Float64s()))
	}
	total := norm64(norms)
	coef := min(float64(1/(total+1e-6))*maxNorm, 1)
	for _, p := range list {
		g := p.Grad.Float64s()
		for i := range g {
			g[i] *= coef
		}
	}
	return total
}

// norm32 returns the 2-norm of x as PyTorch's AVX2 float32 kernel computes
// it: 8 running sums of squares by fused multiply-add over the first
// len(x) - len(x)%8 elements, added left to right, then the remaining
// squares fused into that sum, then the square root.
func norm32(x []float32) float32 {
	var acc [8]float32
	body := len(x) - len(x)%8
	for i := 0; i < body; i += 8 {
		v := x[i : i+8 : i+8]
		for l := range acc {
			acc[l] = vecopt.FMA32(v[l], v[l], acc[l])
		}
	}
	s := acc[0]
	for _, a := range acc[1:] {
		s += a
	}
	for _, v := range x[body:] {
		s = vecopt.FMA32(v, v, s)
	}
	return vecopt.Sqrt32(s)
}

// norm64 returns the 2-norm of x as PyTorch's float64 kernel computes it
// (its generic reduction, single-threaded): one running sum of squares by
// fused multiply-add, then the square root. PyTorch splits tensors of more
// than 32768 elements among its threads, which changes the rounding; gornn
// does not.
func norm64(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s = math.FMA(v, v, s)
	}
	return math.Sqrt(s)
}

// GradsFinite reports whether every gradient element of params is finite;
// when one is not, it returns the name of the first such parameter.
func GradsFinite(params *graph.Params) (name string, ok bool) {
	for _, p := range params.List() {
		if params.Dtype() == tensor.Float32 {
			for _, v := range p.Grad.Float32s() {
				if v-v != 0 { // NaN or ±Inf
					return p.Name, false
				}
			}
			continue
		}
		for _, v := range p.Grad.Float64s() {
			if v-v != 0 {
				return p.Name, false
			}
		}
	}
	return "", true
}
