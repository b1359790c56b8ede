package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
)

// setup is what the report's header states about a benchmark.
type setup struct {
	CPU            string     `json:"cpu"`
	NumCPU         int        `json:"nproc"`
	Platform       string     `json:"platform"`
	Go             string     `json:"go"`
	BuildTags      string     `json:"build_tags"`
	PyTorch        *torchInfo `json:"pytorch,omitempty"`
	PyTorchMissing string     `json:"pytorch_missing,omitempty"` // why PyTorch did not run
	Threads        int        `json:"threads"`
	Data           string     `json:"data"`
	TrainRows      string     `json:"train_rows"`
	TrainExamples  int        `json:"train_examples"`
	EvalRows       string     `json:"eval_rows,omitempty"`
	EvalExamples   int        `json:"eval_examples,omitempty"`
	Vocab          int        `json:"vocab"`
	Tokens         string     `json:"tokens,omitempty"` // how the data became tokens, when not basic_english
	Seed           uint64     `json:"seed"`
	Bucket         bool       `json:"bucket"`
	Repeats        int        `json:"repeats"`
	Steps          int        `json:"steps"` // the -steps limit, 0 for whole epochs
	Epochs         int        `json:"epochs,omitempty"`
	IdleWait       string     `json:"wait_idle"`
	Command        string     `json:"command"`

	CoreGFLOPS float64 `json:"core_gflops,omitempty"` // gornn's SGEMM at its best on one core, measured in the run
	PeakKernel string  `json:"peak_kernel,omitempty"` // the kernel and product that reached it
	PeakCores  int     `json:"peak_cores,omitempty"`  // the cores gornn uses: the peak is CoreGFLOPS times these

	TorchForced       *torchSetting `json:"torch_forced,omitempty"`           // PyTorch's setting for every run: -torch-setting, or -accuracy's default
	TorchVariants     []string      `json:"torch_variants,omitempty"`         // else the OpenBLAS builds the search tried,
	TorchSkipped      []string      `json:"torch_variants_skipped,omitempty"` // the builds it skipped, and why,
	TorchThreadCounts []int         `json:"torch_thread_counts,omitempty"`    // the OpenBLAS and torch thread counts it tried,
	TrialSteps        int           `json:"trial_steps,omitempty"`            // and the batches of each trial

	LatencyTokens int `json:"latency_tokens,omitempty"` // the latency mode's text
	Requests      int `json:"requests,omitempty"`       // its timed requests per run
}

// peakGFLOPS is the machine's peak for gornn: its SGEMM's best on one core
// times the cores it uses; 0 when not measured.
func (s setup) peakGFLOPS() float64 { return s.CoreGFLOPS * float64(s.PeakCores) }

// describeMachine fills in the machine, the toolchains and the options.
func describeMachine(o options) setup {
	s := setup{
		CPU: cpuModel(), NumCPU: runtime.NumCPU(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
		Go: runtime.Version(), BuildTags: "none", Threads: o.threads, Seed: o.seed, Bucket: o.bucket,
		Repeats: o.repeats, Steps: o.steps, IdleWait: o.idleWait.String(), Command: strings.Join(append([]string{"go run ./cmd/bench"}, o.args...), " "),
	}
	if o.accuracy {
		s.Repeats, s.Steps, s.Epochs = 1, 0, o.epochs
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, setting := range info.Settings {
			if setting.Key == "-tags" && setting.Value != "" {
				s.BuildTags = setting.Value
			}
		}
	}
	return s
}

// cpuModel returns the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	for sc := bufio.NewScanner(f); sc.Scan(); {
		if key, value, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown CPU"
}

