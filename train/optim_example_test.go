package train_test

import (
	"fmt"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/train"
	"gorgonia.org/tensor"
)

// ExampleNewOptimizer takes one SGD step with momentum and one Adam step on
// a two-element float32 parameter; PyTorch gives the same float32 values,
// 0.90000004 included. Step also zeroes the gradients, ready for the next
// backward pass.
func ExampleNewOptimizer() {
	for _, name := range []string{"sgd", "adam"} {
		params, _ := graph.NewParams(tensor.Float32, 1)
		p, _ := params.Add("w", tensor.Shape{2}, graph.Zeros)
		_ = params.SetValues("w", tensor.Shape{2}, []float64{1, -2})
		copy(p.Grad.Float32s(), []float32{0.5, -0.25})

		cfg := train.OptimizerConfig{}
		if name == "sgd" {
			cfg.Momentum = 0.9
		}
		opt, err := train.NewOptimizer(name, params, cfg)
		if err != nil {
			fmt.Println(err)
			return
		}
		if err := opt.Step(0.1); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(opt.Name(), p.Value.Float32s(), opt.State().Names(), "grad", p.Grad.Float32s())
	}
	// Output:
	// sgd [0.95 -1.975] [momentum_buffer/w] grad [0 0]
	// adam [0.90000004 -1.9] [exp_avg/w exp_avg_sq/w] grad [0 0]
}

// ExampleClipGradNorm rescales gradients whose global norm, 5, exceeds 1.
func ExampleClipGradNorm() {
	params, _ := graph.NewParams(tensor.Float64, 1)
	a, _ := params.Add("a", tensor.Shape{1}, graph.Zeros)
	b, _ := params.Add("b", tensor.Shape{1}, graph.Zeros)
	a.Grad.Float64s()[0], b.Grad.Float64s()[0] = 3, 4

	norm := train.ClipGradNorm(params, 1)
	fmt.Printf("norm %.1f, clipped %.4f %.4f\n", norm, a.Grad.Float64s()[0], b.Grad.Float64s()[0])
	_, finite := train.GradsFinite(params)
	fmt.Println("finite:", finite)
	// Output:
	// norm 5.0, clipped 0.6000 0.8000
	// finite: true
}

// ExampleParseSchedule prints a warm-up then cosine learning rate over a
// 10-step run.
func ExampleParseSchedule() {
	sched, _ := train.ParseSchedule("warmup_cosine:warmup=2")
	for step := range 10 {
		fmt.Printf("%.3f ", sched.LR(0.1, step, 5, 10))
	}
	fmt.Println()
	// Output:
	// 0.050 0.100 0.100 0.096 0.085 0.069 0.050 0.031 0.015 0.004
}
