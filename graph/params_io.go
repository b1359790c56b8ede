package graph

import (
	"sort"
	"strings"

	"github.com/gornn/gornn/graph/safetensors"
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// ParamsFile is the name of the parameters file in a model directory.
const ParamsFile = "model.safetensors"

// Save writes every parameter's value as a float32 tensor under its name
// to a safetensors file at path, atomically: with PyTorch state_dict names,
// torch can load it with safetensors.torch.load_file.
func (ps *Params) Save(path string, metadata map[string]string) error {
	tensors := make([]safetensors.Tensor, 0, len(ps.list))
	for _, p := range ps.list {
		tensors = append(tensors, safetensors.FromFloat32s(p.Name, p.Value.Shape(), float32s(p.Value)))
	}
	return errors.Wrap(safetensors.WriteFile(path, tensors, metadata), "graph: saving parameters")
}

// Load reads parameter values from a safetensors file at path: every
// parameter must be there as float32 with its exact shape, and nothing else
// may be. On error no parameter changes.
func (ps *Params) Load(path string) error {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return errors.Wrap(err, "graph: loading parameters")
	}
	declared := map[string]bool{}
	loaded := make([][]float32, len(ps.list))
	for i, p := range ps.list {
		declared[p.Name] = true
		values, shape, err := f.Float32s(p.Name)
		if err != nil {
			return errors.Wrapf(err, "graph: %s: parameter %q", path, p.Name)
		}
		if !tensor.Shape(shape).Eq(p.Value.Shape()) {
			return errors.Errorf("graph: %s: tensor %q has shape %v, want %v", path, p.Name, shape, []int(p.Value.Shape()))
		}
		loaded[i] = values
	}
	var extra []string
	for _, name := range f.Names() {
		if !declared[name] {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return errors.Errorf("graph: %s: unexpected tensors %s (want only the %d declared parameters)", path, strings.Join(extra, ", "), len(ps.list))
	}
	for i, p := range ps.list {
		setFloat32s(p.Value, loaded[i])
	}
	return nil
}

// float32s returns the elements of d as float32 (a copy for float64).
func float32s(d *tensor.Dense) []float32 {
	if d.Dtype() == tensor.Float32 {
		return d.Float32s()
	}
	out := make([]float32, d.Shape().TotalSize())
	for i, v := range d.Float64s() {
		out[i] = float32(v)
	}
	return out
}

// setFloat32s copies values into d, converting to d's dtype.
func setFloat32s(d *tensor.Dense, values []float32) {
	if d.Dtype() == tensor.Float32 {
		copy(d.Float32s(), values)
		return
	}
	data := d.Float64s()
	for i, v := range values {
		data[i] = float64(v)
	}
}
