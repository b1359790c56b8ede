package vecmath_test

import (
	"fmt"
	"math"
	"slices"

	"github.com/gornn/gornn/graph/internal/vecmath"
)

// Example applies both activations in place.
func Example() {
	x := []float32{-100, -1, 0, 1, 100}
	y := append([]float32(nil), x...)
	vecmath.Sigmoid32(x)
	vecmath.Tanh32(y)
	fmt.Println(x)
	fmt.Println(y)
	// Output:
	// [0 0.26894143 0.5 0.7310586 1]
	// [-1 -0.7615942 0 0.7615942 1]
}

// ExampleExp32 shows the clamping: 0 at the bottom, +Inf at the top.
func ExampleExp32() {
	x := []float32{-100, -1, 0, 1, 88, 100}
	vecmath.Exp32(x)
	fmt.Println(x)
	// Output:
	// [0 0.36787945 1 2.7182817 1.6516363e+38 +Inf]
}

// ExampleExpSum32 turns a row of logits into softmax probabilities and
// the row's log-sum-exp, the cross-entropy's normaliser.
func ExampleExpSum32() {
	row := []float32{1, 2, 3, 4, float32(math.Inf(-1))} // the last one masked
	shift := slices.Max(row)
	sum := vecmath.ExpSum32(row, shift)
	for i := range row {
		row[i] /= sum
	}
	fmt.Println(row)
	fmt.Printf("log-sum-exp %.6f\n", float64(shift)+math.Log(float64(sum)))
	// Output:
	// [0.032058604 0.08714432 0.23688284 0.6439143 0]
	// log-sum-exp 4.440190
}