// writeReport prints the header and the speed or accuracy table in
// Markdown.
func writeReport(w io.Writer, rep report, configs []benchConfig) {
	s := rep.Setup
	title := "training and inference speed"
	if rep.Accuracy != nil {
		title = "evaluation accuracy"
	}
	fmt.Fprintf(w, "## gornn vs PyTorch: %s\n\n", title)
	fmt.Fprintf(w, "- Machine: %s, %d CPUs (nproc), %s\n", s.CPU, s.NumCPU, s.Platform)
	fmt.Fprintf(w, "- gornn: %s, fused graphs, build tags: %s; %d workers, GOMAXPROCS=%d\n", s.Go, s.BuildTags, s.Threads, s.Threads)
	if s.PyTorch != nil {
		fmt.Fprintf(w, "- PyTorch: %s (Python %s), by default %s; ", s.PyTorch.Version, s.PyTorch.Python, s.PyTorch.BLAS)
		writeTorchSetup(w, s)
	} else {
		fmt.Fprintf(w, "- PyTorch not available: %s\n", strings.ReplaceAll(s.PyTorchMissing, "\n", " | "))
	}
	fmt.Fprintf(w, "- Data: %s, rows %s (%d examples)", s.Data, s.TrainRows, s.TrainExamples)
	if s.EvalRows != "" {
		fmt.Fprintf(w, " for training, rows %s (%d examples) for evaluation", s.EvalRows, s.EvalExamples)
	}
	tokens := "basic_english"
	if s.Tokens != "" {
		tokens = s.Tokens
	}
	fmt.Fprintf(w, "; %s, vocabulary %d tokens\n", tokens, s.Vocab)
	bucketing := "no bucketing"
	if s.Bucket {
		bucketing = "bucketed by length"
	}
	fmt.Fprintf(w, "- Batches: shuffled with seed %d, each padded to its longest row, %s; the same batches and initial weights on both sides; Adam, lr %g\n",
		s.Seed, bucketing, learningRate)
	if rep.Accuracy != nil {
		fmt.Fprintf(w, "- Run: %d epochs, evaluated after each; one run per side, each in its own process\n", s.Epochs)
	} else if rep.Speed != nil {
		measured := "every batch of one epoch after the first"
		if s.Steps > 0 {
			measured = fmt.Sprintf("at most %d batches (-steps) after the first", s.Steps)
		}
		fmt.Fprintf(w, "- Measured: %s, which is an untimed warm-up (gornn also compiles its graphs before timing); "+
			"each run in its own process, after waiting up to %s for the CPUs to be idle; %d repeats per side, alternating, gornn first on odd repeats; "+
			"median (min–max); tokens are real tokens, not padding\n",
			measured, s.IdleWait, s.Repeats)
	}
	if s.CoreGFLOPS > 0 {
		fmt.Fprintf(w, "- Peak: %.0f GFLOP/s, gornn's SGEMM at its best on one core, %s, measured in this run, times the %d cores gornn uses. "+
			"GFLOP/s counts the matrix products of the real tokens (input projections, recurrent products, final linear layer; "+
			"training 3 times the forward work, for the two gradients of each product)\n", s.peakGFLOPS(), s.PeakKernel, s.PeakCores)
	}
	fmt.Fprintf(w, "- Command: `%s`\n\n", s.Command)
	if rep.Accuracy != nil {
		writeAccuracy(w, rep.Accuracy, configs)
		return
	}
	if rep.Speed != nil {
		writeSpeed(w, rep.Speed, configs, s.peakGFLOPS())
	}
	if rep.Latency != nil {
		writeLatency(w, rep.Latency, s)
	}
	writeTrials(w, append(slices.Clone(rep.Speed), rep.Latency...))
}

// writeTorchSetup ends the PyTorch line of the header: the setting of
// every run, or how the search chose one per config and mode.
func writeTorchSetup(w io.Writer, s setup) {
	if s.TorchForced != nil {
		fmt.Fprintf(w, "every run with %s\n", s.TorchForced.describe())
		return
	}
	counts := fmt.Sprint(s.TorchThreadCounts)
	fmt.Fprintf(w, "for each config and mode, the fastest setting of a search (PyTorch setting, VARIANT:BLAS:TORCH): OpenBLAS build %v "+
		"(LD_LIBRARY_PATH=%s) × OPENBLAS_NUM_THREADS %s × torch.set_num_threads %s (OMP_NUM_THREADS the same), "+
		"each timed on the same %d batches after a warm-up (latency: every request), median of the batches' tokens/s",
		s.TorchVariants, variantDir("VARIANT"), counts, counts, s.TrialSteps)
	if len(s.TorchSkipped) > 0 {
		fmt.Fprintf(w, "; skipped: %s", strings.Join(s.TorchSkipped, "; "))
	}
	fmt.Fprintln(w)
}

