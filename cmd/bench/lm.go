package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/internal/gemm"
	"github.com/gornn/gornn/models"
	"github.com/pkg/errors"
)

// The language-model modes (-lm), as the workers take them.
const (
	modeLMTrain      = "lm-train"      // training steps: forward, backward, clipping, the optimizer
	modeLMGenerate   = "lm-generate"   // sampling one token at a time at batch 1, the state carried
	modeLMPerplexity = "lm-perplexity" // train every epoch, validation perplexity after each (-lm -accuracy)
)

// The files of a language model's run directory, beside model/.
const (
	lmTrainPlan = "lm.plan"      // the training batches, epoch by epoch
	lmEvalPlan  = "lm-eval.plan" // the validation batches, in order
	lmRunFile   = "lm.json"      // the training settings both sides read (lmRun)
)

// generateTokens is the tokens a generation run times, after a warm-up,
// unless -steps sets the chunks of generateChunk tokens.
const (
	generateChunk  = 50
	generateChunks = 20
)

// lmBenchConfig is one language model of the comparison, with how it is
// trained.
type lmBenchConfig struct {
	name   string
	model  models.LMConfig
	column string // the AG News column of the documents: title or description
	lmRun
}

// lmRun is how a language model trains, written as lm.json for both sides.
type lmRun struct {
	Stream    bool    `json:"stream"`    // one stream in Batch columns and BPTT windows, the state carried; else a padded row per document
	Batch     int     `json:"batch"`     // B (the columns of a stream)
	BPTT      int     `json:"bptt"`      // a stream's window
	Optimizer string  `json:"optimizer"` // adam, or sgd (p -= lr·grad, word_language_model's update)
	LR        float64 `json:"lr"`
	Clip      float64 `json:"clip"`    // global gradient 2-norm bound; 0: none
	Plateau   bool    `json:"plateau"` // lr /= 4 after an epoch whose validation loss is not the best (-accuracy)
	Generate  int     `json:"generate_tokens"`
}

// lmConfigs are the language models of issue 11's comparison: the
// lesson's character LSTM on AG News titles, and PyTorch's
// word_language_model with its defaults on AG News descriptions.
var lmConfigs = []lmBenchConfig{
	{"char-lstm", models.LMConfig{Cell: graph.LSTM, EmbedDim: 64, HiddenSize: 128, NumLayers: 1, Tokenizer: datasets.CharTokenizer, BOSToken: datasets.BOSToken}, "title",
		lmRun{Batch: 32, Optimizer: "adam", LR: learningRate}},
	{"word-lm", models.LMConfig{Cell: graph.LSTM, EmbedDim: 200, HiddenSize: 200, NumLayers: 2, Dropout: 0.2, Tokenizer: datasets.BasicEnglishTokenizer}, "description",
		lmRun{Stream: true, Batch: 20, BPTT: 35, Optimizer: "sgd", LR: 20, Clip: 0.25, Plateau: true}},
}

// String describes the config, e.g. "2-layer LSTM h200 e200, word level,
// dropout 0.2, AG News descriptions, stream b20 × bptt 35, SGD lr 20,
// clip 0.25".
func (c lmBenchConfig) String() string {
	m := c.model
	var s strings.Builder
	if m.NumLayers > 1 {
		fmt.Fprintf(&s, "%d-layer ", m.NumLayers)
	}
	level := map[string]string{datasets.CharTokenizer: "char", datasets.BasicEnglishTokenizer: "word"}[m.Tokenizer]
	fmt.Fprintf(&s, "%s h%d e%d, %s level", strings.ToUpper(m.Cell.String()), m.HiddenSize, m.EmbedDim, level)
	if m.Dropout > 0 {
		fmt.Fprintf(&s, ", dropout %g", m.Dropout)
	}
	fmt.Fprintf(&s, ", AG News %ss, ", c.column)
	if c.Stream {
		fmt.Fprintf(&s, "stream b%d × bptt %d", c.Batch, c.BPTT)
	} else {
		fmt.Fprintf(&s, "a row per document, b%d", c.Batch)
	}
	fmt.Fprintf(&s, ", %s lr %g", strings.ToUpper(c.Optimizer), c.LR)
	if c.Clip > 0 {
		fmt.Fprintf(&s, ", clip %g", c.Clip)
	}
	if c.Plateau {
		s.WriteString(", lr/4 on a plateau")
	}
	return s.String()
}

