package vecmath_test

import (
	"fmt"

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
