package vecmath

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// cellFunction describes one cell kernel for the tests: its name, the
// lengths of its seven slices in units of H, which of them it writes,
// and the kernel of a backend.
type cellFunction struct {
	name    string
	widths  [7]int
	outputs [7]bool
	get     func(*kernels) func(a, b, c, d, e, f, g []float32)
}

var cellFunctions = []cellFunction{
	{"lstm", [7]int{4, 4, 4, 1, 1, 1, 1}, [7]bool{true, false, false, true, true, true, true},
		func(k *kernels) func(a, b, c, d, e, f, g []float32) { return k.lstmCell }},
	{"gru", [7]int{3, 3, 3, 3, 1, 1, 1}, [7]bool{true, false, false, false, true, true, true},
		func(k *kernels) func(a, b, c, d, e, f, g []float32) { return k.gruCell }},
	{"lstmGrad", [7]int{4, 4, 1, 1, 1, 1, 1}, [7]bool{true, false, false, false, false, true, true},
		func(k *kernels) func(a, b, c, d, e, f, g []float32) { return k.lstmCellGrad }},
	{"gruGrad", [7]int{3, 3, 3, 1, 1, 1, 1}, [7]bool{true, true, false, false, false, false, true},
		func(k *kernels) func(a, b, c, d, e, f, g []float32) { return k.gruCellGrad }},
}

// cellInputs are the kinds of values the tests fill the slices with:
// those of a trained network (pre-activations and states of moderate
// size, gate activations in (0, 1)), large ones that saturate the
// activations, and randomFloat32's mix of special values and arbitrary
// bits.
var cellInputs = []struct {
	name string
	draw func(rng *rand.Rand) float32
}{
	{"typical", func(rng *rand.Rand) float32 { return float32(2 * rng.NormFloat64()) }},
	{"unit", func(rng *rand.Rand) float32 { return float32(rng.Float64()) }},
	{"large", func(rng *rand.Rand) float32 { return float32(60 * rng.NormFloat64()) }},
	{"mixed", randomFloat32},
}

// cellLengths are the row lengths H of the tests: every H up to 40 (the
// partial block at every size) and the layer sizes of the brief.
var cellLengths = func() []int {
	var hs []int
	for h := range 41 {
		hs = append(hs, h)
	}
	return append(hs, 64, 100, 127, 128, 200, 256, 257)
}()

// sameCellBits reports the first index where a and b differ: in their
// bits, or, for NaNs, in being NaN. A NaN that meets another in an
// addition or a product keeps the payload of one of them, the one the
// compiler's or the assembly's operand order picks.
func sameCellBits(a, b []float32) (int, bool) {
	for i := range a {
		if a[i] != a[i] && b[i] != b[i] {
			continue
		}
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i, false
		}
	}
	return 0, true
}

// cellArgs lays out a kernel's seven slices for H = hidden in one buffer,
// each at the given float offset (0..7, the alignment) and followed by a
// guard of 8 floats, all filled by draw. It returns the buffer and the
// slices.
func cellArgs(f cellFunction, hidden, offset int, draw func() float32) ([]float32, [7][]float32) {
	size := 0
	for _, w := range f.widths {
		size += offset + w*hidden + 8
	}
	buf := make([]float32, size)
	for i := range buf {
		buf[i] = draw()
	}
	var args [7][]float32
	at := 0
	for i, w := range f.widths {
		at += offset
		args[i] = buf[at : at+w*hidden]
		at += w*hidden + 8
	}
	return buf, args
}

func call(fn func(a, b, c, d, e, f, g []float32), args [7][]float32) {
	fn(args[0], args[1], args[2], args[3], args[4], args[5], args[6])
}

// TestCellBackendsAgree runs every backend's cell kernels on the same
// slices as generic's, for every length of cellLengths, alignments 0..7
// and every kind of input, and checks that they write the same bits
// (NaNs as NaNs, see sameCellBits) to their outputs and nothing else:
// inputs and guards keep their bits.
func TestCellBackendsAgree(t *testing.T) {
	for _, f := range cellFunctions {
		for _, in := range cellInputs {
			for _, k := range backends() {
				t.Run(f.name+"/"+in.name+"/"+k.name, func(t *testing.T) {
					rng := rand.New(rand.NewPCG(7, uint64(len(f.name)*10+len(in.name))))
					draw := func() float32 { return in.draw(rng) }
					for _, hidden := range cellLengths {
						for offset := range 8 {
							buf, args := cellArgs(f, hidden, offset, draw)
							before := slices.Clone(buf)
							want, wantArgs := cellArgs(f, hidden, offset, func() float32 { return 0 })
							copy(want, buf)
							call(f.get(generic), wantArgs)
							call(f.get(k), args)
							for i, a := range args {
								if j, ok := sameCellBits(a, wantArgs[i]); !ok {
									t.Fatalf("H=%d offset=%d: argument %d [%d] = %v (%#08x), generic %v (%#08x)", hidden, offset, i, j, a[j], math.Float32bits(a[j]), wantArgs[i][j], math.Float32bits(wantArgs[i][j]))
								}
							}
							// Everything but the outputs keeps its bits.
							written := make([]bool, len(buf))
							at := 0
							for i, w := range f.widths {
								at += offset
								for j := range w * hidden {
									written[at+j] = f.outputs[i]
								}
								at += w*hidden + 8
							}
							for i := range buf {
								if !written[i] && math.Float32bits(buf[i]) != math.Float32bits(before[i]) {
									t.Fatalf("H=%d offset=%d: wrote buffer element %d, not an output", hidden, offset, i)
								}
							}
						}
					}
				})
			}
		}
	}
}

