package train

import (
	"encoding/json"
	"math"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/gornn/gornn/graph"
	"gorgonia.org/tensor"
)

// The fixtures come from PyTorch 1.13 (testdata/make_optim_fixtures.py).
// The kernels replicate PyTorch's operations and roundings, so the expected
// error is 0 ulp; fixtureTol is the tolerance every comparison must meet
// and maxULP the largest distance in units in the last place tolerated.
const maxULP = 0

func fixtureTol(want float64) float64 { return 1e-6 + 1e-5*math.Abs(want) }

// fixtureTensor is a tensor as make_optim_fixtures.py writes it: float32
// values as their shortest float32 decimals, parsed here at 32 bits.
type fixtureTensor struct {
	Shape []int         `json:"shape"`
	Data  []json.Number `json:"data"`
}

// values parses the data at the precision of dtype.
func (f fixtureTensor) values(t testing.TB, dtype tensor.Dtype) []float64 {
	t.Helper()
	bits := 64
	if dtype == tensor.Float32 {
		bits = 32
	}
	out := make([]float64, len(f.Data))
	for i, s := range f.Data {
		v, err := strconv.ParseFloat(string(s), bits)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = v
	}
	return out
}

// fixtureConfig is a case's torch keyword arguments.
type fixtureConfig struct {
	Momentum           float64 `json:"momentum"`
	Dampening          float64 `json:"dampening"`
	Nesterov           bool    `json:"nesterov"`
	Beta1              float64 `json:"beta1"`
	Beta2              float64 `json:"beta2"`
	Eps                float64 `json:"eps"`
	Alpha              float64 `json:"alpha"`
	WeightDecay        float64 `json:"weight_decay"`
	LRDecay            float64 `json:"lr_decay"`
	InitialAccumulator float64 `json:"initial_accumulator_value"`
}

type optimCase struct {
	Name      string                     `json:"name"`
	Optimizer string                     `json:"optimizer"`
	Dtype     string                     `json:"dtype"`
	Config    fixtureConfig              `json:"config"`
	LRs       []float64                  `json:"lrs"`
	Order     []string                   `json:"order"`
	Params    map[string]fixtureTensor   `json:"params"`
	Grads     []map[string]fixtureTensor `json:"grads"`
	Steps     []map[string]fixtureTensor `json:"steps"`
	State     map[string]fixtureTensor   `json:"state"`
}

type clipCase struct {
	MaxNorm   float64                  `json:"max_norm"`
	Dtype     string                   `json:"dtype"`
	Order     []string                 `json:"order"`
	Grads     map[string]fixtureTensor `json:"grads"`
	TotalNorm float64                  `json:"total_norm"`
	Clipped   map[string]fixtureTensor `json:"clipped"`
}

type scheduleCase struct {
	Name          string    `json:"name"`
	Spec          string    `json:"spec"`
	Base          float64   `json:"base"`
	StepsPerEpoch int       `json:"steps_per_epoch"`
	TotalSteps    int       `json:"total_steps"`
	LRs           []float64 `json:"lrs"`
}

type optimFixtures struct {
	Cases     []optimCase    `json:"cases"`
	Clip      []clipCase     `json:"clip"`
	Schedules []scheduleCase `json:"schedules"`
	Pow       []struct {
		Base  float64 `json:"base"`
		Exp   int     `json:"exp"`
		Value float64 `json:"value"`
	} `json:"pow"`
}

var (
	fixturesOnce sync.Once
	fixtures     optimFixtures
	fixturesErr  error
)

func loadFixtures(t testing.TB) *optimFixtures {
	t.Helper()
	fixturesOnce.Do(func() {
		data, err := os.ReadFile("testdata/optim_fixtures.json")
		if err != nil {
			fixturesErr = err
			return
		}
		fixturesErr = json.Unmarshal(data, &fixtures)
	})
	if fixturesErr != nil {
		t.Fatal(fixturesErr)
	}
	return &fixtures
}

func dtypeOf(t testing.TB, name string) tensor.Dtype {
	switch name {
	case "float32":
		return tensor.Float32
	case "float64":
		return tensor.Float64
	}
	t.Fatalf("fixture dtype %q", name)
	return tensor.Dtype{}
}

// fixtureParams builds a parameter set holding values, in order.
func fixtureParams(t testing.TB, dtype tensor.Dtype, order []string, values map[string]fixtureTensor) *graph.Params {
	t.Helper()
	ps, err := graph.NewParams(dtype, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range order {
		f := values[name]
		if _, err := ps.Add(name, tensor.Shape(f.Shape), graph.Zeros); err != nil {
			t.Fatal(err)
		}
		if err := ps.SetValues(name, tensor.Shape(f.Shape), f.values(t, dtype)); err != nil {
			t.Fatal(err)
		}
	}
	return ps
}

// setGrads copies the fixture gradients into the parameters' gradients.
func setGrads(t testing.TB, ps *graph.Params, grads map[string]fixtureTensor) {
	t.Helper()
	for _, p := range ps.List() {
		v := grads[p.Name].values(t, ps.Dtype())
		if ps.Dtype() == tensor.Float32 {
			g := p.Grad.Float32s()
			for i := range g {
				g[i] = float32(v[i])
			}
		} else {
			copy(p.Grad.Float64s(), v)
		}
	}
}

// errStats accumulates the largest absolute error and ulp distance.
type errStats struct {
	maxAbs float64
	maxULP uint64
	where  string
}

// compare checks got against want element by element.
func (s *errStats) compare(t testing.TB, what string, dtype tensor.Dtype, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		d := math.Abs(got[i] - want[i])
		u := ulps(dtype, got[i], want[i])
		if d > fixtureTol(want[i]) || u > maxULP {
			t.Errorf("%s[%d] = %v, want %v (error %.3g, %d ulp)", what, i, got[i], want[i], d, u)
		}
		if d > s.maxAbs || u > s.maxULP {
			s.maxAbs, s.maxULP, s.where = max(s.maxAbs, d), max(s.maxULP, u), what
		}
	}
}

