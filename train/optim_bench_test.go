package train

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/gornn/gornn/graph"
	"gorgonia.org/tensor"
)

// benchModel registers the parameters of an embedding (20000×64) -> LSTM
// (H=128) -> linear (4 classes) classifier: about 1.38M float32s.
func benchModel(b *testing.B) *graph.Params {
	ps, err := graph.NewParams(tensor.Float32, 1)
	if err != nil {
		b.Fatal(err)
	}
	shapes := []struct {
		name  string
		shape tensor.Shape
	}{
		{"embedding.weight", tensor.Shape{20000, 64}},
		{"rnn.weight_ih_l0", tensor.Shape{512, 64}},
		{"rnn.weight_hh_l0", tensor.Shape{512, 128}},
		{"rnn.bias_ih_l0", tensor.Shape{512}},
		{"rnn.bias_hh_l0", tensor.Shape{512}},
		{"fc.weight", tensor.Shape{4, 128}},
		{"fc.bias", tensor.Shape{4}},
	}
	for _, s := range shapes {
		p, err := ps.Add(s.name, s.shape, graph.Normal(0.1))
		if err != nil {
			b.Fatal(err)
		}
		randomGrad(p, ps.RNG())
	}
	return ps
}

// BenchmarkOptimizerStep times one step of each optimizer over benchModel,
// with one worker and with one per CPU.
func BenchmarkOptimizerStep(b *testing.B) {
	for _, o := range everyOptimizer {
		for _, workers := range []int{1, runtime.NumCPU()} {
			b.Run(fmt.Sprintf("%s/workers=%d", o.name, workers), func(b *testing.B) {
				ps := benchModel(b)
				cfg := o.cfg
				cfg.Workers = workers
				opt, err := NewOptimizer(o.name, ps, cfg)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.SetBytes(int64(4 * ps.Count()))
				for b.Loop() {
					if err := opt.Step(1e-3); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkClipGradNorm times clipping the gradients of benchModel.
func BenchmarkClipGradNorm(b *testing.B) {
	ps := benchModel(b)
	b.ReportAllocs()
	b.SetBytes(int64(4 * ps.Count()))
	for b.Loop() {
		ClipGradNorm(ps, 1e9) // a no-op scale, so the gradients stay put
	}
}
