package vecopt

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// backends lists the implementations to check against generic.
func backends() []*kernels {
	if native == generic {
		return []*kernels{generic}
	}
	return []*kernels{generic, native}
}

// kernelCase is one kernel with one set of coefficients: run applies it
// through an implementation, ref through the generic code with skipping
// on or off (off: PyTorch's update, operation for operation).
type kernelCase struct {
	name   string
	states int // state buffers besides p and g
	run    func(impl *kernels, p, g []float32, st [][]float32)
	ref    func(p, g []float32, st [][]float32, skip bool)
	skips  bool // the coefficients allow skipping
}

func adamCase(name string, k Adam) kernelCase {
	return kernelCase{name: "adam/" + name, states: 2,
		run:   func(impl *kernels, p, g []float32, st [][]float32) { impl.adam(&k, p, g, st[0], st[1]) },
		ref:   func(p, g []float32, st [][]float32, skip bool) { adamGeneric(&k, p, g, st[0], st[1], skip) },
		skips: k.skippable()}
}

func sgdCase(name string, k SGD) kernelCase {
	return kernelCase{name: "sgd/" + name, states: 0,
		run:   func(impl *kernels, p, g []float32, st [][]float32) { impl.sgd(&k, p, g) },
		ref:   func(p, g []float32, st [][]float32, skip bool) { sgdGeneric(&k, p, g, skip) },
		skips: k.skippable()}
}

func sgdMomentumCase(name string, k SGD) kernelCase {
	return kernelCase{name: "sgd-momentum/" + name, states: 1,
		run:   func(impl *kernels, p, g []float32, st [][]float32) { impl.sgdMomentum(&k, p, g, st[0]) },
		ref:   func(p, g []float32, st [][]float32, skip bool) { sgdMomentumGeneric(&k, p, g, st[0], skip) },
		skips: k.skippable()}
}

func rmspropCase(name string, k RMSprop) kernelCase {
	return kernelCase{name: "rmsprop/" + name, states: 1,
		run:   func(impl *kernels, p, g []float32, st [][]float32) { impl.rmsprop(&k, p, g, st[0]) },
		ref:   func(p, g []float32, st [][]float32, skip bool) { rmspropGeneric(&k, p, g, st[0], skip) },
		skips: k.skippable()}
}

func rmspropMomentumCase(name string, k RMSprop) kernelCase {
	return kernelCase{name: "rmsprop-momentum/" + name, states: 2,
		run: func(impl *kernels, p, g []float32, st [][]float32) {
			impl.rmspropMomentum(&k, p, g, st[0], st[1])
		},
		ref: func(p, g []float32, st [][]float32, skip bool) {
			rmspropMomentumGeneric(&k, p, g, st[0], st[1], skip)
		},
		skips: k.skippable()}
}

func adagradCase(name string, k Adagrad) kernelCase {
	return kernelCase{name: "adagrad/" + name, states: 1,
		run:   func(impl *kernels, p, g []float32, st [][]float32) { impl.adagrad(&k, p, g, st[0]) },
		ref:   func(p, g []float32, st [][]float32, skip bool) { adagradGeneric(&k, p, g, st[0], skip) },
		skips: k.skippable()}
}

// adamAt returns Adam's coefficients at step t as train computes them.
func adamAt(lr, beta1, beta2, eps, wd float64, t int) Adam {
	return Adam{
		WeightDecay: float32(wd), Beta1: float32(beta1), Beta2: float32(beta2),
		OneMinusBeta1: float32(1 - beta1), OneMinusBeta2: float32(1 - beta2), Eps: float32(eps),
		BiasCorrection2Sqrt: float32(math.Sqrt(1 - math.Pow(beta2, float64(t)))),
		NegStepSize:         float32(-(lr / (1 - math.Pow(beta1, float64(t))))),
	}
}

