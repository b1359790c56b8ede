package graph

import (
	"math/rand/v2"

	"github.com/pkg/errors"
)

// RNG is gornn's seeded random source (PCG). Every random choice in gornn
// (initial weights, dropout masks, shuffling) draws from an RNG, so one seed
// fixes a whole run. Its state can be saved and restored to resume a run
// exactly.
type RNG struct {
	src *rand.PCG
	*rand.Rand
}

// NewRNG returns a source seeded by seed.
func NewRNG(seed uint64) *RNG {
	src := rand.NewPCG(seed, seed^rngStream)
	return &RNG{src: src, Rand: rand.New(src)}
}

// rngStream derives PCG's second seed word from the first.
const rngStream = 0x9e3779b97f4a7c15

// MarshalBinary returns the source's state.
func (r *RNG) MarshalBinary() ([]byte, error) { return r.src.MarshalBinary() }

// UnmarshalBinary restores a state returned by MarshalBinary.
func (r *RNG) UnmarshalBinary(state []byte) error {
	return errors.Wrap(r.src.UnmarshalBinary(state), "graph: restoring RNG state")
}

// Seed resets the source to the state NewRNG(seed) starts from.
func (r *RNG) Seed(seed uint64) { r.src.Seed(seed, seed^rngStream) }