// lmModes lists the modes -lm takes in -modes (the workers' names without
// "lm-"), and lmModeDefault its default.
var lmModes = []string{"train", "generate"}

const lmModeDefault = "train,generate"

// parseLM reads -configs and -modes for -lm: the language models' names
// and modes.
func (o *options) parseLM(configs, modes string) error {
	o.lmConfigs = lmConfigs
	if configs != "" {
		o.lmConfigs = nil
		for _, name := range strings.Split(configs, ",") {
			i := slices.IndexFunc(lmConfigs, func(c lmBenchConfig) bool { return c.name == name })
			if i < 0 {
				return errors.Errorf("-configs: unknown language model %q (want char-lstm, word-lm)", name)
			}
			o.lmConfigs = append(o.lmConfigs, lmConfigs[i])
		}
	}
	for _, m := range strings.Split(modes, ",") {
		if !slices.Contains(lmModes, m) {
			return errors.Errorf("-modes: unknown mode %q with -lm (want %s)", m, strings.Join(lmModes, ", "))
		}
		o.modes = append(o.modes, "lm-"+m)
	}
	return nil
}

// lmData is one config's data as batches, and what the report says of it.
type lmData struct {
	train, eval *datasets.Encoded
	vocab       *datasets.Vocab
	source      string
	docs        [2]int // training and validation documents
}

// prepareLM loads the config's AG News column (the built-in sentences
// when the file is absent), builds the vocabulary of the training
// documents and encodes both parts as the config trains.
func prepareLM(o options, c lmBenchConfig) (*lmData, error) {
	path := o.data
	if path == "" {
		dir, _ := datasets.AGNewsDir()
		path = filepath.Join(dir, "test.csv")
	}
	d := &lmData{source: path}
	var all *datasets.Corpus
	if _, err := os.Stat(path); err != nil && o.data == "" {
		all = datasets.CorpusOf(datasets.Builtin(max(o.trainRows.To, o.evalRows.To), o.seed))
		d.source = fmt.Sprintf("the built-in dataset (AG News not found: %v)", err)
	} else if all, err = datasets.LoadCorpus(path, datasets.CorpusOptions{Format: datasets.FormatAGNews, TextCols: []string{c.column}}); err != nil {
		return nil, err
	}
	trainDocs, err := all.Rows(o.trainRows)
	if err != nil {
		return nil, err
	}
	evalDocs, err := all.Rows(o.evalRows)
	if err != nil {
		return nil, err
	}
	d.docs = [2]int{trainDocs.Len(), evalDocs.Len()}
	tok, err := datasets.NewTokenizer(c.model.Tokenizer)
	if err != nil {
		return nil, err
	}
	specials := []string{datasets.EOSToken}
	if c.model.BOSToken != "" {
		specials = []string{datasets.BOSToken, datasets.EOSToken}
	}
	if d.vocab, err = datasets.BuildCorpusVocab(trainDocs, tok, specials, datasets.VocabOptions{}); err != nil {
		return nil, err
	}
	encode := func(docs *datasets.Corpus) (*datasets.Encoded, error) {
		if c.Stream {
			return datasets.EncodeStream(docs, tok, d.vocab, datasets.StreamOptions{Columns: c.Batch, BPTT: c.BPTT})
		}
		return datasets.EncodeDocuments(docs, tok, d.vocab)
	}
	if d.train, err = encode(trainDocs); err != nil {
		return nil, err
	}
	d.eval, err = encode(evalDocs)
	return d, err
}

