package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestSpeedTable checks the Markdown speed table against a golden text:
// medians with min–max over the repeats, per-repeat ratios, GFLOP/s with
// their share of the peak, PyTorch's setting, the largest peak RSS and
// other load, and a row without PyTorch.
func TestSpeedTable(t *testing.T) {
	run := func(tokens int, seconds float64, steps int, rssKiB int64, other float64) result {
		return result{Steps: steps, Tokens: tokens, PaddedTokens: 2 * tokens, Seconds: seconds, PeakRSSKiB: rssKiB, OtherCPUs: other, Loss: 1.25, Correct: 7,
			FLOPs: 1e11}
	}
	ms := []measurement{
		{Config: "lstm", Mode: modeTrain, TorchSetting: &torchSetting{variantOpenMP, 2, 1},
			Gornn:   []result{run(100000, 2, 100, 51200, 0), run(100000, 1, 100, 52224, 0.02), run(100000, 4, 100, 50176, 0)},
			PyTorch: []result{run(100000, 4, 100, 307200, 0.5), run(100000, 4, 100, 306176, 0), run(100000, 4, 100, 305152, 0)}},
		{Config: "lstm", Mode: modeInfer, Gornn: []result{run(1234567, 1, 10, 1024, 0)}},
	}
	var b bytes.Buffer
	writeSpeed(&b, ms, []benchConfig{speedConfigs[1]}, 200)
	want := `| config | mode | gornn tokens/s | PyTorch tokens/s | gornn/PyTorch | gornn GFLOP/s (% of peak) | PyTorch GFLOP/s (% of peak) | PyTorch setting | gornn ms/step | PyTorch ms/step | gornn peak RSS MiB | PyTorch peak RSS MiB | other load |
|---|---|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|
| lstm | train | 50,000 (25,000–100,000) | 25,000 (25,000–25,000) | 2.00 (1.00–4.00) | 50.0 (25%) | 25.0 (12%) | openmp:2:1 | 20.00 | 40.00 | 51 | 300 | 0.50 |
| lstm | infer | 1,234,567 | — | — | 100.0 (50%) | — | — | 100.00 | — | 1 | — | 0.00 |
`
	got := b.String()
	if !strings.HasPrefix(got, want) {
		t.Errorf("table:\n%s\nwant it to start with:\n%s", got, want)
	}
	checkContains(t, "the notes", got,
		"- lstm: LSTM h32, b16, e64, last, packed.",
		"train: 100 batches, 100,000 tokens (50% padding), mean loss gornn 1.2500, PyTorch 1.2500",
		"infer: 10 batches, 1,234,567 tokens (50% padding); untimed setup gornn 0.0 s.")
}

// checkContains reports each of lines that text, called what, lacks.
func checkContains(t *testing.T, what, text string, lines ...string) {
	t.Helper()
	for _, line := range lines {
		if !strings.Contains(text, line) {
			t.Errorf("%s lacks %q:\n%s", what, line, text)
		}
	}
}

// TestLatencyTable checks the latency table: the median and 90th
// percentile over the requests of all runs, the ratio of the medians, and
// a row without PyTorch.
func TestLatencyTable(t *testing.T) {
	requests := func(ms ...float64) result {
		r := result{OtherCPUs: 0.25}
		for _, m := range ms {
			r.BatchSeconds = append(r.BatchSeconds, m/1000)
		}
		return r
	}
	ms := []measurement{
		{Config: "lstm", Mode: modeLatency, TorchSetting: &torchSetting{variantPthread, 1, 1},
			Gornn:   []result{requests(1, 2, 3, 4, 5), requests(6, 7, 8, 9, 10)},
			PyTorch: []result{requests(10, 20, 30, 40, 50), requests(60, 70, 80, 90, 100)}},
		{Config: "bilstm", Mode: modeLatency, Gornn: []result{requests(2.5)}},
	}
	var b bytes.Buffer
	writeLatency(&b, ms, setup{LatencyTokens: 40, Requests: 5, Repeats: 2})
	checkContains(t, "the latency table", b.String(),
		"one 40-token text (batch 1), 5 timed requests per run after a warm-up one, 2 runs per side",
		"| lstm | 5.500 | 9.000 | 55.000 | 90.000 | 10.00 | pthread:1:1 | 0.25 |",
		"| bilstm | 2.500 | 2.500 | — | — | — | — | 0.25 |")
}

// TestTrialsList checks the list of the settings tried, failures
// included, and that measurements without a search are left out.
func TestTrialsList(t *testing.T) {
	ms := []measurement{
		{Config: "gru", Mode: modeTrain, TorchTrials: []trial{
			{torchSetting: torchSetting{variantOpenMP, 2, 2}, TokensPerSec: 36885.4},
			{torchSetting: torchSetting{variantPthread, 2, 2}, TokensPerSec: 10900},
			{torchSetting: torchSetting{variantPthread, 1, 1}, Failed: "exit status 1\nTraceback"},
		}},
		{Config: "gru", Mode: modeInfer},
	}
	var b bytes.Buffer
	writeTrials(&b, ms)
	want := "\nPyTorch settings tried (VARIANT:BLAS:TORCH, median tokens/s of the trial's batches), fastest first:\n" +
		"- gru train: openmp:2:2 36,885, pthread:2:2 10,900, pthread:1:1 failed (exit status 1 | Traceback)\n"
	if b.String() != want {
		t.Errorf("trials:\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	writeTrials(&b, ms[1:])
	if b.Len() != 0 {
		t.Errorf("without a search: %q, want nothing", b.String())
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
	checkContains(t, "the accuracy report", b.String(),
		"| rnn | 1 | 50.00% | 50.00% | +0.00 |",
		"| rnn | 2 | 75.25% | 75.00% | +0.25 |",
		"- rnn: RNN tanh h32, b16, e64, mean_all, padded. After epoch 2: gornn 75.25%, PyTorch 75.00%, difference +0.25 points. Training time: gornn 12.0 s, PyTorch 30.0 s.")
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
	for _, c := range []struct {
		xs   []float64
		p    float64
		want float64
	}{
		{[]float64{7}, 90, 7},
		{[]float64{5, 1, 4, 2, 3}, 90, 5}, // rank ceil(4.5) = 5
		{[]float64{5, 1, 4, 2, 3}, 50, 3},
		{[]float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 90, 9},
		{[]float64{1, 2}, 0, 1},
	} {
		if got := percentile(c.xs, c.p); got != c.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", c.xs, c.p, got, c.want)
		}
	}
}