// writeSpeed prints the speed table and, per config, the work measured and
// the check that both sides did the same work. peak is the machine's peak
// GFLOP/s, 0 when not measured.
func writeSpeed(w io.Writer, ms []measurement, configs []benchConfig, peak float64) {
	fmt.Fprintln(w, "| config | mode | gornn tokens/s | PyTorch tokens/s | gornn/PyTorch | gornn GFLOP/s (% of peak) | PyTorch GFLOP/s (% of peak) | PyTorch setting | "+
		"gornn ms/step | PyTorch ms/step | gornn peak RSS MiB | PyTorch peak RSS MiB | other load |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|")
	for _, m := range ms {
		g, p := m.Gornn, m.PyTorch
		ratio, pTokens, pFLOPs, pMS, pRSS := "—", "—", "—", "—", "—"
		if len(p) > 0 {
			var ratios []float64
			for i := range min(len(g), len(p)) {
				ratios = append(ratios, tokensPerSec(g[i])/tokensPerSec(p[i]))
			}
			ratio = spread(ratios, "%.2f")
			pTokens = spread(each(p, tokensPerSec), "%s")
			pFLOPs = utilization(p, peak)
			pMS = fmt.Sprintf("%.2f", median(each(p, msPerStep)))
			pRSS = fmt.Sprintf("%.0f", slices.Max(each(p, peakMiB)))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %.2f | %s | %.0f | %s | %.2f |\n", m.Config, m.Mode,
			spread(each(g, tokensPerSec), "%s"), pTokens, ratio, utilization(g, peak), pFLOPs, settingName(m),
			median(each(g, msPerStep)), pMS, slices.Max(each(g, peakMiB)), pRSS, otherLoad(m))
	}
	fmt.Fprintln(w, "\nGFLOP/s is the median over the repeats. Peak RSS is the largest of the repeats. Other load is the most CPUs that other processes kept busy, on average, "+
		"during one of the row's runs (from /proc/stat): well above 0 means the machine was shared and the row's numbers are disturbed.")
	fmt.Fprintln(w, "\nPer config, the work of each run and a check that both sides computed the same thing:")
	for _, c := range configs {
		fmt.Fprintf(w, "- %s: %s.", c.name, c)
		for _, m := range ms {
			if m.Config != c.name {
				continue
			}
			g := m.Gornn[0]
			fmt.Fprintf(w, " %s: %d batches, %s tokens (%.0f%% padding)", m.Mode, g.Steps, thousands(float64(g.Tokens)),
				100*(1-float64(g.Tokens)/float64(g.PaddedTokens)))
			switch {
			case len(m.PyTorch) == 0:
			case m.Mode == modeTrain:
				fmt.Fprintf(w, ", mean loss gornn %.4f, PyTorch %.4f", g.Loss, m.PyTorch[0].Loss)
			case c.tagger != nil:
				fmt.Fprintf(w, ", tokens tagged right gornn %d, PyTorch %d", g.Correct, m.PyTorch[0].Correct)
			default:
				fmt.Fprintf(w, ", rows predicted right gornn %d, PyTorch %d", g.Correct, m.PyTorch[0].Correct)
			}
			fmt.Fprintf(w, "; untimed setup gornn %.1f s", g.SetupSeconds)
			if len(m.PyTorch) > 0 {
				fmt.Fprintf(w, ", PyTorch %.1f s", m.PyTorch[0].SetupSeconds)
			}
			fmt.Fprint(w, ".")
		}
		fmt.Fprintln(w)
	}
}

// writeLatency prints the latency table: per config, the median and 90th
// percentile of the requests of all repeats on each side.
func writeLatency(w io.Writer, ms []measurement, s setup) {
	fmt.Fprintf(w, "\nLatency of one request: one %d-token text (batch 1), %d timed requests per run after a warm-up one, %d runs per side; "+
		"gornn through models.Classifier.PredictIDs (one goroutine), PyTorch forward and softmax in torch.inference_mode(); "+
		"median and 90th percentile over the requests of all runs:\n\n", s.LatencyTokens, s.Requests, s.Repeats)
	fmt.Fprintln(w, "| config | gornn median ms | gornn p90 ms | PyTorch median ms | PyTorch p90 ms | PyTorch/gornn (median) | PyTorch setting | other load |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|---|--:|")
	for _, m := range ms {
		g := requestMillis(m.Gornn)
		pMedian, pP90, ratio := "—", "—", "—"
		if len(m.PyTorch) > 0 {
			p := requestMillis(m.PyTorch)
			pMedian, pP90, ratio = fmt.Sprintf("%.3f", median(p)), fmt.Sprintf("%.3f", percentile(p, 90)), fmt.Sprintf("%.2f", median(p)/median(g))
		}
		fmt.Fprintf(w, "| %s | %.3f | %.3f | %s | %s | %s | %s | %.2f |\n", m.Config, median(g), percentile(g, 90), pMedian, pP90, ratio, settingName(m), otherLoad(m))
	}
}

// writeTrials lists, per config and mode, the PyTorch settings the search
// tried, fastest first.
func writeTrials(w io.Writer, ms []measurement) {
	said := false
	for _, m := range ms {
		if len(m.TorchTrials) == 0 {
			continue
		}
		if !said {
			fmt.Fprintln(w, "\nPyTorch settings tried (VARIANT:BLAS:TORCH, median tokens/s of the trial's batches), fastest first:")
			said = true
		}
		var tried []string
		for _, t := range m.TorchTrials {
			if t.Failed != "" {
				tried = append(tried, fmt.Sprintf("%v failed (%s)", t.torchSetting, strings.ReplaceAll(t.Failed, "\n", " | ")))
			} else {
				tried = append(tried, fmt.Sprintf("%v %s", t.torchSetting, thousands(t.TokensPerSec)))
			}
		}
		fmt.Fprintf(w, "- %s %s: %s\n", m.Config, m.Mode, strings.Join(tried, ", "))
	}
}

