package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestSpeedTable checks the Markdown speed table against a golden text:
// medians with min–max over the repeats, per-repeat ratios, the largest
// peak RSS and other load, and a row without PyTorch.
func TestSpeedTable(t *testing.T) {
	run := func(tokens int, seconds float64, steps int, rssKiB int64, other float64) result {
		return result{Steps: steps, Tokens: tokens, PaddedTokens: 2 * tokens, Seconds: seconds, PeakRSSKiB: rssKiB, OtherCPUs: other, Loss: 1.25, Correct: 7}
	}
	ms := []measurement{
		{Config: "lstm", Mode: modeTrain,
			Gornn:   []result{run(100000, 2, 100, 51200, 0), run(100000, 1, 100, 52224, 0.02), run(100000, 4, 100, 50176, 0)},
			PyTorch: []result{run(100000, 4, 100, 307200, 0.5), run(100000, 4, 100, 306176, 0), run(100000, 4, 100, 305152, 0)}},
		{Config: "lstm", Mode: modeInfer, Gornn: []result{run(1234567, 1, 10, 1024, 0)}},
	}
	var b bytes.Buffer
	writeSpeed(&b, ms, []benchConfig{speedConfigs[1]})
	want := `| config | mode | gornn tokens/s | PyTorch tokens/s | gornn/PyTorch | gornn ms/step | PyTorch ms/step | gornn peak RSS MiB | PyTorch peak RSS MiB | other load |
|---|---|--:|--:|--:|--:|--:|--:|--:|--:|
| lstm | train | 50,000 (25,000–100,000) | 25,000 (25,000–25,000) | 2.00 (1.00–4.00) | 20.00 | 40.00 | 51 | 300 | 0.50 |
| lstm | infer | 1,234,567 | — | — | 100.00 | — | 1 | — | 0.00 |
`
	got := b.String()
	if !strings.HasPrefix(got, want) {
		t.Errorf("table:\n%s\nwant it to start with:\n%s", got, want)
	}
	for _, line := range []string{
		"- lstm: LSTM h32, b16, e64, last, packed.",
		"train: 100 batches, 100,000 tokens (50% padding), mean loss gornn 1.2500, PyTorch 1.2500",
		"infer: 10 batches, 1,234,567 tokens (50% padding); untimed setup gornn 0.0 s.",
	} {
		if !strings.Contains(got, line) {
			t.Errorf("the notes lack %q:\n%s", line, got)
		}
	}
}

// TestAccuracyTable checks the per-epoch accuracy table and the final
// difference in points.
func TestAccuracyTable(t *testing.T) {
	ms := []measurement{{Config: "rnn", Mode: modeAccuracy,
		Gornn:   []result{{EvalAcc: []float64{0.5, 0.7525}, Seconds: 12}},
		PyTorch: []result{{EvalAcc: []float64{0.5, 0.75}, Seconds: 30}}}}
	var b bytes.Buffer
	writeAccuracy(&b, ms, accuracyConfigs[:1])
	for _, line := range []string{
		"| rnn | 1 | 50.00% | 50.00% | +0.00 |",
		"| rnn | 2 | 75.25% | 75.00% | +0.25 |",
		"- rnn: RNN tanh h32, b16, e64, mean_all, padded. After epoch 2: gornn 75.25%, PyTorch 75.00%, difference +0.25 points. Training time: gornn 12.0 s, PyTorch 30.0 s.",
	} {
		if !strings.Contains(b.String(), line) {
			t.Errorf("the accuracy report lacks %q:\n%s", line, b.String())
		}
	}
}

func TestNumbers(t *testing.T) {
	for _, c := range []struct {
		x    float64
		want string
	}{{0, "0"}, {999.4, "999"}, {999.5, "1,000"}, {1234567.8, "1,234,568"}, {-4321, "-4,321"}} {
		if got := thousands(c.x); got != c.want {
			t.Errorf("thousands(%v) = %q, want %q", c.x, got, c.want)
		}
	}
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median of 3, 1, 2 = %v", got)
	}
	if got := median([]float64{4, 1, 2, 3}); got != 2.5 {
		t.Errorf("median of 4, 1, 2, 3 = %v", got)
	}
	if got := spread([]float64{1.5, 1, 3}, "%.2f"); got != "1.50 (1.00–3.00)" {
		t.Errorf("spread = %q", got)
	}
}
