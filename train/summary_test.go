package train

import (
	"math"
	"testing"

	"github.com/gornn/gornn/metrics"
)

func TestEpochSummary(t *testing.T) {
	cases := []struct {
		name string
		m    EpochMetrics
		want string
	}{
		{"classifier with validation", EpochMetrics{
			Epoch: 2, TrainLoss: 0.40123, Train: metrics.Scores{"macro_f1": 0.819, "accuracy": 0.82314},
			ValLoss: 0.463, Val: metrics.Scores{"accuracy": 0.795, "macro_f1": 0.79114}, Seconds: 2.6,
		}, "epoch 2/5 - 2.6s - loss: 0.4012 - accuracy: 0.8231 - macro_f1: 0.8190 - val_loss: 0.4630 - val_accuracy: 0.7950 - val_macro_f1: 0.7911"},
		{"no validation", EpochMetrics{Epoch: 5, TrainLoss: 1, Train: metrics.Scores{"accuracy": 0.5}, Seconds: 61},
			"epoch 5/5 - 1m1s - loss: 1.0000 - accuracy: 0.5000"},
		{"diverged", EpochMetrics{Epoch: 1, TrainLoss: math.NaN(), Val: metrics.Scores{}, ValLoss: math.Inf(1), Seconds: 0.0431},
			"epoch 1/5 - 43ms - loss: NaN - val_loss: +Inf"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := EpochSummary(c.m, 5); got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}