// cases lists every kernel with typical coefficients, every flag, and
// coefficients at the edges (learning rate 0, tiny eps, huge values) some
// of which forbid skipping.
func cases() []kernelCase {
	negZero := float32(math.Copysign(0, -1))
	inf := float32(math.Inf(1))
	return []kernelCase{
		adamCase("default", adamAt(1e-3, 0.9, 0.999, 1e-8, 0, 1)),
		adamCase("step7", adamAt(3e-2, 0.8, 0.99, 1e-6, 0, 7)),
		adamCase("decay", adamAt(1e-3, 0.9, 0.999, 1e-8, 1e-2, 3)),
		adamCase("lr0", adamAt(0, 0.9, 0.999, 1e-8, 0, 2)),
		adamCase("eps0", adamAt(1e-3, 0.9, 0.999, 1e-50, 0, 2)), // Eps rounds to 0: 0/0 must not be skipped
		adamCase("huge-step", Adam{Beta1: 0.9, Beta2: 0.999, OneMinusBeta1: 0.1, OneMinusBeta2: 0.001, Eps: 1e-8, BiasCorrection2Sqrt: 1, NegStepSize: -inf}),
		adamCase("positive-step", Adam{Beta1: 0.9, Beta2: 0.999, OneMinusBeta1: 0.1, OneMinusBeta2: 0.001, Eps: 1e-8, BiasCorrection2Sqrt: 1, NegStepSize: 1e-3}),
		adamCase("negative-beta", Adam{Beta1: -0.5, Beta2: 0.999, OneMinusBeta1: 1.5, OneMinusBeta2: 0.001, Eps: 1e-8, BiasCorrection2Sqrt: 1, NegStepSize: -1e-3}),
		sgdCase("plain", SGD{NegLR: -0.1}),
		sgdCase("decay", SGD{NegLR: -0.1, WeightDecay: 1e-4}),
		sgdCase("lr0", SGD{NegLR: negZero}),
		sgdCase("positive-lr", SGD{NegLR: 0.1}),
		sgdMomentumCase("first", SGD{NegLR: -0.1, Momentum: 0.9, OneMinusDampening: 1, First: true}),
		sgdMomentumCase("later", SGD{NegLR: -0.1, Momentum: 0.9, OneMinusDampening: 1}),
		sgdMomentumCase("dampening", SGD{NegLR: -0.05, Momentum: 0.9, OneMinusDampening: 0.7}),
		sgdMomentumCase("nesterov-first", SGD{NegLR: -0.1, Momentum: 0.9, OneMinusDampening: 1, Nesterov: true, First: true}),
		sgdMomentumCase("nesterov-decay", SGD{NegLR: -0.1, Momentum: 0.9, OneMinusDampening: 1, Nesterov: true, WeightDecay: 1e-4}),
		sgdMomentumCase("dampening1", SGD{NegLR: -0.1, Momentum: 0.9, OneMinusDampening: 0}),
		sgdMomentumCase("huge-momentum", SGD{NegLR: -0.1, Momentum: inf, OneMinusDampening: 1}),
		rmspropCase("default", RMSprop{Alpha: 0.99, OneMinusAlpha: float32(1 - 0.99), Eps: 1e-8, NegLR: -1e-2}),
		rmspropCase("decay", RMSprop{Alpha: 0.9, OneMinusAlpha: float32(1 - 0.9), Eps: 1e-6, NegLR: -1e-3, WeightDecay: 1e-2}),
		rmspropCase("alpha>1", RMSprop{Alpha: 1.5, OneMinusAlpha: -0.5, Eps: 1e-8, NegLR: -1e-2}),
		rmspropCase("eps0", RMSprop{Alpha: 0.99, OneMinusAlpha: float32(1 - 0.99), NegLR: -1e-2}),
		rmspropMomentumCase("default", RMSprop{Alpha: 0.99, OneMinusAlpha: float32(1 - 0.99), Eps: 1e-8, NegLR: -1e-2, Momentum: 0.5}),
		rmspropMomentumCase("decay", RMSprop{Alpha: 0.99, OneMinusAlpha: float32(1 - 0.99), Eps: 1e-8, NegLR: -1e-2, Momentum: 0.9, WeightDecay: 1e-2}),
		rmspropMomentumCase("lr0", RMSprop{Alpha: 0.99, OneMinusAlpha: float32(1 - 0.99), Eps: 1e-8, NegLR: negZero, Momentum: 0.9}),
		adagradCase("default", Adagrad{Eps: 1e-10, NegLR: -1e-2}),
		adagradCase("decay", Adagrad{Eps: 1e-10, NegLR: -1e-2, WeightDecay: 1e-2}),
		adagradCase("lr0", Adagrad{Eps: 1e-10, NegLR: negZero}),
		adagradCase("eps0", Adagrad{NegLR: -1e-2}),
	}
}

