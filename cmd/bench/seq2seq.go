package main

import (
	"embed"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/decode"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/metrics"
	"github.com/gornn/gornn/models"
	"github.com/pkg/errors"
)

// seq2seqScripts are the PyTorch side of the sequence-to-sequence
// benchmark.
//
//go:embed torch_seq2seq.py gornn_seq2seq.py gornn_torch.py torch_bench.py
var seq2seqScripts embed.FS

// s2sOptions are the command line of -task seq2seq.
type s2sOptions struct {
	data              string // the CMUdict split's folder
	trainPairs, words int    // 0: all
	modes             []string
	accuracy          bool
	epochs, repeats   int
	steps, threads    int
	batch, beam       int
	embed, hidden     int
	seed              uint64
	torch             torchSetting
	python, jsonOut   string
	workdir, model    string
	idleWait          time.Duration
	args              []string
}

// taskArg returns the value of a -task flag among args ("" when absent).
func taskArg(args []string) string {
	for i, a := range args {
		switch {
		case (a == "-task" || a == "--task") && i+1 < len(args):
			return args[i+1]
		case strings.HasPrefix(a, "-task="), strings.HasPrefix(a, "--task="):
			return a[strings.Index(a, "=")+1:]
		}
	}
	return ""
}

// runSeq2Seq is the command for -task seq2seq, returning its exit status.
func runSeq2Seq(args []string, stdout, stderr io.Writer) int {
	o, err := parseSeq2Seq(args, stderr)
	if err == flag.ErrHelp {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return exitUsage
	}
	if err := benchSeq2Seq(o, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return exitFailure
	}
	return exitOK
}

