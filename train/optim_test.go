package train

import (
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/graph/safetensors"
	"gorgonia.org/tensor"
)

// randomParams returns a parameter set with the given sizes, random values
// and random gradients.
func randomParams(t testing.TB, dtype tensor.Dtype, seed uint64, sizes ...int) *graph.Params {
	t.Helper()
	ps, err := graph.NewParams(dtype, seed)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range sizes {
		p, err := ps.Add("p"+string(rune('a'+i)), tensor.Shape{n}, graph.Normal(1))
		if err != nil {
			t.Fatal(err)
		}
		randomGrad(p, ps.RNG())
	}
	return ps
}

// newGrads gives every parameter of ps new random gradients drawn from
// seed, with a block of zeros (an untouched row) in every fourth 64.
func newGrads(ps *graph.Params, seed uint64) {
	rng := graph.NewRNG(seed)
	for _, p := range ps.List() {
		randomGrad(p, rng)
		if p.Grad.Dtype() == tensor.Float32 {
			g := p.Grad.Float32s()
			for i := range g {
				if (i/64)%4 == 3 {
					g[i] = 0
				}
			}
		}
	}
}

func randomGrad(p *graph.Param, rng *graph.RNG) {
	if p.Grad.Dtype() == tensor.Float32 {
		for i, g := 0, p.Grad.Float32s(); i < len(g); i++ {
			g[i] = float32(rng.NormFloat64())
		}
		return
	}
	for i, g := 0, p.Grad.Float64s(); i < len(g); i++ {
		g[i] = rng.NormFloat64()
	}
}

// everyOptimizer lists a configuration of each optimizer that uses all its
// code paths.
var everyOptimizer = []struct {
	name string
	cfg  OptimizerConfig
}{
	{"sgd", OptimizerConfig{Momentum: 0.9, Nesterov: true, WeightDecay: 1e-4}},
	{"adam", OptimizerConfig{WeightDecay: 1e-2}},
	{"rmsprop", OptimizerConfig{Momentum: 0.5, WeightDecay: 1e-2}},
	{"adagrad", OptimizerConfig{WeightDecay: 1e-2, LRDecay: 1e-3}},
}

// TestWorkersGiveIdenticalResults runs the same steps with 1 and several
// workers; the updates are elementwise, so every bit must agree.
func TestWorkersGiveIdenticalResults(t *testing.T) {
	sizes := []int{70001, 33333, 1, 40000}
	for _, dtype := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		for _, o := range everyOptimizer {
			t.Run(o.name+"/"+dtype.String(), func(t *testing.T) {
				var results [][]float64
				for _, workers := range []int{1, 2, 4, 7} {
					ps := randomParams(t, dtype, 3, sizes...)
					cfg := o.cfg
					cfg.Workers = workers
					opt, err := NewOptimizer(o.name, ps, cfg)
					if err != nil {
						t.Fatal(err)
					}
					for step := range 3 {
						if step > 0 {
							newGrads(ps, uint64(step)) // Step zeroed them
						}
						if err := opt.Step(0.01); err != nil {
							t.Fatal(err)
						}
					}
					var all []float64
					for _, p := range ps.List() {
						all = append(all, p.Values()...)
					}
					results = append(results, all)
				}
				for w, r := range results[1:] {
					for i := range r {
						if math.Float64bits(r[i]) != math.Float64bits(results[0][i]) {
							t.Fatalf("worker setting %d: element %d = %v, want %v", w+1, i, r[i], results[0][i])
						}
					}
				}
			})
		}
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		sizes   []int
		workers int
		groups  int
	}{
		{[]int{10}, 4, 1},                          // too small to share
		{[]int{minElemsPerWorker * 4}, 4, 4},       // one big tensor, cut in four
		{[]int{5, minElemsPerWorker * 2, 7}, 8, 2}, // as many as the size allows
		{[]int{minElemsPerWorker * 3, 1, 1}, 2, 2},
		{[]int{3, 3, 3}, 0, 1},
	}
	for _, tt := range tests {
		b := &base{sizes: tt.sizes}
		total := 0
		for _, n := range tt.sizes {
			total += n
		}
		b.split(total, tt.workers)
		if len(b.groups) != tt.groups {
			t.Errorf("sizes %v, %d workers: %d groups, want %d", tt.sizes, tt.workers, len(b.groups), tt.groups)
		}
		// The segments, in order, cover every element once.
		param, off, covered := 0, 0, 0
		for _, g := range b.groups {
			for _, s := range g {
				if s.param != param || s.lo != off || s.hi <= s.lo {
					t.Fatalf("sizes %v: segment %+v, want param %d from %d", tt.sizes, s, param, off)
				}
				covered += s.hi - s.lo
				if off = s.hi; off == tt.sizes[param] {
					param, off = param+1, 0
				}
			}
		}
		if covered != total {
			t.Errorf("sizes %v: segments cover %d elements, want %d", tt.sizes, covered, total)
		}
	}
}