// special holds values the kernels must treat alike: NaNs (signalling
// included), infinities, signed zeros, subnormals, extremes.
var special = func() []float32 {
	bits := []uint32{
		0x7fc00000, 0xffc00000, 0x7fa00000, 0xff812345, // NaNs, two signalling
		0x7f800000, 0xff800000, 0x00000000, 0x80000000, 0x80000000, 0x00000000,
		0x00000001, 0x80000001, 0x007fffff, 0x00800000, 0x7f7fffff, 0xff7fffff,
	}
	out := make([]float32, len(bits))
	for i, b := range bits {
		out[i] = math.Float32frombits(b)
	}
	return out
}()

// value draws one element: mostly ordinary values of varied magnitude,
// sometimes special ones or arbitrary bits.
func value(rng *rand.Rand) float32 {
	switch rng.IntN(16) {
	case 0:
		return special[rng.IntN(len(special))]
	case 1:
		return math.Float32frombits(rng.Uint32())
	case 2:
		return float32(math.Ldexp(rng.NormFloat64(), rng.IntN(280)-140))
	default:
		return float32(rng.NormFloat64())
	}
}

// zeroish draws a zero of either sign, mostly +0.
func zeroish(rng *rand.Rand) float32 {
	if rng.IntN(4) == 0 {
		return float32(math.Copysign(0, -1))
	}
	return 0
}

// fill gives p, g and the state random values. In a quarter of the
// 8-element blocks (and of the single elements) g and the state are zeros
// of either sign, the pattern of untouched embedding rows; their p is
// still drawn at random, NaNs included.
func fill(rng *rand.Rand, p, g []float32, st [][]float32) {
	var zeroBlock bool
	for i := range p {
		if i%8 == 0 {
			zeroBlock = rng.IntN(4) == 0
		}
		p[i] = value(rng)
		if zeroBlock || rng.IntN(4) == 0 {
			g[i] = zeroish(rng)
			for _, s := range st {
				s[i] = zeroish(rng)
			}
			continue
		}
		g[i] = value(rng)
		for _, s := range st {
			s[i] = value(rng)
		}
	}
}

// buffers returns p, g and c.states state slices of length n, each at
// offset off in a buffer guarded by 8 extra elements on each side.
type buffers struct {
	whole [][]float32 // p, g, states, with guards
	off   int
	n     int
}

func newBuffers(rng *rand.Rand, states, off, n int) *buffers {
	b := &buffers{off: off, n: n}
	for range 2 + states {
		w := make([]float32, off+n+8)
		for i := range w {
			w[i] = value(rng)
		}
		b.whole = append(b.whole, w)
	}
	p, g, st := b.slices()
	fill(rng, p, g, st)
	return b
}

func (b *buffers) slices() (p, g []float32, st [][]float32) {
	s := make([][]float32, len(b.whole))
	for i, w := range b.whole {
		s[i] = w[b.off : b.off+b.n : b.off+b.n]
	}
	return s[0], s[1], s[2:]
}

func (b *buffers) clone() *buffers {
	c := &buffers{off: b.off, n: b.n}
	for _, w := range b.whole {
		c.whole = append(c.whole, append([]float32(nil), w...))
	}
	return c
}

// same reports whether x and y have the same bits or are both NaN: NaN
// payloads are not reproducible (an FMA with a NaN operand and an invalid
// product propagates the operand's NaN on x86, the float64 emulation the
// default NaN; arm64 has its own rules), every other bit is.
func same(x, y float32) bool {
	return math.Float32bits(x) == math.Float32bits(y) || x != x && y != y
}

// diff returns a description of the first element whose bits differ
// between a and b (guards included), or "".
func diff(a, b *buffers) string {
	names := []string{"p", "g", "state0", "state1"}
	for k := range a.whole {
		for i := range a.whole[k] {
			x, y := math.Float32bits(a.whole[k][i]), math.Float32bits(b.whole[k][i])
			if !same(a.whole[k][i], b.whole[k][i]) {
				where := fmt.Sprintf("%s[%d]", names[k], i-a.off)
				if i < a.off || i >= a.off+a.n {
					where = fmt.Sprintf("%s guard at %d", names[k], i-a.off)
				}
				return fmt.Sprintf("%s = %#08x, want %#08x", where, x, y)
			}
		}
	}
	return ""
}

