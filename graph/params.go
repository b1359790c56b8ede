package graph

import (
	"math"
	"sort"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Param is one named learnable tensor. Value holds the current weights and
// Grad the gradient accumulated for them since it was last zeroed; both have
// the same shape and dtype. Name is the PyTorch state_dict name of the
// equivalent module's parameter, e.g. "rnn.weight_ih_l0".
type Param struct {
	Name  string
	Value *tensor.Dense
	Grad  *tensor.Dense
	// Frozen keeps the parameter as it is during training (pretrained
	// embeddings used as they are, say): graphs compiled after it is set
	// compute no gradient for it (it is not among their Learnables) and
	// the train package's optimizers leave it out.
	Frozen bool
}

// Size returns the number of elements of p.
func (p *Param) Size() int { return p.Value.Shape().TotalSize() }

// Params is an ordered set of named parameters of one dtype, with the seeded
// random source that initialises them. Layers register their parameters in
// declaration order, which fixes the order of random draws: the same seed
// gives the same weights, bit for bit.
type Params struct {
	dtype  tensor.Dtype
	rng    *RNG
	list   []*Param
	byName map[string]*Param
}

// NewParams returns an empty parameter set of dtype tensor.Float32 or
// tensor.Float64 whose initial values are drawn from a source seeded by seed.
func NewParams(dtype tensor.Dtype, seed uint64) (*Params, error) {
	if dtype != tensor.Float32 && dtype != tensor.Float64 {
		return nil, errors.Errorf("graph: dtype %v not supported (want float32 or float64)", dtype)
	}
	return &Params{dtype: dtype, rng: NewRNG(seed), byName: map[string]*Param{}}, nil
}

// Dtype returns the dtype of every parameter in the set.
func (ps *Params) Dtype() tensor.Dtype { return ps.dtype }

// List returns the parameters in declaration order.
func (ps *Params) List() []*Param { return ps.list }

// Get returns the parameter called name, or nil.
func (ps *Params) Get(name string) *Param { return ps.byName[name] }

// Names returns the parameter names in declaration order.
func (ps *Params) Names() []string {
	names := make([]string, len(ps.list))
	for i, p := range ps.list {
		names[i] = p.Name
	}
	return names
}

// Count returns the total number of learnable scalars.
func (ps *Params) Count() int {
	n := 0
	for _, p := range ps.list {
		n += p.Size()
	}
	return n
}

// ZeroGrads sets every gradient to zero.
func (ps *Params) ZeroGrads() {
	for _, p := range ps.list {
		p.Grad.Zero()
	}
}

// Initializer fills a new parameter's values, drawing from rng.
type Initializer func(values []float64, rng *RNG)

// Uniform returns an initializer drawing from U(-bound, bound), PyTorch's
// default for recurrent and linear layers (bound = 1/sqrt(fan)).
func Uniform(bound float64) Initializer {
	return func(values []float64, rng *RNG) {
		for i := range values {
			values[i] = (rng.Float64()*2 - 1) * bound
		}
	}
}

// Normal returns an initializer drawing from N(0, std²), PyTorch's default
// for embeddings (std = 1).
func Normal(std float64) Initializer {
	return func(values []float64, rng *RNG) {
		for i := range values {
			values[i] = rng.NormFloat64() * std
		}
	}
}

// Zeros is an initializer that leaves every value at zero.
func Zeros(values []float64, _ *RNG) { clear(values) }

// Add registers a parameter of the given shape, filled by init, and returns
// it. Names must be unique and shapes positive.
func (ps *Params) Add(name string, shape tensor.Shape, init Initializer) (*Param, error) {
	if name == "" {
		return nil, errors.New("graph: parameter name is empty")
	}
	if _, dup := ps.byName[name]; dup {
		return nil, errors.Errorf("graph: parameter %q declared twice", name)
	}
	for _, d := range shape {
		if d <= 0 {
			return nil, errors.Errorf("graph: parameter %q has non-positive shape %v", name, shape)
		}
	}
	values := make([]float64, shape.TotalSize())
	init(values, ps.rng)
	p := &Param{
		Name:  name,
		Value: denseFrom(ps.dtype, shape, values),
		Grad:  tensor.New(tensor.Of(ps.dtype), tensor.WithShape(shape.Clone()...)),
	}
	ps.list = append(ps.list, p)
	ps.byName[name] = p
	return p, nil
}

// SetValues copies values (in row-major order) into the parameter called
// name, converting to the set's dtype. It is how weights saved elsewhere
// (a checkpoint, a PyTorch state_dict) are loaded.
func (ps *Params) SetValues(name string, shape tensor.Shape, values []float64) error {
	p := ps.byName[name]
	if p == nil {
		return errors.Errorf("graph: no parameter %q (have %v)", name, ps.Names())
	}
	if !shape.Eq(p.Value.Shape()) {
		return errors.Errorf("graph: parameter %q has shape %v, values have shape %v", name, p.Value.Shape(), shape)
	}
	if len(values) != shape.TotalSize() {
		return errors.Errorf("graph: parameter %q: %d values for shape %v", name, len(values), shape)
	}
	copyInto(p.Value, values)
	return nil
}

// Values returns a copy of the parameter's values as float64, row-major.
func (p *Param) Values() []float64 { return toFloat64s(p.Value) }

// Gradients returns a copy of the parameter's gradient as float64, row-major.
func (p *Param) Gradients() []float64 { return toFloat64s(p.Grad) }

// SortedNames returns the parameter names in lexical order, the order of a
// safetensors header.
func (ps *Params) SortedNames() []string {
	names := ps.Names()
	sort.Strings(names)
	return names
}

// RNG returns the random source that initialised the parameters.
func (ps *Params) RNG() *RNG { return ps.rng }

// uniformFan is PyTorch's default bound 1/sqrt(fan) for U(-bound, bound).
func uniformFan(fan int) Initializer { return Uniform(1 / math.Sqrt(float64(fan))) }

func denseFrom(dtype tensor.Dtype, shape tensor.Shape, values []float64) *tensor.Dense {
	d := tensor.New(tensor.Of(dtype), tensor.WithShape(shape.Clone()...))
	copyInto(d, values)
	return d
}

func copyInto(d *tensor.Dense, values []float64) {
	if d.Dtype() == tensor.Float32 {
		data := d.Float32s()
		for i, v := range values {
			data[i] = float32(v)
		}
		return
	}
	copy(d.Float64s(), values)
}

func toFloat64s(d *tensor.Dense) []float64 {
	if d.Dtype() == tensor.Float32 {
		data := d.Float32s()
		out := make([]float64, len(data))
		for i, v := range data {
			out[i] = float64(v)
		}
		return out
	}
	return append([]float64(nil), d.Float64s()...)
}