// TestStepAllocatesNothing checks that a step allocates nothing after the
// first, with one worker and with several.
func TestStepAllocatesNothing(t *testing.T) {
	for _, workers := range []int{1, 3} {
		for _, o := range everyOptimizer {
			ps := randomParams(t, tensor.Float32, 1, 3*minElemsPerWorker, 100)
			cfg := o.cfg
			cfg.Workers = workers
			opt, err := NewOptimizer(o.name, ps, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := opt.Step(1e-3); err != nil {
				t.Fatal(err)
			}
			allocs := testing.AllocsPerRun(20, func() {
				if err := opt.Step(1e-3); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%s with %d workers: %v allocations per step, want 0", o.name, workers, allocs)
			}
		}
	}
}

// TestStepZeroesGradients checks that Step leaves every gradient +0, for
// both dtypes and every optimizer, and that a failed Step leaves them as
// they were.
func TestStepZeroesGradients(t *testing.T) {
	for _, dtype := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		for _, o := range everyOptimizer {
			ps := randomParams(t, dtype, 9, 1000, 37, 3)
			opt, err := NewOptimizer(o.name, ps, o.cfg)
			if err != nil {
				t.Fatal(err)
			}
			before := ps.List()[0].Gradients()
			if err := opt.Step(-1); err == nil {
				t.Fatalf("%s: Step(-1) succeeded", o.name)
			}
			if got := ps.List()[0].Gradients(); !reflect.DeepEqual(got, before) {
				t.Errorf("%s/%v: a failed Step changed the gradients", o.name, dtype)
			}
			for step := range uint64(2) {
				newGrads(ps, step)
				if err := opt.Step(0.01); err != nil {
					t.Fatal(err)
				}
				for _, p := range ps.List() {
					for i, g := range p.Gradients() {
						if math.Float64bits(g) != 0 {
							t.Fatalf("%s/%v step %d: %s gradient %d = %v after Step, want +0", o.name, dtype, step+1, p.Name, i, g)
						}
					}
				}
			}
		}
	}
}

// TestUntouchedRowsUnchanged steps every optimizer (without weight decay,
// which moves every weight) on an embedding-like parameter whose odd rows
// never get a gradient: their weights and state must keep their bits,
// signed zeros included, while the even rows must match an optimizer run
// on the even rows alone.
func TestUntouchedRowsUnchanged(t *testing.T) {
	const rows, dim = 50, 24 // 24: rows straddle the kernels' 8-float blocks
	negZero := math.Copysign(0, -1)
	for _, o := range everyOptimizer {
		t.Run(o.name, func(t *testing.T) {
			cfg := o.cfg
			cfg.WeightDecay = 0
			full := randomParams(t, tensor.Float32, 4, rows*dim)
			even := randomParams(t, tensor.Float32, 4, rows/2*dim)
			w := full.List()[0].Value.Float32s()
			w[dim], w[dim+1] = 0, float32(negZero) // signed zeros in an untouched row
			we := even.List()[0].Value.Float32s()
			for r := 0; r < rows; r += 2 {
				copy(we[r/2*dim:(r/2+1)*dim], w[r*dim:(r+1)*dim])
			}
			start := append([]float32(nil), w...)
			fullOpt, err := NewOptimizer(o.name, full, cfg)
			if err != nil {
				t.Fatal(err)
			}
			evenOpt, err := NewOptimizer(o.name, even, cfg)
			if err != nil {
				t.Fatal(err)
			}
			rng := graph.NewRNG(8)
			for step := range 4 {
				g := full.List()[0].Grad.Float32s()
				ge := even.List()[0].Grad.Float32s()
				for r := 0; r < rows; r++ {
					for j := 0; j < dim; j++ {
						v := float32(0)
						if r%2 == 0 {
							v = float32(rng.NormFloat64())
							ge[r/2*dim+j] = v
						} else if j%3 == 0 {
							v = float32(negZero) // Adam skips -0 gradients too
							if o.name != "adam" {
								v = 0
							}
						}
						g[r*dim+j] = v
					}
				}
				if err := fullOpt.Step(0.05); err != nil {
					t.Fatal(err)
				}
				if err := evenOpt.Step(0.05); err != nil {
					t.Fatal(err)
				}
				for r := 0; r < rows; r++ {
					for j := 0; j < dim; j++ {
						got := math.Float32bits(w[r*dim+j])
						want := math.Float32bits(start[r*dim+j])
						if r%2 == 0 {
							want = math.Float32bits(we[r/2*dim+j])
						}
						if got != want {
							t.Fatalf("step %d: row %d element %d = %#08x, want %#08x", step+1, r, j, got, want)
						}
					}
				}
			}
			for name, d := range fullOpt.State().Tensors {
				v := d.Float32s()
				for r := 1; r < rows; r += 2 {
					for j := 0; j < dim; j++ {
						if math.Float32bits(v[r*dim+j]) != 0 {
							t.Fatalf("%s: untouched row %d has state %v", name, r, v[r*dim+j])
						}
					}
				}
			}
		})
	}
}

// TestStateRoundTrip checks that an optimizer restored from State continues
// exactly as the original.
func TestStateRoundTrip(t *testing.T) {
	for _, o := range everyOptimizer {
		t.Run(o.name, func(t *testing.T) {
			ps := randomParams(t, tensor.Float32, 5, 100, 37)
			opt, err := NewOptimizer(o.name, ps, o.cfg)
			if err != nil {
				t.Fatal(err)
			}
			for step := range uint64(2) {
				newGrads(ps, step)
				if err := opt.Step(0.01); err != nil {
					t.Fatal(err)
				}
			}
			state := opt.State()
			saved := make(map[string][]float64)
			for _, p := range ps.List() {
				saved[p.Name] = p.Values()
			}
			newGrads(ps, 2)
			if err := opt.Step(0.01); err != nil {
				t.Fatal(err)
			}
			want := ps.List()[0].Values()

			// A fresh optimizer over the saved values, given the saved state.
			for _, p := range ps.List() {
				if err := ps.SetValues(p.Name, p.Value.Shape(), saved[p.Name]); err != nil {
					t.Fatal(err)
				}
			}
			fresh, err := NewOptimizer(o.name, ps, o.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := fresh.LoadState(state); err != nil {
				t.Fatal(err)
			}
			newGrads(ps, 2)
			if err := fresh.Step(0.01); err != nil {
				t.Fatal(err)
			}
			got := ps.List()[0].Values()
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("element %d after resuming = %v, want %v", i, got[i], want[i])
				}
			}
			if fresh.State().Step != 3 {
				t.Errorf("step after resuming = %d, want 3", fresh.State().Step)
			}
			// State is a copy: stepping does not change it.
			for name, d := range state.Tensors {
				if d == fresh.State().Tensors[name] {
					t.Errorf("State shares tensor %q with the optimizer", name)
				}
			}
		})
	}
}