// describe lists an element's inputs for a failure message.
func describe(b *buffers, i int) string {
	s := ""
	for k, w := range b.whole {
		s += fmt.Sprintf(" [%d]=%v(%#08x)", k, w[b.off+i], math.Float32bits(w[b.off+i]))
	}
	return s
}

// TestBackendsAgree runs every kernel case through every backend and
// through the reference (generic code without skipping), for every length
// 0..70 at start offsets 0..7, three steps in a row, and compares every
// bit of p, g and the state, guards included.
func TestBackendsAgree(t *testing.T) {
	for ci, c := range cases() {
		for _, impl := range backends() {
			t.Run(c.name+"/"+impl.name, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(ci), 7))
				compared := 0
				for n := 0; n <= 70; n++ {
					for off := range 8 {
						in := newBuffers(rng, c.states, off, n)
						got, want := in.clone(), in.clone()
						for step := range 3 {
							p, g, st := got.slices()
							c.run(impl, p, g, st)
							p, g, st = want.slices()
							c.ref(p, g, st, false)
							if d := diff(got, want); d != "" {
								t.Fatalf("n=%d off=%d step %d: %s", n, off, step+1, d)
							}
							// New gradients for the next step, zero blocks included.
							_, g, _ = got.slices()
							_, wg, _ := want.slices()
							for i := range g {
								if rng.IntN(3) > 0 {
									g[i] = value(rng)
								}
								wg[i] = g[i]
							}
						}
						compared += n
					}
				}
				t.Logf("%d elements × 3 steps bit-identical", compared)
			})
		}
	}
}

// TestSkipIsExact checks that skipping changes no bit, on data where most
// blocks have zero gradients and state, with zeros of both signs and
// parameters of every kind (±0, NaNs, signalling NaNs, subnormals,
// infinities): each backend (which skips whenever the coefficients allow)
// against the generic code without skipping, over ten steps in which the
// zero blocks stay zero.
func TestSkipIsExact(t *testing.T) {
	const n = 4099
	skipped := 0
	for ci, c := range cases() {
		for _, impl := range backends() {
			rng := rand.New(rand.NewPCG(uint64(ci), 11))
			in := newBuffers(rng, c.states, 3, n)
			// Exactly zero blocks: g = ±0, state = +0, which skip.
			p, g, st := in.slices()
			for i := range p {
				if (i/8)%3 == 0 {
					g[i] = zeroish(rng)
					for _, s := range st {
						s[i] = 0
					}
				}
			}
			got, want := in.clone(), in.clone()
			for step := range 10 {
				p, g, st := got.slices()
				before := got.clone()
				c.run(impl, p, g, st)
				p, g, st = want.slices()
				c.ref(p, g, st, false)
				if d := diff(got, want); d != "" {
					t.Fatalf("%s/%s step %d: %s", c.name, impl.name, step+1, d)
				}
				if c.skips && step == 0 {
					// Count the elements the reference left unchanged.
					bp, _, bst := before.slices()
					for i := range bp {
						if math.Float32bits(bp[i]) == math.Float32bits(p[i]) && (len(bst) == 0 || math.Float32bits(bst[0][i]) == math.Float32bits(st[0][i])) {
							skipped++
						}
					}
				}
				// The zero blocks get zero gradients again, of both signs.
				_, g, _ = got.slices()
				_, wg, _ := want.slices()
				for i := range g {
					if (i/8)%3 == 0 {
						g[i] = zeroish(rng)
					} else {
						g[i] = value(rng)
					}
					wg[i] = g[i]
				}
			}
		}
	}
	t.Logf("%d elements unchanged by their first step", skipped)
}

