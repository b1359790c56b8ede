package train

import (
	"strconv"
	"strings"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/graph/safetensors"
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// optimizerFormat marks a safetensors file written by SaveOptimizerState.
const optimizerFormat = "gornn-optimizer"

// SaveOptimizerState writes s to path as a safetensors file, atomically:
// one tensor per state buffer under its state name ("exp_avg/fc.weight"),
// and the optimizer's name and step count in the metadata.
func SaveOptimizerState(path string, s *OptimizerState) error {
	tensors := make([]safetensors.Tensor, 0, len(s.Tensors))
	for _, name := range s.Names() {
		d := s.Tensors[name]
		shape := []int(d.Shape())
		switch d.Dtype() {
		case tensor.Float32:
			tensors = append(tensors, safetensors.FromFloat32s(name, shape, d.Float32s()))
		case tensor.Float64:
			tensors = append(tensors, safetensors.FromFloat64s(name, shape, d.Float64s()))
		default:
			return errors.Errorf("train: saving optimizer state to %s: tensor %q has dtype %v", path, name, d.Dtype())
		}
	}
	meta := map[string]string{"format": optimizerFormat, "optimizer": s.Optimizer, "step": strconv.Itoa(s.Step)}
	return errors.Wrap(safetensors.WriteFile(path, tensors, meta), "train: saving optimizer state")
}

// LoadOptimizerState reads a state written by SaveOptimizerState for an
// optimizer over params, checking that every tensor belongs to one of
// params, with its shape and dtype. Optimizer.LoadState checks the rest.
func LoadOptimizerState(path string, params *graph.Params) (*OptimizerState, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, errors.Wrap(err, "train: loading optimizer state")
	}
	fail := func(format string, args ...any) (*OptimizerState, error) {
		return nil, errors.Errorf("train: loading optimizer state from %s: "+format, append([]any{path}, args...)...)
	}
	if f.Metadata["format"] != optimizerFormat {
		return fail("metadata format %q, want %q", f.Metadata["format"], optimizerFormat)
	}
	step, err := strconv.Atoi(f.Metadata["step"])
	if err != nil || step < 0 {
		return fail("metadata step %q is not a step count", f.Metadata["step"])
	}
	s := &OptimizerState{Optimizer: f.Metadata["optimizer"], Step: step, Tensors: map[string]*tensor.Dense{}}
	for _, t := range f.Tensors() {
		_, param, _ := strings.Cut(t.Name, "/")
		p := params.Get(param)
		if p == nil {
			return fail("tensor %q is not the state of any parameter", t.Name)
		}
		if !tensor.Shape(t.Shape).Eq(p.Value.Shape()) {
			return fail("tensor %q has shape %v, parameter %q has %v", t.Name, t.Shape, param, p.Value.Shape())
		}
		var values any
		switch {
		case t.Dtype == safetensors.F32 && params.Dtype() == tensor.Float32:
			values, err = t.Float32s()
		case t.Dtype == safetensors.F64 && params.Dtype() == tensor.Float64:
			values, err = t.Float64s()
		default:
			return fail("tensor %q is %s, the parameters are %v", t.Name, t.Dtype, params.Dtype())
		}
		if err != nil {
			return nil, errors.Wrapf(err, "train: loading optimizer state from %s", path)
		}
		s.Tensors[t.Name] = tensor.New(tensor.WithShape(t.Shape...), tensor.WithBacking(values))
	}
	return s, nil
}
