package vecopt_test

import (
	"fmt"

	"github.com/gornn/gornn/train/internal/vecopt"
)

// ExampleAdam_Update takes the first Adam step (lr 0.1, PyTorch's default
// betas and eps) on two parameters: each moves by about lr against the
// sign of its gradient, and the gradients are zeroed.
func ExampleAdam_Update() {
	p := []float32{1, -2}
	g := []float32{0.5, -0.25}
	m, v := make([]float32, 2), make([]float32, 2)
	k := vecopt.Adam{
		Beta1: 0.9, Beta2: 0.999,
		OneMinusBeta1: float32(1 - 0.9), OneMinusBeta2: float32(1 - 0.999),
		Eps:                 1e-8,
		BiasCorrection2Sqrt: float32(0.0316227766016838), // sqrt(1 - 0.999)
		NegStepSize:         float32(-0.1 / (1 - 0.9)),
	}
	k.Update(p, g, m, v)
	fmt.Println(p, g)
	// Output:
	// [0.90000004 -1.9] [0 0]
}
