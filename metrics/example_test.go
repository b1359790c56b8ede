package metrics_test

import (
	"fmt"

	"github.com/gornn/gornn/metrics"
)

// ExampleConfusion counts 8 predictions over 3 classes, one of which is
// never predicted.
func ExampleConfusion() {
	m := metrics.NewConfusion(3)
	_ = m.SetNames([]string{"world", "sports", "tech"})
	_ = m.AddBatch(
		[]int{0, 0, 0, 1, 1, 1, 2, 2}, // true labels
		[]int{0, 0, 1, 1, 1, 1, 0, 1}, // predictions
	)
	fmt.Print(m)
	fmt.Printf("F1 per class: %.3f %.3f %.3f\n", m.F1(0), m.F1(1), m.F1(2))
	// Output:
	// true\pred world sports  tech recall
	// world         2      1     0  0.667
	// sports        0      3     0  1.000
	// tech          1      1     0  0.000
	// precision 0.667  0.600 0.000
	// accuracy 0.625, macro F1 0.472, 8 examples
	// F1 per class: 0.667 0.750 0.000
}
