package train

import (
	"fmt"
	"runtime"
	"strings"
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

// BenchmarkOptimizerStep times one step of each optimizer over benchModel
// (the update and the zeroing of the gradients), with one worker and with
// one per CPU, and reports ns per parameter element. Every gradient is
// nonzero; before each step the gradients are restored, untimed, since
// Step zeroes them. The configurations are everyOptimizer's, plus Adam
// without weight decay (the default), whose sparse variant leaves 15
// embedding rows in 16 untouched, as early in training: Step skips them.
func BenchmarkOptimizerStep(b *testing.B) {
	configs := append([]struct {
		name string
		cfg  OptimizerConfig
	}{{"adam-default", OptimizerConfig{}}}, everyOptimizer...)
	for _, o := range configs {
		name := strings.TrimSuffix(o.name, "-default")
		for _, sparse := range []bool{false, true} {
			if sparse && o.name != "adam-default" {
				continue
			}
			for _, workers := range []int{1, runtime.NumCPU()} {
				b.Run(fmt.Sprintf("%s/sparse=%v/workers=%d", o.name, sparse, workers), func(b *testing.B) {
					ps := benchModel(b)
					if sparse {
						g := ps.Get("embedding.weight").Grad.Float32s()
						for i := range g {
							if (i/64)%16 != 0 {
								g[i] = 0
							}
						}
					}
					grads := make([][]float32, 0, len(ps.List()))
					for _, p := range ps.List() {
						grads = append(grads, append([]float32(nil), p.Grad.Float32s()...))
					}
					cfg := o.cfg
					cfg.Workers = workers
					opt, err := NewOptimizer(name, ps, cfg)
					if err != nil {
						b.Fatal(err)
					}
					b.ReportAllocs()
					b.SetBytes(int64(4 * ps.Count()))
					for b.Loop() {
						b.StopTimer()
						for i, p := range ps.List() {
							copy(p.Grad.Float32s(), grads[i])
						}
						b.StartTimer()
						if err := opt.Step(1e-3); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(ps.Count()), "ns/elem")
				})
			}
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