// TestSkipCombinations runs every kernel on every combination of a zero
// gradient of either sign, each state value in {+0, -0, tiny, 1} and each
// parameter in a list of special values, and compares the skipping kernels
// with the reference bit for bit.
func TestSkipCombinations(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	gs := []float32{0, negZero}
	states := []float32{0, negZero, 1e-45, 1}
	params := []float32{0, negZero, 1, -1, 1e-45, float32(math.Inf(-1)),
		math.Float32frombits(0x7fc00000), math.Float32frombits(0x7fa00000)}
	for _, c := range cases() {
		// Every combination, one per element, 8 times over (whole blocks
		// of one combination, then mixed blocks).
		var combos [][]float32 // g, p, states...
		var rec func(prefix []float32, k int)
		rec = func(prefix []float32, k int) {
			if k == c.states {
				combos = append(combos, append([]float32(nil), prefix...))
				return
			}
			for _, s := range states {
				rec(append(prefix, s), k+1)
			}
		}
		for _, g := range gs {
			for _, p := range params {
				rec([]float32{g, p}, 0)
			}
		}
		n := 8 * len(combos) * 2
		b := &buffers{n: n, off: 0}
		for range 2 + c.states {
			b.whole = append(b.whole, make([]float32, n))
		}
		p, g, st := b.slices()
		for i := range n {
			combo := combos[(i/8)%len(combos)] // blocks of one combination
			if i >= n/2 {
				combo = combos[i%len(combos)] // mixed
			}
			g[i], p[i] = combo[0], combo[1]
			for k := range st {
				st[k][i] = combo[2+k]
			}
		}
		for _, impl := range backends() {
			got, want := b.clone(), b.clone()
			p, g, st := got.slices()
			c.run(impl, p, g, st)
			p, g, st = want.slices()
			c.ref(p, g, st, false)
			if d := diff(got, want); d != "" {
				t.Errorf("%s/%s: %s", c.name, impl.name, d)
			}
			p, g, st = b.clone().slices()
			c.ref(p, g, st, c.skips) // the generic skip, element by element
			gp, gg, gst := got.slices()
			for i := range p {
				ok := same(p[i], gp[i]) && same(g[i], gg[i])
				for k := range st {
					ok = ok && same(st[k][i], gst[k][i])
				}
				if !ok {
					t.Errorf("%s: generic skip differs at %d:%s", c.name, i, describe(b, i))
					break
				}
			}
		}
	}
}

// TestRandomLong is a fuzz-style comparison with fixed seeds: long slices
// at odd offsets, arbitrary bit patterns included, several steps.
func TestRandomLong(t *testing.T) {
	n := 1 << 14
	if testing.Short() {
		n = 1 << 11
	}
	total := 0
	for ci, c := range cases() {
		for _, impl := range backends() {
			for seed := range uint64(3) {
				rng := rand.New(rand.NewPCG(seed, uint64(ci)))
				in := newBuffers(rng, c.states, int(seed)*3, n+int(seed))
				got, want := in.clone(), in.clone()
				for step := range 4 {
					p, g, st := got.slices()
					c.run(impl, p, g, st)
					p, g, st = want.slices()
					c.ref(p, g, st, false)
					if d := diff(got, want); d != "" {
						t.Fatalf("%s/%s seed %d step %d: %s", c.name, impl.name, seed, step+1, d)
					}
					_, g, _ = got.slices()
					_, wg, _ := want.slices()
					for i := range g {
						g[i] = value(rng)
						wg[i] = g[i]
					}
					total += n
				}
			}
		}
	}
	t.Logf("%d element updates bit-identical", total)
}

// TestZeroesGradients checks that every update leaves g = +0.
func TestZeroesGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, c := range cases() {
		for _, impl := range backends() {
			b := newBuffers(rng, c.states, 1, 203)
			p, g, st := b.slices()
			c.run(impl, p, g, st)
			for i, v := range g {
				if math.Float32bits(v) != 0 {
					t.Fatalf("%s/%s: g[%d] = %v after the update, want +0", c.name, impl.name, i, v)
				}
			}
		}
	}
}

func TestAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range cases() {
		for _, impl := range backends() {
			b := newBuffers(rng, c.states, 0, 1000)
			p, g, st := b.slices()
			if got := testing.AllocsPerRun(20, func() { c.run(impl, p, g, st) }); got != 0 {
				t.Errorf("%s/%s: %v allocations per update, want 0", c.name, impl.name, got)
			}
		}
	}
	// The exported methods too.
	p, g, m, v := make([]float32, 100), make([]float32, 100), make([]float32, 100), make([]float32, 100)
	k := adamAt(1e-3, 0.9, 0.999, 1e-8, 0, 1)
	if got := testing.AllocsPerRun(20, func() { k.Update(p, g, m, v) }); got != 0 {
		t.Errorf("Adam.Update: %v allocations, want 0", got)
	}
}

