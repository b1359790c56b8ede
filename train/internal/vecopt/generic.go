package vecopt

import "math"

// The pure-Go kernels: the portable implementation and the reference the
// assembly is tested against. With skip false they are PyTorch's update,
// operation for operation. With skip true they leave out the elements
// whose gradient and state are zero, which the update would leave as they
// are: it would store the same zeros into the state and add -0 to p,
// which changes no bit of a number (TestSkipIsExact). (It would quieten a
// signalling NaN; NaN payloads are not part of the guarantee.) With weight
// decay such an element is unchanged only when p = ±0, and the kernels do
// not skip.
//
// Every float32 product that is not an fma32 is converted to float32
// before it is added, so that no compiler fuses it into an FMA (arm64 and
// GOAMD64=v3 builds would).

const signBit = 1 << 31

// zeroState reports whether the bits of every state value are zero (+0).
func zeroState(bits uint32) bool { return bits == 0 }

func adamGeneric(k *Adam, p, g, m, v []float32, skip bool) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)] // bounds-check elimination, as below
	wd, eps := k.WeightDecay, k.Eps
	b1, keep1, b2, keep2 := k.Beta1, k.OneMinusBeta1, k.Beta2, k.OneMinusBeta2
	bc2Sqrt, negStep := k.BiasCorrection2Sqrt, k.NegStepSize
	for j := range p {
		gj := g[j]
		// The sign of a zero gradient does not matter here: m and v
		// become +0 whatever it is, and p + (NegStepSize·(+0))/Eps is p.
		if skip && zeroState(math.Float32bits(gj)&^signBit|math.Float32bits(m[j])|math.Float32bits(v[j])) {
			g[j] = 0
			continue
		}
		if wd != 0 {
			gj = fma32(wd, p[j], gj)
		}
		mj := fma32(keep1, gj, float32(m[j]*b1))
		vj := fma32(float32(keep2*gj), gj, float32(v[j]*b2))
		denom := float32(sqrt32(vj)/bc2Sqrt) + eps
		p[j] += float32(float32(negStep*mj) / denom)
		m[j], v[j], g[j] = mj, vj, 0
	}
}

// For SGD, RMSprop and Adagrad a gradient of -0 is not skipped: the
// update adds NegLR·(-0) = +0 to the parameter, which turns p = -0 into
// +0.

func sgdGeneric(k *SGD, p, g []float32, skip bool) {
	g = g[:len(p)]
	wd, negLR := k.WeightDecay, k.NegLR
	for j := range p {
		d := g[j]
		if skip && zeroState(math.Float32bits(d)) {
			continue
		}
		if wd != 0 {
			d = fma32(wd, p[j], d)
		}
		p[j] = fma32(negLR, d, p[j])
		g[j] = 0
	}
}

func sgdMomentumGeneric(k *SGD, p, g, buf []float32, skip bool) {
	g, buf = g[:len(p)], buf[:len(p)]
	wd, negLR := k.WeightDecay, k.NegLR
	mom, keep, first, nesterov := k.Momentum, k.OneMinusDampening, k.First, k.Nesterov
	for j := range p {
		d := g[j]
		if skip && zeroState(math.Float32bits(d)|math.Float32bits(buf[j])) {
			continue
		}
		if wd != 0 {
			d = fma32(wd, p[j], d)
		}
		b := d
		if !first {
			// With OneMinusDampening = 1 this is d + b·Momentum, as
			// PyTorch computes it without dampening.
			b = fma32(keep, d, float32(buf[j]*mom))
		}
		if nesterov {
			d = fma32(mom, b, d)
		} else {
			d = b
		}
		p[j] = fma32(negLR, d, p[j])
		buf[j], g[j] = b, 0
	}
}

func rmspropGeneric(k *RMSprop, p, g, v []float32, skip bool) {
	g, v = g[:len(p)], v[:len(p)]
	wd, eps, negLR := k.WeightDecay, k.Eps, k.NegLR
	alpha, keep := k.Alpha, k.OneMinusAlpha
	for j := range p {
		gj := g[j]
		if skip && zeroState(math.Float32bits(gj)|math.Float32bits(v[j])) {
			continue
		}
		if wd != 0 {
			gj = fma32(wd, p[j], gj)
		}
		vj := fma32(float32(keep*gj), gj, float32(v[j]*alpha))
		avg := sqrt32(vj) + eps
		p[j] += float32(float32(negLR*gj) / avg)
		v[j], g[j] = vj, 0
	}
}

