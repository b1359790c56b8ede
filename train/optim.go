package train

import (
	"math"
	"slices"
	"sort"
	"sync"

	"github.com/gornn/gornn/graph"
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Optimizer updates parameters in place from their gradients (Param.Grad)
// and zeroes the gradients, in the same pass over memory. Every
// implementation follows PyTorch 1.13's single-tensor CPU code path
// operation by operation, in the parameters' dtype, so that the same
// gradients give the same weights as torch.optim, bit for bit on the
// fixtures in testdata, on every machine: float32 parameters go through
// the AVX2 kernels of train/internal/vecopt where the CPU has them and
// through pure Go elsewhere, with the same bits (NaN payloads aside).
type Optimizer interface {
	// Step applies one update to every parameter with learning rate lr
	// and zeroes the gradients, so that the next backward pass can
	// accumulate into them. It fails, changing nothing (gradients
	// included), when lr is negative or not finite or when a parameter
	// lost its gradient or changed size since the optimizer was built.
	//
	// Elements that the update leaves exactly as they are (zero gradient
	// and zero state, without weight decay: the rows of an embedding that
	// no batch has touched yet) are skipped, which changes no result.
	Step(lr float64) error
	// State returns a copy of the optimizer's state for a checkpoint.
	State() *OptimizerState
	// LoadState restores a state returned by State, checking that it comes
	// from the same kind of optimizer over parameters of the same names,
	// shapes and dtype.
	LoadState(*OptimizerState) error
	// Name returns the optimizer's name as NewOptimizer takes it.
	Name() string
}

// OptimizerState is an optimizer's resumable state: the number of steps
// taken and its per-parameter buffers, named "<buffer>/<parameter>" with
// PyTorch's buffer names, e.g. "exp_avg/rnn.weight_ih_l0".
type OptimizerState struct {
	Optimizer string                   // the optimizer's Name
	Step      int                      // steps taken
	Tensors   map[string]*tensor.Dense // buffers, by state name
}

// Names returns the state's tensor names in lexical order.
func (s *OptimizerState) Names() []string {
	names := make([]string, 0, len(s.Tensors))
	for n := range s.Tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// OptimizerConfig holds the hyper-parameters of every optimizer; each uses
// only some of them, and setting one that the chosen optimizer does not use
// is an error. The zero value of a field selects PyTorch's default, so a
// hyper-parameter whose default is not zero (Beta1, Beta2, Eps, Alpha)
// cannot be set to exactly zero.
type OptimizerConfig struct {
	// Momentum is the momentum factor of "sgd" and "rmsprop". Default 0.
	Momentum float64
	// Dampening is "sgd"'s dampening of the momentum. Default 0.
	Dampening float64
	// Nesterov switches "sgd" to Nesterov momentum; it needs Momentum > 0
	// and Dampening 0. Default false.
	Nesterov bool
	// Beta1 and Beta2 are "adam"'s decay rates of the running means of the
	// gradient and of its square. Defaults 0.9 and 0.999.
	Beta1, Beta2 float64
	// Eps is added to the denominator of "adam", "rmsprop" and "adagrad".
	// Defaults 1e-8, 1e-8 and 1e-10.
	Eps float64
	// Alpha is "rmsprop"'s smoothing constant. Default 0.99.
	Alpha float64
	// WeightDecay is an L2 penalty added to the gradient, weight_decay ×
	// param (coupled, as torch.optim.Adam; not AdamW). Default 0.
	WeightDecay float64
	// InitialAccumulator is "adagrad"'s initial_accumulator_value. Default 0.
	InitialAccumulator float64
	// LRDecay is "adagrad"'s lr_decay: step t uses lr / (1 + (t-1)·LRDecay).
	// Default 0.
	LRDecay float64
	// Workers is the number of goroutines that share the elementwise
	// updates. Results do not depend on it. Default 0: the calling
	// goroutine alone, as 1.
	Workers int
}

// Optimizers lists the names NewOptimizer accepts.
var Optimizers = []string{"sgd", "adam", "rmsprop", "adagrad"}

// optimizerOptions lists the OptimizerConfig fields each optimizer uses.
var optimizerOptions = map[string][]string{
	"sgd":     {"Momentum", "Dampening", "Nesterov", "WeightDecay"},
	"adam":    {"Beta1", "Beta2", "Eps", "WeightDecay"},
	"rmsprop": {"Momentum", "Alpha", "Eps", "WeightDecay"},
	"adagrad": {"Eps", "WeightDecay", "InitialAccumulator", "LRDecay"},
}

// NewOptimizer returns the optimizer called name ("sgd", "adam", "rmsprop"
// or "adagrad") over every parameter of params but the Frozen ones, with
// its state buffers allocated.
func NewOptimizer(name string, params *graph.Params, cfg OptimizerConfig) (Optimizer, error) {
	uses, ok := optimizerOptions[name]
	if !ok {
		return nil, errors.Errorf("train: unknown optimizer %q (have %q)", name, Optimizers)
	}
	if err := cfg.validate(name, uses); err != nil {
		return nil, err
	}
	if len(params.List()) == 0 {
		return nil, errors.Errorf("train: %s: no parameters to optimize", name)
	}
	switch name {
	case "sgd":
		return newSGD(params, cfg), nil
	case "adam":
		return newAdam(params, cfg), nil
	case "rmsprop":
		return newRMSprop(params, cfg), nil
	default:
		return newAdagrad(params, cfg), nil
	}
}

// validate checks cfg for optimizer name, which uses the fields in uses.
func (cfg OptimizerConfig) validate(name string, uses []string) error {
	fields := []struct {
		name   string
		v      float64
		lo, hi float64 // valid range, inclusive
	}{
		{"Momentum", cfg.Momentum, 0, math.Inf(1)},
		{"Dampening", cfg.Dampening, 0, 1},
		{"Beta1", cfg.Beta1, 0, math.Nextafter(1, 0)},
		{"Beta2", cfg.Beta2, 0, math.Nextafter(1, 0)},
		{"Eps", cfg.Eps, 0, math.Inf(1)},
		{"Alpha", cfg.Alpha, 0, math.Inf(1)},
		{"WeightDecay", cfg.WeightDecay, 0, math.Inf(1)},
		{"InitialAccumulator", cfg.InitialAccumulator, 0, math.Inf(1)},
		{"LRDecay", cfg.LRDecay, 0, math.Inf(1)},
	}
	for _, f := range fields {
		if f.v == 0 {
			continue
		}
		if !slices.Contains(uses, f.name) {
			return errors.Errorf("train: %s does not use %s (it uses %v)", name, f.name, uses)
		}
		if !(f.v >= f.lo && f.v <= f.hi) || math.IsInf(f.v, 0) {
			return errors.Errorf("train: %s: %s = %v out of range", name, f.name, f.v)
		}
	}
	switch {
	case cfg.Nesterov && name != "sgd":
		return errors.Errorf("train: %s does not use Nesterov", name)
	case cfg.Nesterov && (cfg.Momentum == 0 || cfg.Dampening != 0):
		return errors.New("train: sgd: Nesterov momentum needs Momentum > 0 and Dampening 0")
	case cfg.Workers < 0:
		return errors.Errorf("train: %s: Workers = %d is negative", name, cfg.Workers)
	}
	return nil
}

// orDefault returns v, or def when v is zero.
func orDefault(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

// minElemsPerWorker is the smallest share of elements worth a goroutine.
const minElemsPerWorker = 1 << 15

// segment is the element range [lo, hi) of parameter param.
type segment struct{ param, lo, hi int }

// kernel is what sets one optimizer apart within a step.
type kernel interface {
	// prepare sets the coefficients of step b.step (already counted) for
	// learning rate lr.
	prepare(lr float64)
	// update updates the elements [lo, hi) of parameter i with them.
	update(i, lo, hi int)
}

// base holds what every optimizer shares: the parameters, the step count,
// the named state buffers and the split of the elements among workers.
type base struct {
	name    string
	params  []*graph.Param
	sizes   []int
	dtype   tensor.Dtype
	f32     bool
	step    int
	buffers []string          // state buffer kinds, e.g. "exp_avg"
	state   [][]*tensor.Dense // state[k][i]: buffer kind k of parameter i
	kernel  kernel

	groups  [][]segment // one list of segments per worker
	workers []func()    // workers[g] runs groups[g] then signals wg
	wg      sync.WaitGroup
}

// init sets up b for the optimizer k over params, with one state buffer per
// parameter for each of buffers, filled with fill.
func (b *base) init(name string, k kernel, params *graph.Params, workers int, fill float64, buffers ...string) {
	b.name, b.kernel, b.buffers = name, k, buffers
	for _, p := range params.List() {
		if !p.Frozen { // a frozen parameter stays as it is
			b.params = append(b.params, p)
		}
	}
	b.dtype = params.Dtype()
	b.f32 = b.dtype == tensor.Float32
	total := 0
	for _, p := range b.params {
		b.sizes = append(b.sizes, p.Size())
		total += p.Size()
	}
	for range buffers {
		bufs := make([]*tensor.Dense, len(b.params))
		for i, p := range b.params {
			bufs[i] = tensor.New(tensor.Of(b.dtype), tensor.WithShape(p.Value.Shape().Clone()...))
			if fill != 0 {
				bufs[i].Memset(castTo(b.dtype, fill))
			}
		}
		b.state = append(b.state, bufs)
	}
	b.split(total, workers)
}

// castTo returns v as a value of dtype (float32 or float64).
func castTo(dtype tensor.Dtype, v float64) any {
	if dtype == tensor.Float32 {
		return float32(v)
	}
	return v
}

// split divides the elements of all parameters, taken in order, into
// contiguous shares of nearly equal size, one per worker, using at most
// workers goroutines and none for fewer than minElemsPerWorker elements.
func (b *base) split(total, workers int) {
	n := min(max(workers, 1), max(total/minElemsPerWorker, 1))
	b.groups = make([][]segment, n)
	param, off := 0, 0
	for g := range n {
		end := (g + 1) * total / n
		for at := g * total / n; at < end; {
			if off == b.sizes[param] { // done with it (or empty)
				param, off = param+1, 0
				continue
			}
			take := min(b.sizes[param]-off, end-at)
			b.groups[g] = append(b.groups[g], segment{param, off, off + take})
			at, off = at+take, off+take
		}
	}
	b.workers = make([]func(), n)
	for g := range n {
		b.workers[g] = func() {
			b.run(g)
			b.wg.Done()
		}
	}
}

// run updates the segments of worker g.
func (b *base) run(g int) {
	for _, s := range b.groups[g] {
		b.kernel.update(s.param, s.lo, s.hi)
	}
}

// check validates lr and that the parameters still have the sizes and
// dtype the optimizer was built for.
func (b *base) check(lr float64) error {
	if !(lr >= 0) || math.IsInf(lr, 0) {
		return errors.Errorf("train: %s: learning rate %v is not a finite non-negative number", b.name, lr)
	}
	for i, p := range b.params {
		if p.Grad == nil || p.Value.Dtype() != b.dtype || p.Grad.Dtype() != b.dtype ||
			p.Value.Shape().TotalSize() != b.sizes[i] || p.Grad.Shape().TotalSize() != b.sizes[i] {
			return errors.Errorf("train: %s: parameter %q changed size, dtype or lost its gradient since the optimizer was built", b.name, p.Name)
		}
	}
	return nil
}

// Step checks lr and the parameters, counts the step, has the kernel set
// its coefficients and applies it to every element, which zeroes the
// gradients.
func (b *base) Step(lr float64) error {
	if err := b.check(lr); err != nil {
		return err
	}
	b.step++
	b.kernel.prepare(lr)
	b.apply()
	return nil
}

// apply runs the kernel over every element, sharing the work among the
// workers.
func (b *base) apply() {
	if len(b.workers) == 1 {
		b.run(0)
		return
	}
	b.wg.Add(len(b.workers) - 1)
	for _, w := range b.workers[1:] {
		go w()
	}
	b.run(0)
	b.wg.Wait()
}

// Name returns the optimizer's name.
func (b *base) Name() string { return b.name }

// State returns a copy of the step count and of every state buffer.
func (b *base) State() *OptimizerState {
	s := &OptimizerState{Optimizer: b.name, Step: b.step, Tensors: map[string]*tensor.Dense{}}
	for k, kind := range b.buffers {
		for i, p := range b.params {
			s.Tensors[kind+"/"+p.Name] = b.state[k][i].Clone().(*tensor.Dense)
		}
	}
	return s
}

// LoadState checks s against the optimizer (name, tensor names, shapes,
// dtype) and copies it in; on error the optimizer is unchanged.
func (b *base) LoadState(s *OptimizerState) error {
	if s == nil {
		return errors.Errorf("train: %s: nil optimizer state", b.name)
	}
	if s.Optimizer != b.name {
		return errors.Errorf("train: %s: state is from optimizer %q", b.name, s.Optimizer)
	}
	if s.Step < 0 {
		return errors.Errorf("train: %s: state has negative step %d", b.name, s.Step)
	}
	want := len(b.buffers) * len(b.params)
	for k, kind := range b.buffers {
		for i, p := range b.params {
			name := kind + "/" + p.Name
			t, ok := s.Tensors[name]
			switch {
			case !ok || t == nil:
				return errors.Errorf("train: %s: state lacks tensor %q", b.name, name)
			case t.Dtype() != b.dtype:
				return errors.Errorf("train: %s: state tensor %q is %v, want %v", b.name, name, t.Dtype(), b.dtype)
			case !t.Shape().Eq(b.state[k][i].Shape()):
				return errors.Errorf("train: %s: state tensor %q has shape %v, want %v", b.name, name, t.Shape(), b.state[k][i].Shape())
			}
		}
	}
	if len(s.Tensors) != want {
		for _, name := range s.Names() {
			if !b.hasStateTensor(name) {
				return errors.Errorf("train: %s: state has unexpected tensor %q", b.name, name)
			}
		}
	}
	for k, kind := range b.buffers {
		for i, p := range b.params {
			src := s.Tensors[kind+"/"+p.Name]
			if b.f32 {
				copy(b.state[k][i].Float32s(), src.Float32s())
			} else {
				copy(b.state[k][i].Float64s(), src.Float64s())
			}
		}
	}
	b.step = s.Step
	return nil
}

func (b *base) hasStateTensor(name string) bool {
	for _, kind := range b.buffers {
		for _, p := range b.params {
			if kind+"/"+p.Name == name {
				return true
			}
		}
	}
	return false
}

// powInt returns x**n for n >= 0 correctly rounded in all but
// astronomically rare cases, as C's pow (which Python's ** calls) does,
// where math.Pow may be off by an ulp: exponentiation by squaring in
// double-double arithmetic (about 100 bits), rounded once.
func powInt(x float64, n int) float64 {
	rh, rl := 1.0, 0.0
	sh, sl := x, 0.0
	for ; n > 0; n >>= 1 {
		if n&1 == 1 {
			rh, rl = mulDD(rh, rl, sh, sl)
		}
		sh, sl = mulDD(sh, sl, sh, sl)
	}
	return rh
}

// mulDD returns the double-double product (ah + al)(bh + bl), normalised so
// that the high part is the product rounded to float64.
//
// Each product is explicitly rounded (float64(x*y)): Go may otherwise fuse
// a product and a sum into one FMA, even across statements, and does on
// arm64 and with GOAMD64=v3, which would change the result.
func mulDD(ah, al, bh, bl float64) (hi, lo float64) {
	p := float64(ah * bh)
	e := math.FMA(ah, bh, -p) + (float64(ah*bl) + float64(al*bh))
	hi = p + e
	return hi, e - (hi - p)
}