// writeLMRun writes config c's run directory: the initial weights, lm.json
// and the plans: epochs of training batches (shuffled per document, in
// order for a stream) and the validation batches.
func writeLMRun(dir string, c lmBenchConfig, d *lmData, o options, epochs int) error {
	model, err := models.NewLanguageModel(c.model, d.vocab, models.LMOptions{Seed: o.seed})
	if err != nil {
		return err
	}
	if err := model.Save(filepath.Join(dir, modelDir)); err != nil {
		return err
	}
	run := c.lmRun
	run.Generate = generateChunk * generateChunks
	if o.steps > 0 {
		run.Generate = generateChunk * o.steps
	}
	data, err := json.MarshalIndent(run, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, lmRunFile), data, 0o644); err != nil {
		return err
	}
	plan, err := makePlan(d.train, datasets.BatcherOptions{BatchSize: c.Batch, Shuffle: !c.Stream, Bucket: o.bucket && !c.Stream, Seed: o.seed}, epochs)
	if err != nil {
		return err
	}
	if err := writeLMPlan(filepath.Join(dir, lmTrainPlan), plan); err != nil {
		return err
	}
	if plan, err = makePlan(d.eval, datasets.BatcherOptions{BatchSize: c.Batch}, 1); err != nil {
		return err
	}
	return writeLMPlan(filepath.Join(dir, lmEvalPlan), plan)
}

// lmFLOPs returns the floating-point operations of the matrix products of
// cfg's language model over tokens real tokens, in mode: forward only for
// generation, forward and backward for training. With G gate blocks,
// hidden size H, embedding size E, L layers and V tokens in the
// vocabulary, each token costs, forward,
//
//	Σ_l 2·G·H·(I_l + H)  +  2·H·V    (I_0 = E, I_l = H above)
//
// the recurrent layers and the decoder; training costs 3 times as much
// (see modelFLOPs).
func lmFLOPs(cfg models.LMConfig, vocab int, mode string, tokens int) float64 {
	gh, h := float64(cfg.Cell.Gates()*cfg.HiddenSize), float64(cfg.HiddenSize)
	perToken, in := 2*h*float64(vocab), float64(cfg.EmbedDim)
	for range max(cfg.NumLayers, 1) {
		perToken += 2 * gh * (in + h)
		in = h
	}
	if mode == modeLMTrain {
		return 3 * perToken * float64(tokens)
	}
	return perToken * float64(tokens)
}

// lmReport is what -lm measured.
type lmReport struct {
	Setup      setup             `json:"setup"`
	Speed      []measurement     `json:"speed,omitempty"`
	Perplexity []measurement     `json:"perplexity,omitempty"`
	Configs    map[string]string `json:"configs"`
	Data       map[string]string `json:"data"` // per config: the documents, vocabulary and batches
}