func TestLoadStateErrors(t *testing.T) {
	ps := randomParams(t, tensor.Float32, 5, 10, 4)
	opt, err := NewOptimizer("adam", ps, OptimizerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	good := func() *OptimizerState { return opt.State() }
	tests := []struct {
		name   string
		modify func(*OptimizerState) *OptimizerState
		want   string
	}{
		{"nil", func(*OptimizerState) *OptimizerState { return nil }, "nil optimizer state"},
		{"other optimizer", func(s *OptimizerState) *OptimizerState { s.Optimizer = "sgd"; return s }, `state is from optimizer "sgd"`},
		{"negative step", func(s *OptimizerState) *OptimizerState { s.Step = -1; return s }, "negative step"},
		{"missing tensor", func(s *OptimizerState) *OptimizerState { delete(s.Tensors, "exp_avg/pb"); return s }, `lacks tensor "exp_avg/pb"`},
		{"extra tensor", func(s *OptimizerState) *OptimizerState {
			s.Tensors["exp_avg/zz"] = tensor.New(tensor.WithShape(1), tensor.Of(tensor.Float32))
			return s
		}, `unexpected tensor "exp_avg/zz"`},
		{"wrong shape", func(s *OptimizerState) *OptimizerState {
			s.Tensors["exp_avg_sq/pa"] = tensor.New(tensor.WithShape(2, 5), tensor.Of(tensor.Float32))
			return s
		}, `"exp_avg_sq/pa" has shape (2, 5), want (10)`},
		{"wrong dtype", func(s *OptimizerState) *OptimizerState {
			s.Tensors["exp_avg/pa"] = tensor.New(tensor.WithShape(10), tensor.Of(tensor.Float64))
			return s
		}, `"exp_avg/pa" is float64, want float32`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := opt.LoadState(tt.modify(good()))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("LoadState error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestNewOptimizerErrors(t *testing.T) {
	ps := randomParams(t, tensor.Float32, 5, 3)
	empty, err := graph.NewParams(tensor.Float32, 1)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		opt    string
		params *graph.Params
		cfg    OptimizerConfig
		want   string
	}{
		{"unknown", "adamw", ps, OptimizerConfig{}, `unknown optimizer "adamw"`},
		{"unused option", "adam", ps, OptimizerConfig{Momentum: 0.9}, "adam does not use Momentum"},
		{"nesterov on adam", "adam", ps, OptimizerConfig{Nesterov: true}, "adam does not use Nesterov"},
		{"nesterov without momentum", "sgd", ps, OptimizerConfig{Nesterov: true}, "Nesterov momentum needs"},
		{"nesterov with dampening", "sgd", ps, OptimizerConfig{Nesterov: true, Momentum: 0.9, Dampening: 0.1}, "Nesterov momentum needs"},
		{"beta1 of 1", "adam", ps, OptimizerConfig{Beta1: 1}, "Beta1 = 1 out of range"},
		{"negative eps", "rmsprop", ps, OptimizerConfig{Eps: -1}, "Eps = -1 out of range"},
		{"NaN weight decay", "sgd", ps, OptimizerConfig{WeightDecay: math.NaN()}, "WeightDecay = NaN out of range"},
		{"infinite momentum", "sgd", ps, OptimizerConfig{Momentum: math.Inf(1)}, "out of range"},
		{"negative workers", "sgd", ps, OptimizerConfig{Workers: -1}, "Workers = -1"},
		{"no parameters", "sgd", empty, OptimizerConfig{}, "no parameters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewOptimizer(tt.opt, tt.params, tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewOptimizer error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestStepErrors(t *testing.T) {
	ps := randomParams(t, tensor.Float32, 5, 3)
	opt, err := NewOptimizer("sgd", ps, OptimizerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, lr := range []float64{-1, math.NaN(), math.Inf(1)} {
		if err := opt.Step(lr); err == nil || !strings.Contains(err.Error(), "learning rate") {
			t.Errorf("Step(%v) error %v", lr, err)
		}
	}
	ps.List()[0].Grad = nil
	if err := opt.Step(0.1); err == nil || !strings.Contains(err.Error(), `parameter "pa"`) {
		t.Errorf("Step without a gradient: error %v", err)
	}
	if opt.State().Step != 0 {
		t.Errorf("failed steps counted: step %d", opt.State().Step)
	}
}

func TestDefaults(t *testing.T) {
	ps := randomParams(t, tensor.Float32, 5, 3)
	tests := []struct {
		name string
		got  func(Optimizer) []float64
		want []float64
	}{
		{"adam", func(o Optimizer) []float64 { a := o.(*adam); return []float64{a.beta1, a.beta2, a.eps} }, []float64{0.9, 0.999, 1e-8}},
		{"rmsprop", func(o Optimizer) []float64 { r := o.(*rmsprop); return []float64{r.alpha, r.eps} }, []float64{0.99, 1e-8}},
		{"adagrad", func(o Optimizer) []float64 { return []float64{o.(*adagrad).eps} }, []float64{1e-10}},
	}
	for _, tt := range tests {
		opt, err := NewOptimizer(tt.name, ps, OptimizerConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if opt.Name() != tt.name {
			t.Errorf("Name() = %q, want %q", opt.Name(), tt.name)
		}
		got := tt.got(opt)
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s defaults %v, want %v", tt.name, got, tt.want)
				break
			}
		}
	}
}

func TestSaveLoadOptimizerState(t *testing.T) {
	for _, dtype := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		ps := randomParams(t, dtype, 5, 10, 4)
		opt, err := NewOptimizer("adam", ps, OptimizerConfig{})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if err := opt.Step(0.01); err != nil {
				t.Fatal(err)
			}
		}
		path := filepath.Join(t.TempDir(), "optimizer.safetensors")
		if err := SaveOptimizerState(path, opt.State()); err != nil {
			t.Fatal(err)
		}
		loaded, err := LoadOptimizerState(path, ps)
		if err != nil {
			t.Fatal(err)
		}
		want := opt.State()
		if loaded.Optimizer != "adam" || loaded.Step != 3 || len(loaded.Tensors) != len(want.Tensors) {
			t.Fatalf("loaded %s step %d %v, want adam step 3 %v", loaded.Optimizer, loaded.Step, loaded.Names(), want.Names())
		}
		for name, w := range want.Tensors {
			g := loaded.Tensors[name]
			if g == nil || !g.Shape().Eq(w.Shape()) || !reflect.DeepEqual(g.Data(), w.Data()) {
				t.Errorf("%v: tensor %q = %v, want %v", dtype, name, g, w)
			}
		}
		if err := opt.LoadState(loaded); err != nil {
			t.Error(err)
		}

		// The wrong parameters are refused, naming the file.
		other := randomParams(t, dtype, 5, 11, 4)
		if _, err := LoadOptimizerState(path, other); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "shape") {
			t.Errorf("loading for other shapes: error %v", err)
		}
		if _, err := LoadOptimizerState(path, randomParams(t, dtype, 5, 10)); err == nil || !strings.Contains(err.Error(), "not the state of any parameter") {
			t.Errorf("loading for fewer parameters: error %v", err)
		}
	}
	// A file that is not an optimizer state, and a missing file.
	path := filepath.Join(t.TempDir(), "weights.safetensors")
	if err := safetensors.WriteFile(path, []safetensors.Tensor{safetensors.FromFloat32s("pa", []int{10}, make([]float32, 10))}, nil); err != nil {
		t.Fatal(err)
	}
	ps := randomParams(t, tensor.Float32, 5, 10)
	if _, err := LoadOptimizerState(path, ps); err == nil || !strings.Contains(err.Error(), "metadata format") {
		t.Errorf("loading a weights file: error %v", err)
	}
	if _, err := LoadOptimizerState(path+".missing", ps); err == nil {
		t.Error("loading a missing file succeeded")
	}
}