// ulps returns the distance between a and b in units in the last place of
// dtype.
func ulps(dtype tensor.Dtype, a, b float64) uint64 {
	if dtype == tensor.Float32 {
		x, y := int64(orderedBits32(float32(a))), int64(orderedBits32(float32(b)))
		return uint64(max(x-y, y-x))
	}
	x, y := orderedBits64(a), orderedBits64(b)
	if x > y {
		return uint64(x - y)
	}
	return uint64(y - x)
}

func orderedBits32(f float32) int32 {
	b := int32(math.Float32bits(f))
	if b < 0 {
		b = math.MinInt32 - b
	}
	return b
}

func orderedBits64(f float64) int64 {
	b := int64(math.Float64bits(f))
	if b < 0 {
		b = math.MinInt64 - b
	}
	return b
}

// TestOptimizersMatchPyTorch runs every fixture case for 5 steps and
// compares the parameters after each step, and the final state, with
// PyTorch's.
func TestOptimizersMatchPyTorch(t *testing.T) {
	for _, c := range loadFixtures(t).Cases {
		t.Run(c.Name, func(t *testing.T) {
			dtype := dtypeOf(t, c.Dtype)
			ps := fixtureParams(t, dtype, c.Order, c.Params)
			cfg := OptimizerConfig{
				Momentum: c.Config.Momentum, Dampening: c.Config.Dampening, Nesterov: c.Config.Nesterov,
				Beta1: c.Config.Beta1, Beta2: c.Config.Beta2, Eps: c.Config.Eps, Alpha: c.Config.Alpha,
				WeightDecay: c.Config.WeightDecay, LRDecay: c.Config.LRDecay, InitialAccumulator: c.Config.InitialAccumulator,
			}
			opt, err := NewOptimizer(c.Optimizer, ps, cfg)
			if err != nil {
				t.Fatal(err)
			}
			var stats errStats
			for step, lr := range c.LRs {
				setGrads(t, ps, c.Grads[step])
				if err := opt.Step(lr); err != nil {
					t.Fatal(err)
				}
				for _, p := range ps.List() {
					want := c.Steps[step][p.Name].values(t, dtype)
					stats.compare(t, "step "+strconv.Itoa(step+1)+" "+p.Name, dtype, p.Values(), want)
				}
			}
			state := opt.State()
			if state.Step != len(c.LRs) || len(state.Tensors) != len(c.State) {
				t.Errorf("state: step %d with tensors %v, want step %d with %d tensors", state.Step, state.Names(), len(c.LRs), len(c.State))
			}
			for name, want := range c.State {
				got, ok := state.Tensors[name]
				if !ok {
					t.Errorf("state lacks %q", name)
					continue
				}
				stats.compare(t, "state "+name, dtype, denseValues(got), want.values(t, dtype))
			}
			t.Logf("%s: max |error| %.3g, max %d ulp (at %s)", c.Name, stats.maxAbs, stats.maxULP, stats.where)
		})
	}
}

func denseValues(d *tensor.Dense) []float64 {
	if d.Dtype() == tensor.Float32 {
		out := make([]float64, 0, d.Size())
		for _, v := range d.Float32s() {
			out = append(out, float64(v))
		}
		return out
	}
	return append([]float64(nil), d.Float64s()...)
}

// TestClipGradNormMatchesPyTorch compares the total norm and the clipped
// gradients with clip_grad_norm_'s.
func TestClipGradNormMatchesPyTorch(t *testing.T) {
	for i, c := range loadFixtures(t).Clip {
		t.Run(strconv.Itoa(i)+"/"+c.Dtype, func(t *testing.T) {
			dtype := dtypeOf(t, c.Dtype)
			ps := fixtureParams(t, dtype, c.Order, c.Grads)
			setGrads(t, ps, c.Grads)
			var stats errStats
			total := ClipGradNorm(ps, c.MaxNorm)
			stats.compare(t, "total norm", dtype, []float64{total}, []float64{c.TotalNorm})
			for _, p := range ps.List() {
				stats.compare(t, "clipped "+p.Name, dtype, p.Gradients(), c.Clipped[p.Name].values(t, dtype))
			}
			t.Logf("max |error| %.3g, max %d ulp (at %s)", stats.maxAbs, stats.maxULP, stats.where)
		})
	}
}

// TestPowIntMatchesPython checks Adam's bias-correction powers against
// Python's beta ** step.
func TestPowIntMatchesPython(t *testing.T) {
	for _, p := range loadFixtures(t).Pow {
		if got := powInt(p.Base, p.Exp); got != p.Value {
			t.Errorf("powInt(%v, %d) = %v, want %v", p.Base, p.Exp, got, p.Value)
		}
	}
}