func rmspropMomentumGeneric(k *RMSprop, p, g, v, buf []float32, skip bool) {
	g, v, buf = g[:len(p)], v[:len(p)], buf[:len(p)]
	wd, eps, negLR := k.WeightDecay, k.Eps, k.NegLR
	alpha, keep, mom := k.Alpha, k.OneMinusAlpha, k.Momentum
	for j := range p {
		gj := g[j]
		if skip && zeroState(math.Float32bits(gj)|math.Float32bits(v[j])|math.Float32bits(buf[j])) {
			continue
		}
		if wd != 0 {
			gj = fma32(wd, p[j], gj)
		}
		vj := fma32(float32(keep*gj), gj, float32(v[j]*alpha))
		avg := sqrt32(vj) + eps
		b := float32(buf[j]*mom) + float32(gj/avg)
		p[j] = fma32(negLR, b, p[j])
		v[j], buf[j], g[j] = vj, b, 0
	}
}

// maxSumBits is math.Float32bits(+Inf): an Adagrad sum whose bits are at
// most this is in [+0, +Inf], and adding g·g = +0 leaves it unchanged.
const maxSumBits = 0x7f800000

func adagradGeneric(k *Adagrad, p, g, s []float32, skip bool) {
	g, s = g[:len(p)], s[:len(p)]
	wd, eps, negLR := k.WeightDecay, k.Eps, k.NegLR
	for j := range p {
		gj := g[j]
		if skip && zeroState(math.Float32bits(gj)) && math.Float32bits(s[j]) <= maxSumBits {
			continue
		}
		if wd != 0 {
			gj = fma32(wd, p[j], gj)
		}
		sj := fma32(gj, gj, s[j])
		std := sqrt32(sj) + eps
		p[j] += float32(float32(negLR*gj) / std)
		s[j], g[j] = sj, 0
	}
}

// FMA32 returns x·y + z rounded once to float32, in pure Go: the fused
// multiply-add that PyTorch's AVX2 kernels compute for add(other, alpha)
// and addcmul, and that the assembly computes with VFMADD231PS. The
// generic kernels use it, and so does scalar code that must agree with
// them (train's ClipGradNorm).
//
// The product of two float32s is exact in float64, so s = x·y + z in
// float64 is the exact result rounded once, and float32(s) rounds it a
// second time. Double rounding errs only when s lands exactly halfway
// between two float32s (its 29 bits below float32 precision are 100…0) or in
// the float32 subnormal range, where the halfway bits sit higher; those rare
// cases go to fma32Tie.
func FMA32(x, y, z float32) float32 {
	p := float64(float64(x) * float64(y)) // exact; the conversion keeps it out of a float64 FMA
	s := p + float64(z)
	if b := math.Float64bits(s); b&(1<<29-1) == 1<<28 || b&^(1<<63) < minNormal32Bits {
		return fma32Tie(p, float64(z), s)
	}
	return float32(s)
}

// minNormal32Bits is math.Float64bits(0x1p-126), the smallest normal float32.
const minNormal32Bits = 0x3810000000000000

// fma32Tie rounds p + z to float32 correctly, given s = p + z rounded to
// float64. It rounds the sum to float64 "to odd" instead (when inexact, to
// whichever of the exact sum's two float64 neighbours has an odd last bit),
// which makes the rounding to float32 correct: with 29 spare bits, a
// float64 rounded to odd is a float32 tie only if the exact sum is one
// (Boldo and Melquiond, "Emulation of FMA and correctly rounded sums: proved
// algorithms using rounding to odd", IEEE Trans. Computers 57(4), 2008).
func fma32Tie(p, z, s float64) float32 {
	// e is the rounding error of s, exactly (Knuth's TwoSum); NaN when s is
	// infinite or NaN, which stays as it is.
	bb := s - p
	if e := (p - (s - bb)) + (z - bb); e != 0 && e == e {
		b := math.Float64bits(s)
		below := (math.Float64bits(e) ^ b) >> 63 // 1: the exact sum is nearer zero than s
		s = math.Float64frombits((b - (below&^b&1)<<1) | 1)
	}
	return float32(s)
}

// Sqrt32 returns the correctly rounded float32 square root of x, as
// VSQRTPS computes it (rounding the float64 root again is exact:
// 53 >= 2·24 + 2).
func Sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

// fma32 and sqrt32 are FMA32 and Sqrt32, short for the kernels.
func fma32(x, y, z float32) float32 { return FMA32(x, y, z) }

func sqrt32(x float32) float32 { return Sqrt32(x) }
