package datasets

import (
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
)

// Streams of the PCG generator, one per use, so that the same seed drives
// unrelated random choices.
const (
	splitStream   = 0x5d1f_0a3c_e2b4_7961
	batchStream   = 0x9b3e_51c7_04d8_a26f
	builtinStream = 0x3a7c_e915_6f20_d4b8
)

// Split divides ds into a training and a validation part, stratified by
// label: round(valFraction * n_c) of the n_c examples of each class c go to
// validation, chosen by a shuffle seeded with seed (math/rand/v2 PCG), so
// the same seed gives the same split bit for bit. Both parts keep the
// examples in their source order and share ds's classes.
//
// It is an error when valFraction is not in (0, 1) or when a class would
// have no training or no validation example (a class with too few, or no,
// examples).
func Split(ds *Dataset, valFraction float64, seed uint64) (train, val *Dataset, err error) {
	if !(valFraction > 0 && valFraction < 1) {
		return nil, nil, errors.Errorf("split %s: validation fraction %v, want 0 < f < 1", ds.Path, valFraction)
	}
	byClass := make([][]int, len(ds.Classes))
	for i, ex := range ds.Examples {
		if ex.Label < 0 || ex.Label >= len(ds.Classes) {
			return nil, nil, errors.Errorf("split %s: label %d is not a class index (have %d classes)", ds.where(i), ex.Label, len(ds.Classes))
		}
		byClass[ex.Label] = append(byClass[ex.Label], i)
	}
	rng := rand.New(rand.NewPCG(seed, splitStream))
	inVal := make([]bool, len(ds.Examples))
	for class, members := range byClass {
		n := len(members)
		nVal := int(math.Round(valFraction * float64(n)))
		if nVal == 0 || nVal == n {
			return nil, nil, errors.Errorf("split %s: class %q has %d examples, too few for a validation fraction of %v (a part would have none)",
				ds.Path, ds.Classes[class], n, valFraction)
		}
		rng.Shuffle(n, func(i, j int) { members[i], members[j] = members[j], members[i] })
		for _, i := range members[:nVal] {
			inVal[i] = true
		}
	}
	var trainExamples, valExamples []Example
	for i, ex := range ds.Examples {
		if inVal[i] {
			valExamples = append(valExamples, ex)
		} else {
			trainExamples = append(trainExamples, ex)
		}
	}
	return ds.derive(trainExamples), ds.derive(valExamples), nil
}
