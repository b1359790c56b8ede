package models

import (
	"fmt"
	"iter"
	"slices"

	"github.com/gornn/gornn/graph"
)

// TensorSpec is the name and shape of one parameter tensor of a model.
type TensorSpec struct {
	Name  string
	Shape []int
}

// Tensors lists the parameters New declares for cfg, in declaration order,
// with their PyTorch state_dict names and shapes:
//
//	embedding.weight                   [V, E]
//	rnn.weight_ih_l<k>[_reverse]       [G*H, I]  I = E for layer 0, D*H above it
//	rnn.weight_hh_l<k>[_reverse]       [G*H, H]
//	rnn.bias_ih_l<k>[_reverse]         [G*H]
//	rnn.bias_hh_l<k>[_reverse]         [G*H]
//	fc.weight                          [C, F]
//	fc.bias                            [C]
//
// for G gates of the cell, D directions and F = OutputWidth(). It computes
// them from cfg alone, allocating nothing but the list, so that Load can
// check a weights file's header before any parameter exists. A zero
// NumLayers counts as 1; cfg should be within the limits Validate checks,
// which bound the list to 3 + 8*MaxNumLayers entries.
func (cfg Config) Tensors() []TensorSpec { return slices.Collect(cfg.tensors()) }

// ParameterCount returns the number of learnable scalars of a model for
// cfg, the total size of Tensors, without listing them.
func (cfg Config) ParameterCount() int64 { return countParameters(cfg.tensors()) }

// tensors yields the entries of Tensors.
func (cfg Config) tensors() iter.Seq[TensorSpec] {
	return func(yield func(TensorSpec) bool) {
		if !yield(TensorSpec{"embedding.weight", []int{cfg.VocabSize, cfg.EmbedDim}}) {
			return
		}
		for spec := range recurrentTensors("rnn", cfg.Recurrent()) {
			if !yield(spec) {
				return
			}
		}
		classes := cfg.NumClasses
		if classes == 0 {
			classes = len(cfg.Labels)
		}
		if yield(TensorSpec{"fc.weight", []int{classes, cfg.OutputWidth()}}) {
			yield(TensorSpec{"fc.bias", []int{classes}})
		}
	}
}

// recurrentTensors yields the parameters of a recurrent stack called name,
// PyTorch's "<name>.weight_ih_l<k>[_reverse]" and the like, layer by layer
// and direction by direction (a zero NumLayers counts as 1).
func recurrentTensors(name string, rc graph.RecurrentConfig) iter.Seq[TensorSpec] {
	return func(yield func(TensorSpec) bool) {
		directions := 1
		if rc.Bidirectional {
			directions = 2
		}
		gh := rc.Cell.Gates() * rc.HiddenSize
		for layer := range max(rc.NumLayers, 1) {
			in := rc.InputSize
			if layer > 0 {
				in = directions * rc.HiddenSize
			}
			for dir := range directions {
				suffix := fmt.Sprintf("_l%d", layer)
				if dir == 1 {
					suffix += "_reverse"
				}
				for _, spec := range []TensorSpec{
					{name + ".weight_ih" + suffix, []int{gh, in}},
					{name + ".weight_hh" + suffix, []int{gh, rc.HiddenSize}},
					{name + ".bias_ih" + suffix, []int{gh}},
					{name + ".bias_hh" + suffix, []int{gh}},
				} {
					if !yield(spec) {
						return
					}
				}
			}
		}
	}
}
