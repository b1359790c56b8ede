package models

import (
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/graph/safetensors"
	"github.com/gornn/gornn/internal/regularfile"
	"github.com/pkg/errors"
)

// maxWeightsHeaderBytes bounds the header of a model's weights file: 1 MiB,
// room for far more than the 3 + 8*MaxNumLayers tensors of a config.
const maxWeightsHeaderBytes = 1 << 20

// checkWeights reads the header of the weights file at path, without its
// data, and checks that it lists exactly the tensors want (those a config
// implies), each F32 with the expected shape. The header tiles the rest of
// the file (see safetensors.ReadHeader), so the file then holds exactly
// the bytes the parameters need.
func checkWeights(path string, want []TensorSpec) error {
	header, err := safetensors.ReadHeader(path, maxWeightsHeaderBytes)
	if err != nil {
		return errors.Wrap(err, "models")
	}
	have := make(map[string]safetensors.Tensor, len(header.Tensors))
	for _, t := range header.Tensors {
		have[t.Name] = t
	}
	for _, spec := range want {
		t, ok := have[spec.Name]
		switch {
		case !ok:
			return errors.Errorf("models: %s: no tensor %q, which config.json implies", path, spec.Name)
		case t.Dtype != safetensors.F32:
			return errors.Errorf("models: %s: tensor %q is %s, want F32", path, spec.Name, t.Dtype)
		case !slices.Equal(t.Shape, spec.Shape):
			return errors.Errorf("models: %s: tensor %q has shape %v, want %v (from config.json)", path, spec.Name, t.Shape, spec.Shape)
		}
		delete(have, spec.Name)
	}
	if len(have) > 0 {
		extra := make([]string, 0, len(have))
		for name := range have {
			extra = append(extra, regularfile.Excerpt(name))
		}
		sort.Strings(extra)
		if len(extra) > 5 {
			extra = append(extra[:5], "...")
		}
		return errors.Errorf("models: %s: %d tensors config.json does not imply: %s", path, len(have), strings.Join(extra, ", "))
	}
	return nil
}

// checkFinite reports the first parameter holding a NaN or an infinity,
// naming it and the element.
func checkFinite(path string, params *graph.Params) error {
	for _, p := range params.List() {
		at, value := -1, 0.0
		switch values := p.Value.Data().(type) {
		case []float32:
			if at = slices.IndexFunc(values, func(v float32) bool { return !finite(float64(v)) }); at >= 0 {
				value = float64(values[at])
			}
		case []float64:
			if at = slices.IndexFunc(values, func(v float64) bool { return !finite(v) }); at >= 0 {
				value = values[at]
			}
		}
		if at >= 0 {
			return errors.Errorf("models: %s: tensor %q holds %v at element %d (row-major); weights must be finite", path, p.Name, value, at)
		}
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