// benchLM runs the language-model comparison: per config, training and
// generation speed, or with -accuracy the validation perplexity after
// each epoch.
func benchLM(o options, stdout, stderr io.Writer) error {
	s := describeMachine(o)
	tmp := o.workdir
	var err error
	if tmp == "" {
		if tmp, err = os.MkdirTemp("", "gornn-bench-lm-"); err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
	} else if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	r, err := newRunner(o, tmp, stderr)
	if err != nil {
		return err
	}
	r.script = filepath.Join(tmp, "torch_lm.py")
	if info, err := r.probe(); err != nil {
		s.PyTorchMissing = err.Error()
		fmt.Fprintf(stderr, "PyTorch not available: %v\n", err)
	} else {
		s.PyTorch = info
		if err := r.chooseVariants(o, &s); err != nil {
			return err
		}
	}
	if !o.accuracy {
		r.waitIdle()
		p := gemm.MeasurePeak(peakBudget)
		s.CoreGFLOPS, s.PeakKernel, s.PeakCores = p.GFLOPS, p.String(), min(o.threads, runtime.NumCPU())
		fmt.Fprintf(stderr, "peak: gornn's SGEMM on one core: %v\n", p)
	}
	rep := lmReport{Setup: s, Configs: map[string]string{}, Data: map[string]string{}}
	epochs := 1
	if o.accuracy {
		epochs = o.epochs
	}
	for _, c := range o.lmConfigs {
		d, err := prepareLM(o, c)
		if err != nil {
			return errors.Wrap(err, c.name)
		}
		dir := filepath.Join(tmp, c.name)
		if err := writeLMRun(dir, c, d, o, epochs); err != nil {
			return errors.Wrap(err, c.name)
		}
		rep.Configs[c.name] = c.String()
		rep.Data[c.name] = fmt.Sprintf("%s, rows %s (%d documents) for training, %s (%d) for validation; vocabulary %d; %d training and %d validation batches",
			d.source, o.trainRows, d.docs[0], o.evalRows, d.docs[1], d.vocab.Len(), (d.train.Len()+c.Batch-1)/c.Batch, (d.eval.Len()+c.Batch-1)/c.Batch)
		if o.accuracy {
			m, err := r.pair(c.name, modeLMPerplexity, dir, 1, lmTorchSetting(o))
			if err != nil {
				return err
			}
			rep.Perplexity = append(rep.Perplexity, m)
			continue
		}
		for _, mode := range o.modes {
			m, err := r.benchMode(c.name, mode, dir, o)
			if err != nil {
				return err
			}
			for _, side := range [][]result{m.Gornn, m.PyTorch} {
				for i, res := range side {
					side[i].FLOPs = lmFLOPs(c.model, d.vocab.Len(), mode, res.Tokens)
				}
			}
			rep.Speed = append(rep.Speed, m)
		}
	}
	writeLMReport(stdout, rep, o.lmConfigs)
	if o.jsonOut == "" {
		return nil
	}
	out, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(o.jsonOut, append(out, '\n'), 0o644)
}

// lmTorchSetting is PyTorch's setting for the perplexity runs, which do
// not search: -torch-setting, or the system's OpenBLAS on one thread and
// torch on -threads.
func lmTorchSetting(o options) torchSetting {
	if o.torch != nil {
		return *o.torch
	}
	return defaultTorchSetting(o.threads)
}