func TestLengthMismatchPanics(t *testing.T) {
	a, b := make([]float32, 8), make([]float32, 9)
	calls := map[string]func(){
		"Adam":                   func() { (&Adam{}).Update(a, a, a, b) },
		"SGD":                    func() { (&SGD{}).Update(a, b) },
		"SGD.UpdateMomentum":     func() { (&SGD{}).UpdateMomentum(a, a, b) },
		"RMSprop":                func() { (&RMSprop{}).Update(b, a, a) },
		"RMSprop.UpdateMomentum": func() { (&RMSprop{}).UpdateMomentum(a, a, a, b) },
		"Adagrad":                func() { (&Adagrad{}).Update(a, a, b) },
	}
	for name, call := range calls {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s with slices of different lengths did not panic", name)
				}
			}()
			call()
		}()
	}
}

func TestBackend(t *testing.T) {
	want := "generic"
	if hasAVX2FMA() {
		want = "avx2"
	}
	if got := Backend(); got != want {
		t.Errorf("Backend() = %q, want %q", got, want)
	}
	t.Logf("Backend() = %q", Backend())
}

// exactFMA32 is x·y + z computed exactly and rounded once to float32.
func exactFMA32(x, y, z float32) float32 {
	const prec = 1000 // enough for any float32 product plus addend
	p := new(big.Float).SetPrec(prec).SetFloat64(float64(x))
	p.Mul(p, new(big.Float).SetFloat64(float64(y)))
	p.Add(p, new(big.Float).SetPrec(prec).SetFloat64(float64(z)))
	f, _ := p.Float32()
	return f
}

func TestFMA32(t *testing.T) {
	// Ties of the float64 sum: p = 3·q·2^-24 is exactly halfway between two
	// float32s near 1 and a tiny z decides which way the exact sum rounds.
	q := float32(5592407) // 3q = 2^24 + 5: odd, so 3q·2^-24 is a float32 midpoint
	tie := []struct{ x, y, z float32 }{
		{3, q * 0x1p-24, 0x1p-60},
		{3, q * 0x1p-24, -0x1p-60},
		{-3, q * 0x1p-24, 0x1p-60},
		{3, q * 0x1p-24, 0},
		{3, q * 0x1p-150, 0x1p-149}, // float32 subnormal range
		{3, q * 0x1p-150, -0x1p-149},
		{0x1p-75, 0x1p-75, 0x1p-149},
	}
	for _, c := range tie {
		if got, want := fma32(c.x, c.y, c.z), exactFMA32(c.x, c.y, c.z); math.Float32bits(got) != math.Float32bits(want) {
			t.Errorf("fma32(%g, %g, %g) = %g, want %g", c.x, c.y, c.z, got, want)
		}
	}
	if naive := float32(float64(3)*float64(q*0x1p-24) + 0x1p-60); naive == exactFMA32(3, q*0x1p-24, 0x1p-60) {
		t.Error("the tie case does not exercise double rounding")
	}
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	specials := []struct{ x, y, z, want float32 }{
		{inf, 2, 1, inf},
		{1, 1, -inf, -inf},
		{0x1p100, 0x1p100, 0, inf}, // beyond float32
		{-0x1p100, 0x1p100, 0, -inf},
		{1, 1, nan, nan},
	}
	for _, c := range specials {
		got := fma32(c.x, c.y, c.z)
		if math.Float32bits(got) != math.Float32bits(c.want) && !(got != got && c.want != c.want) {
			t.Errorf("fma32(%g, %g, %g) = %g, want %g", c.x, c.y, c.z, got, c.want)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(center, spread int) float32 {
		return float32(rng.NormFloat64() * math.Ldexp(1, center+rng.IntN(2*spread+1)-spread))
	}
	count := 200000
	if testing.Short() {
		count = 20000
	}
	for i := range count {
		x, y, z := random(0, 4), random(0, 4), random(0, 4)
		switch i % 4 {
		case 1: // addend far larger or smaller than the product
			z = random(0, 60)
		case 2: // results in the float32 subnormal range
			x, y, z = random(-70, 4), random(-70, 4), random(-140, 8)
		case 3: // products beyond the float32 range
			x, y = random(60, 10), random(60, 10)
		}
		if got, want := fma32(x, y, z), exactFMA32(x, y, z); math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("fma32(%g, %g, %g) = %g, want %g", x, y, z, got, want)
		}
	}
}
