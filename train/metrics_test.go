package train

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/gornn/gornn/metrics"
)

func TestEpochMetricsJSON(t *testing.T) {
	tests := []struct {
		name string
		m    EpochMetrics
		want string
	}{
		{"with validation", EpochMetrics{Epoch: 2, Step: 40, TrainLoss: 0.5, Train: metrics.Scores{"accuracy": 0.75},
			ValLoss: 0.625, Val: metrics.Scores{"accuracy": 0.7, "macro_f1": 0.69},
			ValDetails: map[string]any{"confusion": []any{[]any{3.0, 1.0}, []any{2.0, 4.0}}}, Objective: "accuracy",
			LR: 1e-3, TokensPerSec: 12345.5, Seconds: 3.25},
			`{"epoch":2,"step":40,"train_loss":0.5,"train":{"accuracy":0.75},"val_loss":0.625,` +
				`"val":{"accuracy":0.7,"macro_f1":0.69},"val_details":{"confusion":[[3,1],[2,4]]},"objective":"accuracy",` +
				`"lr":0.001,"tokens_per_sec":12345.5,"seconds":3.25}`},
		{"diverged, no validation", EpochMetrics{Epoch: 1, Step: 20, TrainLoss: math.NaN(), Train: metrics.Scores{"accuracy": 0.5},
			Objective: "loss", LR: math.Inf(1)},
			`{"epoch":1,"step":20,"train_loss":null,"train":{"accuracy":0.5},"val_loss":0,"objective":"loss",` +
				`"lr":null,"tokens_per_sec":0,"seconds":0}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := json.Marshal(tt.m)
			if err != nil {
				t.Fatal(err)
			}
			if string(data) != tt.want {
				t.Errorf("JSON\n %s\nwant\n %s", data, tt.want)
			}
			var back EpochMetrics
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatal(err)
			}
			if !sameMetrics(back, tt.m) {
				t.Errorf("read back %+v, want %+v", back, tt.m)
			}
			if back.HasValidation() != (tt.m.Val != nil) {
				t.Errorf("HasValidation() = %v", back.HasValidation())
			}
		})
	}
}

// sameMetrics compares metrics, NaN equal to NaN and ±Inf read back as NaN.
func sameMetrics(got, want EpochMetrics) bool {
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	return string(a) == string(b)
}