func parseSeq2Seq(args []string, stderr io.Writer) (s2sOptions, error) {
	o := s2sOptions{args: args}
	fs := flag.NewFlagSet("bench -task seq2seq", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: go run ./cmd/bench -task seq2seq [flags]

Grapheme-to-phoneme on the project's CMUdict split, gornn against PyTorch:
the same initial weights (a models.Seq2Seq directory, loaded into
gornn_seq2seq.Seq2Seq), the same batches. The model is a bidirectional
LSTM encoder and an LSTM decoder of -hidden units each, additive attention
with input feeding, embeddings of -embed. Modes (each side in its own
process, alternating, -repeats times):

  train     tokens/s of training (forward, backward, Adam 1e-3) on the train split
  greedy    words/s of greedy decoding of the test split's words, and their WER and PER
  beam      the same with a beam of -beam
  accuracy  (-accuracy) trains -epochs epochs on each side and reports the dev
            split's greedy WER and PER after each

With -model DIR it decodes the test split with a saved model (gornn
alone), greedily and with a beam of -beam, and reports WER, PER and
words/s. PyTorch runs with -torch-setting (default: the system's
OpenBLAS on one thread, torch on -threads threads); no setting search.

Flags:
`)
		fs.PrintDefaults()
	}
	var task, modes, setting string
	dir, _ := datasets.CMUdictDir()
	fs.StringVar(&task, "task", "seq2seq", "the benchmark: seq2seq")
	fs.StringVar(&o.data, "data", dir, "folder of the CMUdict split (cmudict-train.txt, -dev, -test)")
	fs.IntVar(&o.trainPairs, "train-pairs", 0, "train on the first this many pairs of the train split; 0: all")
	fs.IntVar(&o.words, "words", 0, "decode the first this many distinct words of the test and dev splits; 0: all")
	fs.StringVar(&modes, "modes", "train,greedy,beam", "comma-separated modes: train, greedy, beam")
	fs.BoolVar(&o.accuracy, "accuracy", false, "compare dev WER per epoch instead of speed")
	fs.IntVar(&o.epochs, "epochs", 3, "training epochs of -accuracy")
	fs.IntVar(&o.repeats, "repeats", 3, "measured runs of each side per mode")
	fs.IntVar(&o.steps, "steps", 0, "train: measure only this many batches after the warm-up one; 0: the whole epoch")
	fs.IntVar(&o.threads, "threads", 2, "gornn's workers and GOMAXPROCS, PyTorch's threads")
	fs.IntVar(&o.batch, "batch", 64, "training batch size")
	fs.IntVar(&o.beam, "beam", 5, "beam width of the beam mode")
	fs.IntVar(&o.embed, "embed", 64, "embedding size")
	fs.IntVar(&o.hidden, "hidden", 256, "encoder (each direction) and decoder size")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the initial weights and the batch order")
	fs.StringVar(&setting, "torch-setting", "", "PyTorch's setting VARIANT:BLAS:TORCH (see go run ./cmd/bench -h); default system:1:-threads")
	fs.StringVar(&o.python, "python", "/usr/bin/python3", "Python interpreter with PyTorch")
	fs.StringVar(&o.jsonOut, "json", "", "also write the raw results to this JSON file")
	fs.StringVar(&o.workdir, "workdir", "", "keep the run directory here; default: a temporary directory, removed")
	fs.StringVar(&o.model, "model", "", "report WER and PER of this saved model on the test split (gornn alone)")
	fs.DurationVar(&o.idleWait, "wait-idle", time.Minute, "before each run, wait up to this long for the CPUs to be idle; 0: do not wait")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if task != "seq2seq" || fs.NArg() > 0 {
		return o, errors.Errorf("-task %q with arguments %q: want -task seq2seq and flags only", task, fs.Args())
	}
	for _, m := range strings.Split(modes, ",") {
		if !slices.Contains([]string{s2sTrain, s2sGreedy, s2sBeam}, m) {
			return o, errors.Errorf("-modes: unknown mode %q (want train, greedy, beam)", m)
		}
		o.modes = append(o.modes, m)
	}
	o.torch = defaultTorchSetting(o.threads)
	if setting != "" {
		s, err := parseTorchSetting(setting)
		if err != nil {
			return o, err
		}
		o.torch = s
	}
	for _, p := range []struct {
		name       string
		value, min int
	}{{"-repeats", o.repeats, 1}, {"-steps", o.steps, 0}, {"-threads", o.threads, 1}, {"-epochs", o.epochs, 1},
		{"-batch", o.batch, 1}, {"-beam", o.beam, 1}, {"-embed", o.embed, 1}, {"-hidden", o.hidden, 1}, {"-train-pairs", o.trainPairs, 0}, {"-words", o.words, 0}} {
		if p.value < p.min {
			return o, errors.Errorf("%s %d: must be at least %d", p.name, p.value, p.min)
		}
	}
	return o, nil
}

// s2sData is the benchmark's data: the training pairs encoded, and the
// distinct words of the dev and test splits with their references.
type s2sData struct {
	train            *datasets.Encoded
	srcVocab, tgtVoc *datasets.Vocab
	test, dev        s2sWords
}

// s2sWords are distinct sources with every reference of each.
type s2sWords struct {
	sources    [][]int
	references [][][]int
}

func loadS2SData(o s2sOptions) (*s2sData, error) {
	load := func(name string) (*datasets.Parallel, error) {
		return datasets.LoadParallel(filepath.Join(o.data, name), datasets.ParallelOptions{Format: datasets.FormatCMUdict})
	}
	trainPairs, err := load(datasets.CMUdictTrain)
	if err != nil {
		return nil, err
	}
	if o.trainPairs > 0 && o.trainPairs < trainPairs.Len() {
		trainPairs.Pairs = trainPairs.Pairs[:o.trainPairs]
	}
	chars, _ := datasets.NewTokenizer(datasets.CharTokenizer)
	phonemes, _ := datasets.NewTokenizer(datasets.WhitespaceTokenizer)
	d := &s2sData{}
	if d.srcVocab, d.tgtVoc, err = datasets.BuildParallelVocabs(trainPairs, chars, phonemes, datasets.VocabOptions{}, datasets.VocabOptions{}); err != nil {
		return nil, err
	}
	encode := func(p *datasets.Parallel) (*datasets.Encoded, error) {
		return datasets.EncodeParallel(p, chars, phonemes, d.srcVocab, d.tgtVoc, datasets.ParallelEncodeOptions{MaxSourceLen: models.DefaultMaxSourceLen})
	}
	if d.train, err = encode(trainPairs); err != nil {
		return nil, err
	}
	for _, split := range []struct {
		name string
		dst  *s2sWords
	}{{datasets.CMUdictTest, &d.test}, {datasets.CMUdictDev, &d.dev}} {
		p, err := load(split.name)
		if err != nil {
			return nil, err
		}
		enc, err := encode(p)
		if err != nil {
			return nil, err
		}
		index := map[int]int{}
		for i, pair := range p.Pairs {
			k, ok := index[pair.Group]
			if !ok {
				if o.words > 0 && len(split.dst.sources) == o.words {
					continue
				}
				k = len(split.dst.sources)
				index[pair.Group] = k
				split.dst.sources = append(split.dst.sources, enc.IDs[i])
				split.dst.references = append(split.dst.references, nil)
			}
			target := enc.Second.Targets[i]
			split.dst.references[k] = append(split.dst.references[k], target[:len(target)-1])
		}
	}
	return d, nil
}

// score returns the WER and PER of outputs against the words' references.
func (w s2sWords) score(outputs [][]int) (wer, per float64) {
	var t metrics.Transduction
	for i, out := range outputs {
		for _, r := range w.references[i] {
			t.AddDecoded(w.sources[i], out, r)
		}
	}
	s := t.Scores()
	return s["wer"], s["per"]
}

// s2sConfig is the model: a bidirectional LSTM encoder, an LSTM
// decoder, additive attention with input feeding.
func (o s2sOptions) s2sConfig() models.Seq2SeqConfig {
	return models.Seq2SeqConfig{Cell: graph.LSTM, EmbedDim: o.embed, EncoderHidden: o.hidden, Bidirectional: true, DecoderHidden: o.hidden, Attention: graph.Additive, InputFeeding: true}
}

// s2sMeasurement is the runs of one mode, in run order.
type s2sMeasurement struct {
	Mode    string      `json:"mode"`
	Gornn   []s2sResult `json:"gornn"`
	PyTorch []s2sResult `json:"pytorch,omitempty"`
}

func benchSeq2Seq(o s2sOptions, stdout, stderr io.Writer) error {
	if o.model != "" {
		return scoreSavedModel(o, stdout)
	}
	data, err := loadS2SData(o)
	if err != nil {
		return err
	}
	tmp := o.workdir
	if tmp == "" {
		if tmp, err = os.MkdirTemp("", "gornn-bench-seq2seq-"); err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
	}
	dir := filepath.Join(tmp, "seq2seq")
	if err := writeS2SRun(dir, o, data); err != nil {
		return err
	}
	for _, name := range []string{"torch_seq2seq.py", "gornn_seq2seq.py", "gornn_torch.py", "torch_bench.py"} {
		text, err := seq2seqScripts.ReadFile(name)
		if err == nil {
			err = os.WriteFile(filepath.Join(tmp, name), text, 0o644)
		}
		if err != nil {
			return err
		}
	}
	script := filepath.Join(tmp, "torch_seq2seq.py")
	torchInfo, torchErr := capture(exec.Command(o.python, script, "--info"))
	if torchErr != nil {
		fmt.Fprintf(stderr, "PyTorch not available: %v\n", torchErr)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	idle := &runner{idleWait: o.idleWait, log: stderr}
	measure := func(side, mode string) (s2sResult, error) {
		var cmd *exec.Cmd
		threads := strconv.Itoa(o.threads)
		if side == "gornn" {
			cmd = exec.Command(self, seq2seqWorkerFlag, mode, "-dir", dir, "-threads", threads, "-steps", strconv.Itoa(o.steps), "-beam", strconv.Itoa(o.beam))
			cmd.Env = append(os.Environ(), "GOMAXPROCS="+threads)
		} else {
			cmd = exec.Command(o.python, script, "--mode", mode, "--dir", dir, "--threads", strconv.Itoa(o.torch.TorchThreads), "--steps", strconv.Itoa(o.steps), "--beam", strconv.Itoa(o.beam))
			cmd.Env = append(os.Environ(), o.torch.env(o.torch.TorchThreads)...)
		}
		idle.waitIdle()
		busy := busyCPUSeconds()
		start := time.Now()
		out, err := capture(cmd)
		if err != nil {
			return s2sResult{}, err
		}
		wall := time.Since(start).Seconds()
		var res s2sResult
		if err := json.Unmarshal(out, &res); err != nil {
			return res, errors.Wrapf(err, "%s printed %.200q", cmd.Args[0], out)
		}
		ps := cmd.ProcessState
		res.PeakRSSKiB = ps.SysUsage().(*syscall.Rusage).Maxrss
		if busy >= 0 {
			res.OtherCPUs = max(0, (busyCPUSeconds()-busy-(ps.UserTime()+ps.SystemTime()).Seconds())/wall)
		}
		return res, nil
	}
	modes, repeats := o.modes, o.repeats
	if o.accuracy {
		modes, repeats = []string{s2sAccuracy}, 1
	}
	var all []s2sMeasurement
	for _, mode := range modes {
		m := s2sMeasurement{Mode: mode}
		for rep := 1; rep <= repeats; rep++ {
			sides := []string{"gornn", "pytorch"}
			if torchErr != nil {
				sides = sides[:1]
			} else if rep%2 == 0 {
				slices.Reverse(sides)
			}
			fmt.Fprintf(stderr, "seq2seq %s %d/%d:", mode, rep, repeats)
			for _, side := range sides {
				res, err := measure(side, mode)
				if err != nil {
					fmt.Fprintln(stderr)
					return errors.Wrapf(err, "seq2seq %s, %s", mode, side)
				}
				if side == "gornn" {
					m.Gornn = append(m.Gornn, res)
				} else {
					m.PyTorch = append(m.PyTorch, res)
				}
				fmt.Fprintf(stderr, " %s %.1f s, %.0f MiB;", side, res.Seconds, mib(res.PeakRSSKiB))
			}
			fmt.Fprintln(stderr)
		}
		all = append(all, m)
	}
	writeS2SReport(stdout, o, data, all, strings.TrimSpace(string(torchInfo)), torchErr)
	if o.jsonOut == "" {
		return nil
	}
	out, err := json.MarshalIndent(struct {
		Args         []string         `json:"args"`
		Torch        string           `json:"torch,omitempty"`
		TorchSetting torchSetting     `json:"torch_setting"`
		Measurements []s2sMeasurement `json:"measurements"`
	}{o.args, strings.TrimSpace(string(torchInfo)), o.torch, all}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(o.jsonOut, append(out, '\n'), 0o644)
}

// writeS2SRun writes the run directory: the initial weights, the training
// plan (one epoch, or -epochs for accuracy) and the words to decode.
func writeS2SRun(dir string, o s2sOptions, data *s2sData) error {
	model, err := models.NewSeq2Seq(o.s2sConfig(), data.srcVocab, data.tgtVoc, models.Options{Seed: o.seed})
	if err != nil {
		return err
	}
	if err := model.Save(filepath.Join(dir, s2sModelDir)); err != nil {
		return err
	}
	epochs := 1
	if o.accuracy {
		epochs = o.epochs
	}
	batcher, err := datasets.NewBatcher(data.train, datasets.BatcherOptions{BatchSize: o.batch, Shuffle: true, Bucket: true, Seed: o.seed})
	if err != nil {
		return err
	}
	plan := make([][]datasets.Batch, epochs)
	for e := range plan {
		for it := batcher.Epoch(e); it.Next(); {
			plan[e] = append(plan[e], it.Batch())
		}
	}
	if err := writeSeq2SeqPlan(filepath.Join(dir, s2sTrainPlan), plan); err != nil {
		return err
	}
	if err := writeSources(filepath.Join(dir, s2sTestFile), data.test.sources); err != nil {
		return err
	}
	return writeSources(filepath.Join(dir, s2sDevFile), data.dev.sources)
}

// scoreSavedModel decodes the test split with a saved model, greedily and
// with a beam, and reports WER, PER and words/s.
func scoreSavedModel(o s2sOptions, w io.Writer) error {
	model, err := models.LoadSeq2Seq(o.model, models.Options{PredictBatch: s2sDecodeSize})
	if err != nil {
		return err
	}
	p, err := datasets.LoadParallel(filepath.Join(o.data, datasets.CMUdictTest), datasets.ParallelOptions{Format: datasets.FormatCMUdict})
	if err != nil {
		return err
	}
	if o.words > 0 {
		last := slices.IndexFunc(p.Pairs, func(pair datasets.Pair) bool { return pair.Group >= o.words })
		if last >= 0 {
			p.Pairs = p.Pairs[:last]
		}
	}
	fmt.Fprintf(w, "Test split %s: %d pronunciations of %d words; model %s (%d parameters).\n\n", filepath.Join(o.data, datasets.CMUdictTest), p.Len(), p.Groups(), o.model, model.Params().Count())
	fmt.Fprintln(w, "| decoding | WER | PER | words/s | seconds |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|")
	for _, beam := range []decode.Beam{{Width: 1}, {Width: o.beam}} {
		start := time.Now()
		result, err := model.EvaluateDecoding(p, beam)
		if err != nil {
			return err
		}
		seconds := time.Since(start).Seconds()
		s := result.Metrics.Scores()
		name := "greedy"
		if beam.Width > 1 {
			name = fmt.Sprintf("beam %d", beam.Width)
		}
		fmt.Fprintf(w, "| %s | %.2f%% | %.2f%% | %.0f | %.1f |\n", name, 100*s["wer"], 100*s["per"], float64(len(result.Words))/seconds, seconds)
	}
	return nil
}

// writeS2SReport prints the Markdown tables of the measurements.
func writeS2SReport(w io.Writer, o s2sOptions, data *s2sData, all []s2sMeasurement, torchInfo string, torchErr error) {
	fmt.Fprintf(w, "Seq2seq G2P benchmark: %s\n\n", strings.Join(append([]string{"go run ./cmd/bench"}, o.args...), " "))
	fmt.Fprintf(w, "Model: bidirectional LSTM encoder %d, LSTM decoder %d, additive attention, input feeding, embed %d; batch %d, Adam %g; %d training pairs, %d test words, %d dev words; threads %d.\n",
		o.hidden, o.hidden, o.embed, o.batch, s2sLR, data.train.Len(), len(data.test.sources), len(data.dev.sources), o.threads)
	if torchErr != nil {
		fmt.Fprintf(w, "PyTorch did not run: %v\n\n", torchErr)
	} else {
		fmt.Fprintf(w, "PyTorch: %s, setting %s.\n\n", torchInfo, o.torch)
	}
	median := func(rs []s2sResult, f func(s2sResult) float64) float64 {
		if len(rs) == 0 {
			return 0
		}
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	rate := func(r s2sResult) float64 { return float64(r.Tokens) / r.Seconds }
	words := func(r s2sResult) float64 { return float64(r.Rows) / r.Seconds }
	rss := func(r s2sResult) float64 { return mib(r.PeakRSSKiB) }
	for _, m := range all {
		switch m.Mode {
		case s2sAccuracy:
			fmt.Fprintln(w, "| epoch | gornn dev WER | gornn dev PER | PyTorch dev WER | PyTorch dev PER |")
			fmt.Fprintln(w, "|--:|--:|--:|--:|--:|")
			for e, outputs := range m.Gornn[0].DevOutputs {
				gw, gp := data.dev.score(outputs)
				line := fmt.Sprintf("| %d | %.2f%% | %.2f%% |", e+1, 100*gw, 100*gp)
				if len(m.PyTorch) > 0 && e < len(m.PyTorch[0].DevOutputs) {
					tw, tp := data.dev.score(m.PyTorch[0].DevOutputs[e])
					line += fmt.Sprintf(" %.2f%% | %.2f%% |", 100*tw, 100*tp)
				} else {
					line += " | |"
				}
				fmt.Fprintln(w, line)
			}
			fmt.Fprintln(w)
		case s2sTrain:
			fmt.Fprintln(w, "| training | gornn tokens/s | PyTorch tokens/s | ratio | gornn peak RSS MiB | PyTorch peak RSS MiB |")
			fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|")
			g, t := median(m.Gornn, rate), median(m.PyTorch, rate)
			fmt.Fprintf(w, "| medians of %d | %.0f | %.0f | %s | %.0f | %.0f |\n\n", len(m.Gornn), g, t, ratio(g, t), median(m.Gornn, rss), median(m.PyTorch, rss))
		default:
			name := "greedy"
			if m.Mode == s2sBeam {
				name = fmt.Sprintf("beam %d", o.beam)
			}
			fmt.Fprintf(w, "| test decoding, %s | gornn words/s | PyTorch words/s | ratio | gornn WER / PER | PyTorch WER / PER | gornn peak RSS MiB | PyTorch peak RSS MiB |\n", name)
			fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|")
			g, t := median(m.Gornn, words), median(m.PyTorch, words)
			gw, gp := data.test.score(m.Gornn[0].Outputs)
			torchScores := ""
			if len(m.PyTorch) > 0 {
				tw, tp := data.test.score(m.PyTorch[0].Outputs)
				torchScores = fmt.Sprintf("%.2f%% / %.2f%%", 100*tw, 100*tp)
			}
			fmt.Fprintf(w, "| medians of %d | %.0f | %.0f | %s | %.2f%% / %.2f%% | %s | %.0f | %.0f |\n\n", len(m.Gornn), g, t, ratio(g, t), 100*gw, 100*gp, torchScores, median(m.Gornn, rss), median(m.PyTorch, rss))
		}
	}
}

// ratio formats a/b, or "-" without b.
func ratio(a, b float64) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", a/b)
}