// writeLMReport prints the language models' tables in Markdown.
func writeLMReport(w io.Writer, rep lmReport, configs []lmBenchConfig) {
	s := rep.Setup
	fmt.Fprintf(w, "## gornn vs PyTorch: language models\n\n")
	fmt.Fprintf(w, "- Machine: %s, %d CPUs (nproc), %s\n", s.CPU, s.NumCPU, s.Platform)
	fmt.Fprintf(w, "- gornn: %s, fused graphs, build tags: %s; %d workers, GOMAXPROCS=%d\n", s.Go, s.BuildTags, s.Threads, s.Threads)
	if s.PyTorch != nil {
		fmt.Fprintf(w, "- PyTorch: %s (Python %s), by default %s; ", s.PyTorch.Version, s.PyTorch.Python, s.PyTorch.BLAS)
		if rep.Perplexity != nil {
			fmt.Fprintf(w, "every run with %s\n", defaultOr(s.TorchForced, s.Threads).describe())
		} else {
			writeTorchSetup(w, s)
		}
	} else {
		fmt.Fprintf(w, "- PyTorch not available: %s\n", strings.ReplaceAll(s.PyTorchMissing, "\n", " | "))
	}
	for _, c := range configs {
		fmt.Fprintf(w, "- %s: %s; %s\n", c.name, c, rep.Data[c.name])
	}
	fmt.Fprintf(w, "- Both sides start from the same weights (gornn's initialisation, saved and loaded into PyTorch's RNNModel) and run the same batches; "+
		"PyTorch's model is word_language_model's RNNModel, with packed sequences for a row per document\n")
	if s.CoreGFLOPS > 0 {
		fmt.Fprintf(w, "- Peak: %.0f GFLOP/s, gornn's SGEMM at its best on one core, %s, measured in this run, times the %d cores gornn uses; "+
			"GFLOP/s counts the recurrent layers' and the decoder's products of the real tokens (training 3 times the forward work)\n", s.peakGFLOPS(), s.PeakKernel, s.PeakCores)
	}
	fmt.Fprintf(w, "- Command: `%s`\n\n", s.Command)
	if rep.Perplexity != nil {
		writeLMPerplexity(w, rep.Perplexity)
		return
	}
	fmt.Fprintln(w, "| config | mode | gornn tokens/s | PyTorch tokens/s | gornn/PyTorch | gornn GFLOP/s (% of peak) | PyTorch GFLOP/s (% of peak) | PyTorch setting | "+
		"gornn ms/step | PyTorch ms/step | gornn peak RSS MiB | PyTorch peak RSS MiB | other load |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|")
	for _, m := range rep.Speed {
		g, p := m.Gornn, m.PyTorch
		ratio, pTokens, pFLOPs, pMS, pRSS := "—", "—", "—", "—", "—"
		if len(p) > 0 {
			var ratios []float64
			for i := range min(len(g), len(p)) {
				ratios = append(ratios, tokensPerSec(g[i])/tokensPerSec(p[i]))
			}
			ratio, pTokens, pFLOPs = spread(ratios, "%.2f"), spread(each(p, tokensPerSec), "%s"), utilization(p, s.peakGFLOPS())
			pMS, pRSS = fmt.Sprintf("%.2f", median(each(p, msPerStep))), fmt.Sprintf("%.0f", slices.Max(each(p, peakMiB)))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %.2f | %s | %.0f | %s | %.2f |\n", m.Config, strings.TrimPrefix(m.Mode, "lm-"),
			spread(each(g, tokensPerSec), "%s"), pTokens, ratio, utilization(g, s.peakGFLOPS()), pFLOPs, settingName(m),
			median(each(g, msPerStep)), pMS, slices.Max(each(g, peakMiB)), pRSS, otherLoad(m))
	}
	fmt.Fprintln(w, "\ntrain: tokens/s over the measured batches (a step: forward, backward, clipping, the optimizer); generate: tokens/s of batch-1 sampling at temperature 1, "+
		"one step per token with the state carried (gornn: LanguageModel.Generate; PyTorch: word_language_model's generate.py loop), ms/step per token. "+
		"Medians (min–max) over the repeats; peak RSS the largest; other load as in the classifier tables.")
	for _, m := range rep.Speed {
		if m.Mode == modeLMTrain && len(m.PyTorch) > 0 {
			fmt.Fprintf(w, "- %s: mean training loss of the measured batches, gornn %.4f, PyTorch %.4f\n", m.Config, m.Gornn[0].Loss, m.PyTorch[0].Loss)
		}
	}
	writeTrials(w, rep.Speed)
}

// defaultOr is the forced setting, or the default of threads.
func defaultOr(forced *torchSetting, threads int) torchSetting {
	if forced != nil {
		return *forced
	}
	return defaultTorchSetting(threads)
}

// writeLMPerplexity prints the validation perplexity of both sides after
// each epoch and their relative difference.
func writeLMPerplexity(w io.Writer, ms []measurement) {
	fmt.Fprintln(w, "| config | epoch | gornn validation perplexity | PyTorch validation perplexity | gornn / PyTorch − 1 |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|")
	for _, m := range ms {
		g := m.Gornn[0]
		for e, ppl := range g.EvalPPL {
			pPPL, diff := "—", "—"
			if len(m.PyTorch) > 0 && e < len(m.PyTorch[0].EvalPPL) {
				p := m.PyTorch[0].EvalPPL[e]
				pPPL, diff = fmt.Sprintf("%.2f", p), fmt.Sprintf("%+.2f%%", 100*(ppl/p-1))
			}
			fmt.Fprintf(w, "| %s | %d | %.2f | %s | %s |\n", m.Config, e+1, ppl, pPPL, diff)
		}
	}
	fmt.Fprintln(w)
	for _, m := range ms {
		fmt.Fprintf(w, "- %s training time: gornn %.1f s", m.Config, m.Gornn[0].Seconds)
		if len(m.PyTorch) > 0 {
			fmt.Fprintf(w, ", PyTorch %.1f s", m.PyTorch[0].Seconds)
		}
		fmt.Fprintln(w)
	}
}