// TestCellSpecialValues runs the kernels on rows made of the special
// values alone, every one in every position of every argument: the
// backends agree with generic.
func TestCellSpecialValues(t *testing.T) {
	const hidden = 20 // two full blocks and a partial one
	for _, f := range cellFunctions {
		for _, k := range backends() {
			for arg := range 7 {
				for shift := range len(special) {
					next := shift
					_, args := cellArgs(f, hidden, 0, func() float32 { return 0.5 })
					for j := range args[arg] {
						args[arg][j] = special[next%len(special)]
						next++
					}
					_, wantArgs := cellArgs(f, hidden, 0, func() float32 { return 0 })
					for i := range args {
						copy(wantArgs[i], args[i])
					}
					call(f.get(generic), wantArgs)
					call(f.get(k), args)
					for i, a := range args {
						if j, ok := sameCellBits(a, wantArgs[i]); !ok {
							t.Fatalf("%s/%s: specials in argument %d from %d: argument %d [%d] = %#08x, generic %#08x", f.name, k.name, arg, shift, i, j, math.Float32bits(a[j]), math.Float32bits(wantArgs[i][j]))
						}
					}
				}
			}
		}
	}
}

// cellGoldenHash hashes the outputs of generic's cell kernels on typical
// rows of H = 100.
func cellGoldenHash(k *kernels) string {
	rng := rand.New(rand.NewPCG(11, 12))
	var outs [][]float32
	for _, f := range cellFunctions {
		for range 20 {
			_, args := cellArgs(f, 100, 0, func() float32 { return float32(2 * rng.NormFloat64()) })
			call(f.get(k), args)
			for i, a := range args {
				if f.outputs[i] {
					outs = append(outs, a)
				}
			}
		}
	}
	return hashFloats(outs...)
}

// TestCellGolden pins the cell kernels' results to those they had when
// first written, which graph's TestCellKernelsMatchGoRows showed to be
// the bits of graph's scalar Go rows.
func TestCellGolden(t *testing.T) {
	const want = "7b2463e75d312db1"
	for _, k := range backends() {
		if got := cellGoldenHash(k); got != want {
			t.Errorf("%s: hash %s, want %s", k.name, got, want)
		}
	}
}

// TestCellShortSlice checks that a slice shorter than its shape panics
// instead of letting a kernel reach past it.
func TestCellShortSlice(t *testing.T) {
	calls := []func(a, b, c, d, e, f, g []float32){LSTMCell32, GRUCell32, LSTMCellGrad32, GRUCellGrad32}
	for i, f := range cellFunctions {
		for arg := range 7 {
			if arg == map[string]int{"lstm": 3, "gru": 5, "lstmGrad": 5, "gruGrad": 6}[f.name] {
				continue // the slice whose length is H
			}
			t.Run(fmt.Sprintf("%s/%d", f.name, arg), func(t *testing.T) {
				_, args := cellArgs(f, 9, 0, func() float32 { return 0 })
				args[arg] = args[arg][:len(args[arg])-1]
				defer func() {
					if recover() == nil {
						t.Errorf("no panic")
					}
				}()
				call(calls[i], args)
			})
		}
	}
}

func TestCellAllocs(t *testing.T) {
	for _, f := range cellFunctions {
		for _, k := range backends() {
			for _, hidden := range []int{13, 128} {
				_, args := cellArgs(f, hidden, 0, func() float32 { return 0.25 })
				fn := f.get(k)
				if got := testing.AllocsPerRun(50, func() { call(fn, args) }); got != 0 {
					t.Errorf("%s/%s H=%d: %v allocations per call, want 0", f.name, k.name, hidden, got)
				}
			}
		}
	}
}

// BenchmarkCell times each cell kernel on one row of typical values for
// each backend, at H = 128 and 100 (a partial block); the inputs are
// refreshed by a copy included in the timing, as the kernels overwrite
// them. It reports ns per row.
func BenchmarkCell(b *testing.B) {
	for _, f := range cellFunctions {
		for _, hidden := range []int{128, 100} {
			for _, k := range backends() {
				rng := rand.New(rand.NewPCG(1, 1))
				src, _ := cellArgs(f, hidden, 0, func() float32 { return float32(2 * rng.NormFloat64()) })
				buf, args := cellArgs(f, hidden, 0, func() float32 { return 0 })
				fn := f.get(k)
				b.Run(fmt.Sprintf("%s/H=%d/%s", f.name, hidden, k.name), func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						copy(buf, src)
						call(fn, args)
					}
				})
			}
		}
	}
}