// settingName is the PyTorch setting of m's runs, "—" without PyTorch.
func settingName(m measurement) string {
	if m.TorchSetting == nil || len(m.PyTorch) == 0 {
		return "—"
	}
	return m.TorchSetting.String()
}

// otherLoad is the most CPUs other processes kept busy during one of m's
// runs.
func otherLoad(m measurement) float64 {
	return slices.Max(each(append(slices.Clone(m.Gornn), m.PyTorch...), func(r result) float64 { return r.OtherCPUs }))
}

// utilization formats the median GFLOP/s of rs and its share of peak,
// e.g. "47.3 (25%)"; without a peak, the GFLOP/s alone.
func utilization(rs []result, peak float64) string {
	g := median(each(rs, func(r result) float64 { return r.FLOPs / r.Seconds / 1e9 }))
	if peak <= 0 {
		return fmt.Sprintf("%.1f", g)
	}
	return fmt.Sprintf("%.1f (%.0f%%)", g, 100*g/peak)
}

// requestMillis returns the requests of every run of rs, in milliseconds.
func requestMillis(rs []result) []float64 {
	var ms []float64
	for _, r := range rs {
		for _, s := range r.BatchSeconds {
			ms = append(ms, 1000*s)
		}
	}
	return ms
}

// writeAccuracy prints the evaluation accuracy of both sides after each
// epoch, and the final differences.
func writeAccuracy(w io.Writer, ms []measurement, configs []benchConfig) {
	fmt.Fprintln(w, "| model | epoch | gornn accuracy | PyTorch accuracy | gornn − PyTorch (points) |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|")
	for _, m := range ms {
		g := m.Gornn[0]
		for e, acc := range g.EvalAcc {
			pAcc, diff := "—", "—"
			if len(m.PyTorch) > 0 && e < len(m.PyTorch[0].EvalAcc) {
				p := m.PyTorch[0].EvalAcc[e]
				pAcc, diff = fmt.Sprintf("%.2f%%", 100*p), fmt.Sprintf("%+.2f", 100*(acc-p))
			}
			fmt.Fprintf(w, "| %s | %d | %.2f%% | %s | %s |\n", m.Config, e+1, 100*acc, pAcc, diff)
		}
	}
	fmt.Fprintln(w)
	for i, m := range ms {
		g := m.Gornn[0]
		fmt.Fprintf(w, "- %s: %s. After epoch %d: gornn %.2f%%", m.Config, configs[i], len(g.EvalAcc), 100*g.EvalAcc[len(g.EvalAcc)-1])
		if len(m.PyTorch) > 0 {
			p := m.PyTorch[0]
			fmt.Fprintf(w, ", PyTorch %.2f%%, difference %+.2f points", 100*p.EvalAcc[len(p.EvalAcc)-1],
				100*(g.EvalAcc[len(g.EvalAcc)-1]-p.EvalAcc[len(p.EvalAcc)-1]))
		}
		fmt.Fprintf(w, ". Training time: gornn %.1f s", g.Seconds)
		if len(m.PyTorch) > 0 {
			fmt.Fprintf(w, ", PyTorch %.1f s", m.PyTorch[0].Seconds)
		}
		fmt.Fprintln(w, ".")
	}
}

func tokensPerSec(r result) float64 { return float64(r.Tokens) / r.Seconds }
func msPerStep(r result) float64    { return 1000 * r.Seconds / float64(r.Steps) }
func peakMiB(r result) float64      { return mib(r.PeakRSSKiB) }

// each applies f to every result.
func each(rs []result, f func(result) float64) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

// median returns the median of xs (the mean of the middle two for an even
// count).
func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// percentile returns the p-th percentile of xs by the nearest-rank
// method: the smallest value that at least p% of xs do not exceed.
func percentile(xs []float64, p float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[max(rank, 1)-1]
}

// spread formats "median (min–max)", each number with format; "%s" writes
// them with thousands separators. A single value has no range.
func spread(xs []float64, format string) string {
	f := func(x float64) string {
		if format == "%s" {
			return thousands(x)
		}
		return fmt.Sprintf(format, x)
	}
	if len(xs) == 1 {
		return f(xs[0])
	}
	return fmt.Sprintf("%s (%s–%s)", f(median(xs)), f(slices.Min(xs)), f(slices.Max(xs)))
}

// thousands writes x rounded to an integer with commas between thousands:
// 1234567.8 -> "1,234,568".
func thousands(x float64) string {
	digits := fmt.Sprintf("%d", int64(math.Round(math.Abs(x))))
	var b strings.Builder
	if x < 0 && digits != "0" {
		b.WriteByte('-')
	}
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return b.String()
}
