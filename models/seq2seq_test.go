package models_test

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/decode"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/metrics"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/train"
)

// reversals returns n pairs of a word of 2 to 6 letters a..h and its
// letters reversed and capitalised, one token each: "abc" -> "C B A".
// Every tenth source repeats an earlier one with another target, as a
// word with an alternate pronunciation.
func reversals(n int, seed uint64) *datasets.Parallel {
	rng := rand.New(rand.NewPCG(seed, 1))
	p := &datasets.Parallel{Path: "reversals"}
	groups := 0
	for i := 0; i < n; i++ {
		if i%10 == 9 {
			prev := p.Pairs[i-1]
			p.Pairs = append(p.Pairs, datasets.Pair{Source: prev.Source, Target: prev.Target + " A", Line: i + 1, Group: prev.Group})
			continue
		}
		var src []byte
		var tgt []string
		for range 2 + rng.IntN(5) {
			c := byte('a' + rng.IntN(8))
			src = append(src, c)
			tgt = append([]string{strings.ToUpper(string(c))}, tgt...)
		}
		p.Pairs = append(p.Pairs, datasets.Pair{Source: string(src), Target: strings.Join(tgt, " "), Line: i + 1, Group: groups})
		groups++
	}
	return p
}

// toyData encodes reversals for training and validation.
func toyData(t testing.TB) (trainData, valData *datasets.Encoded, src, tgt *datasets.Vocab) {
	t.Helper()
	chars, _ := datasets.NewTokenizer(datasets.CharTokenizer)
	words, _ := datasets.NewTokenizer(datasets.WhitespaceTokenizer)
	trainPairs, valPairs := reversals(1600, 1), reversals(150, 2)
	src, tgt, err := datasets.BuildParallelVocabs(trainPairs, chars, words, datasets.VocabOptions{}, datasets.VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if trainData, err = datasets.EncodeParallel(trainPairs, chars, words, src, tgt, datasets.ParallelEncodeOptions{}); err != nil {
		t.Fatal(err)
	}
	if valData, err = datasets.EncodeParallel(valPairs, chars, words, src, tgt, datasets.ParallelEncodeOptions{}); err != nil {
		t.Fatal(err)
	}
	return trainData, valData, src, tgt
}

func toyConfig() models.Seq2SeqConfig {
	return models.Seq2SeqConfig{Cell: graph.LSTM, EmbedDim: 12, EncoderHidden: 16, Bidirectional: true, DecoderHidden: 24, InputFeeding: true}
}

// TestSeq2SeqLearns trains on reversals with two workers (whose
// validation networks decode at once) and checks that validation WER
// falls to zero and PER with it, that the best checkpoint is picked by
// WER, and that the same seed gives the same weights bit for bit.
func TestSeq2SeqLearns(t *testing.T) {
	trainData, valData, src, tgt := toyData(t)
	run := func(dir string) (*models.Seq2Seq, *train.Result) {
		m, err := models.NewSeq2Seq(toyConfig(), src, tgt, models.Options{Seed: 4})
		if err != nil {
			t.Fatal(err)
		}
		trainer, err := train.New(m, train.Config{Epochs: 5, BatchSize: 32, LR: 5e-3, Bucket: true, Workers: 2, Seed: 3, OutDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		result, err := trainer.Fit(context.Background(), trainData, valData)
		if err != nil {
			t.Fatalf("%+v", err)
		}
		return m, result
	}
	dir := t.TempDir()
	m, result := run(dir)
	first, last := result.Epochs[0], result.Epochs[len(result.Epochs)-1]
	if last.Objective != "wer" || last.Val["wer"] > 0.02 || last.Val["per"] > 0.01 || first.Val["wer"] <= last.Val["wer"] {
		t.Errorf("validation WER %v -> %v, PER %v -> %v (objective %q): want WER at most 2%% and falling", first.Val["wer"], last.Val["wer"], first.Val["per"], last.Val["per"], last.Objective)
	}
	if last.Val["accuracy"] < 0.95 {
		t.Errorf("teacher-forced token accuracy %v", last.Val["accuracy"])
	}
	if _, err := os.Stat(filepath.Join(dir, train.BestDir, models.SourceVocabFile)); err != nil {
		t.Errorf("no best checkpoint: %v", err)
	}
	again, _ := run(t.TempDir())
	for i, p := range m.Params().List() {
		if !reflect.DeepEqual(p.Values(), again.Params().List()[i].Values()) {
			t.Fatalf("%s differs between two runs of one seed", p.Name)
		}
	}
}

// TestSeq2SeqSaveLoadTranslatesTheSame saves an untrained model, loads it
// in the other implementation and compares beam outputs, scores and
// attention; beam width 1 is greedy decoding.
func TestSeq2SeqSaveLoadTranslatesTheSame(t *testing.T) {
	_, _, src, tgt := toyData(t)
	cfg := toyConfig()
	cfg.Attention, cfg.AttentionSize, cfg.Cell, cfg.DecoderLayers = graph.General, 0, graph.GRU, 2
	m, err := models.NewSeq2Seq(cfg, src, tgt, models.Options{Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"abc", "hgfedcba", "a", "xyz"}
	beam := decode.Beam{Width: 3, NBest: 2, Alpha: 0.6}
	want, err := m.Translate(texts, beam)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	if format, err := models.ReadFormat(dir); err != nil || format != models.Seq2SeqFormatV1 {
		t.Errorf("format %q, %v", format, err)
	}
	loaded, err := models.LoadSeq2Seq(dir, models.Options{Impl: graph.Composed})
	if err != nil {
		t.Fatal(err)
	}
	got, err := loaded.Translate(texts, beam)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if len(got[i].Outputs) != 2 || !reflect.DeepEqual(got[i].Unknown, want[i].Unknown) {
			t.Fatalf("text %d: %+v, want %+v", i, got[i], want[i])
		}
		for j, o := range want[i].Outputs {
			g := got[i].Outputs[j]
			if g.Text != o.Text {
				t.Errorf("text %d output %d: %q after loading, %q before", i, j, g.Text, o.Text)
			}
			closeValues(t, "score", []float64{g.Score, g.LogProb}, []float64{o.Score, o.LogProb})
			for s := range o.Attention {
				closeValues(t, "attention", g.Attention[s], o.Attention[s])
			}
		}
	}
	if !reflect.DeepEqual(want[3].Unknown, []int{0, 1, 2}) {
		t.Errorf("unknown positions of %q: %v", texts[3], want[3].Unknown)
	}
	greedy, err := m.Translate(texts, decode.Beam{})
	if err != nil {
		t.Fatal(err)
	}
	width1, err := m.Translate(texts, decode.Beam{Width: 1, Alpha: 0.6})
	if err != nil {
		t.Fatal(err)
	}
	for i := range greedy {
		if greedy[i].Outputs[0].Text != width1[i].Outputs[0].Text {
			t.Errorf("text %d: greedy %q, width 1 %q", i, greedy[i].Outputs[0].Text, width1[i].Outputs[0].Text)
		}
	}
}

func TestSeq2SeqBadSources(t *testing.T) {
	_, _, src, tgt := toyData(t)
	cfg := toyConfig()
	cfg.MaxSourceLen = 5
	m, err := models.NewSeq2Seq(cfg, src, tgt, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		text, want string
	}{
		{"", "empty source"},
		{"abcdef", "source of 6 char tokens, over the model's limit of 5"},
	} {
		if _, err := m.Translate([]string{"ab", c.text}, decode.Beam{}); err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "text 2") {
			t.Errorf("%q: error %v, want %q", c.text, err, c.want)
		}
	}
	if _, err := m.Decode([][]int{{4, 999}}, decode.Beam{}); err == nil || !strings.Contains(err.Error(), "outside the source vocabulary") {
		t.Errorf("id out of range: %v", err)
	}
}

// TestSeq2SeqConfigs builds every combination of options and checks that
// the parameters declared are the ones Tensors lists, in order.
func TestSeq2SeqConfigs(t *testing.T) {
	_, _, src, tgt := toyData(t)
	for _, score := range []graph.Score{graph.Additive, graph.Dot, graph.General} {
		for _, bridge := range []models.Bridge{models.LinearBridge, models.ZeroBridge} {
			for _, cell := range []graph.Cell{graph.RNNTanh, graph.LSTM, graph.GRU} {
				cfg := models.Seq2SeqConfig{Cell: cell, EmbedDim: 6, EncoderHidden: 3, Bidirectional: true, EncoderLayers: 2, DecoderHidden: 6,
					DecoderLayers: 2, Attention: score, Bridge: bridge, InputFeeding: bridge == models.ZeroBridge, TieEmbeddings: cell == graph.GRU, Dropout: 0.2}
				m, err := models.NewSeq2Seq(cfg, src, tgt, models.Options{})
				if err != nil {
					t.Fatalf("%+v: %v", cfg, err)
				}
				var names []string
				for _, spec := range m.Config().Tensors() {
					names = append(names, spec.Name)
					if got := m.Params().Get(spec.Name); got == nil || !reflect.DeepEqual([]int(got.Value.Shape()), spec.Shape) {
						t.Errorf("%v/%v/%v: %s %v, declared %v", score, bridge, cell, spec.Name, spec.Shape, got)
					}
				}
				var declared []string
				for _, p := range m.Params().List() {
					if !(cfg.TieEmbeddings && p.Name == "output.weight") {
						declared = append(declared, p.Name)
					}
				}
				if !reflect.DeepEqual(names, declared) {
					t.Errorf("%v/%v/%v: Tensors %v, declared %v", score, bridge, cell, names, declared)
				}
			}
		}
	}
	for _, c := range []struct {
		cfg  models.Seq2SeqConfig
		want string
	}{
		{models.Seq2SeqConfig{EmbedDim: 4, EncoderHidden: 4, DecoderHidden: 6, TieEmbeddings: true}, "tie_embeddings needs embed_dim (4) = decoder_hidden (6)"},
		{models.Seq2SeqConfig{EmbedDim: 4, EncoderHidden: 4, Bidirectional: true, Attention: graph.Dot}, "dot attention needs"},
		{models.Seq2SeqConfig{EmbedDim: 4, EncoderHidden: 4, Dropout: 1}, "dropout 1 not in [0, 1)"},
		{models.Seq2SeqConfig{EmbedDim: 4, EncoderHidden: 4, MaxSourceLen: models.MaxSourceLenLimit + 1}, "max_source_len 65537 is over the limit"},
		{models.Seq2SeqConfig{EmbedDim: 4, EncoderHidden: 4, Attention: graph.General, AttentionSize: 3}, "attention_size 3 is for the additive attention only"},
	} {
		if _, err := models.NewSeq2Seq(c.cfg, src, tgt, models.Options{}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.cfg, err, c.want)
		}
	}
}

// TestSeq2SeqBadModelDirectories spoils a saved model directory and checks
// that models.LoadSeq2Seq says what is wrong.
func TestSeq2SeqBadModelDirectories(t *testing.T) {
	_, _, src, tgt := toyData(t)
	m, err := models.NewSeq2Seq(toyConfig(), src, tgt, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	good := t.TempDir()
	if err := m.Save(good); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		spoil func(t *testing.T, dir string)
		want  []string
	}{
		{"encoder hidden of a billion", models.SetConfig("encoder_hidden", 1_000_000_000), []string{"encoder_hidden 1000000000 is over the limit of 65536"}},
		{"another decoder size", models.SetConfig("decoder_hidden", 30), []string{"model.safetensors", `tensor "bridge_h.0.weight" has shape [24 32], want [30 32]`}},
		{"unknown field", models.EditConfig(func(s string) string { return strings.Replace(s, "{", `{"beam": 5,`, 1) }), []string{"config.json", `unknown field "beam"`}},
		{"classifier format", models.SetConfig("format", models.FormatV1), []string{`want "gornn-seq2seq/1"`}},
		{"no <bos>", func(t *testing.T, dir string) {
			path := filepath.Join(dir, models.TargetVocabFile)
			data, _ := os.ReadFile(path)
			models.WriteFile(t, path, []byte(strings.Replace(string(data), "<bos>\n", "<b0s>\n", 1)))
		}, []string{`target vocabulary`, `token 2 is "<b0s>", want "<bos>"`}},
		{"missing source vocabulary", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, models.SourceVocabFile)) }, []string{"src_vocab.txt"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, name := range []string{models.ConfigFile, models.SourceVocabFile, models.TargetVocabFile, models.WeightsFile} {
				data, err := os.ReadFile(filepath.Join(good, name))
				if err != nil {
					t.Fatal(err)
				}
				models.WriteFile(t, filepath.Join(dir, name), data)
			}
			c.spoil(t, dir)
			_, err := models.LoadSeq2Seq(dir, models.Options{})
			if err == nil {
				t.Fatal("loaded a spoilt directory")
			}
			for _, part := range c.want {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not contain %q", err, part)
				}
			}
		})
	}
}

// TestSeq2SeqEvaluateDecoding scores the validation reversals with an
// untrained model: every distinct source once, with all its references.
func TestSeq2SeqEvaluateDecoding(t *testing.T) {
	_, _, src, tgt := toyData(t)
	m, err := models.NewSeq2Seq(toyConfig(), src, tgt, models.Options{PredictBatch: 16})
	if err != nil {
		t.Fatal(err)
	}
	p := reversals(40, 5)
	result, err := m.EvaluateDecoding(p, decode.Beam{})
	if err != nil {
		t.Fatal(err)
	}
	if len(result.Words) != p.Groups() || len(result.Metrics.Sources) > p.Groups() {
		t.Fatalf("%d words and %d scored sources for %d distinct sources", len(result.Words), len(result.Metrics.Sources), p.Groups())
	}
	if w := result.Words[8]; len(w.References) != 2 || w.Source != p.Pairs[8].Source {
		t.Errorf("word 8: %+v, want its two references", w)
	}
	scores := result.Metrics.Scores()
	if _, ok := scores["wer"]; !ok {
		t.Errorf("scores %v", scores)
	}
	var _ metrics.Accumulator = result.Metrics
}

func TestAttentionHeatmap(t *testing.T) {
	img, err := models.AttentionHeatmap("abc", []string{"a", "b", "c"}, []string{"C", "B", "A", "<eos>"},
		[][]float64{{0, 0, 1}, {0, 1, 0}, {1, 0, 0}, {0.3, 0.3, 0.4}})
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 3*models.HeatmapCell || b.Dy() < 4*models.HeatmapCell {
		t.Errorf("image of %v", b)
	}
	path := filepath.Join(t.TempDir(), "attention.png")
	if err := models.SaveAttentionHeatmap(path, "abc", []string{"a"}, []string{"A"}, [][]float64{{1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := models.AttentionHeatmap("bad", []string{"a"}, []string{"A", "B"}, [][]float64{{1}}); err == nil {
		t.Error("rows of another count: want an error")
	}
}

// closeValues reports values that differ beyond float32 rounding
// (1e-5 absolute, 1e-4 relative): translating again after a save and a
// load may batch the texts differently.
func closeValues(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-5+1e-4*math.Abs(want[i]) || math.IsNaN(got[i]) {
			t.Errorf("%s: element %d = %.8g, want %.8g", what, i, got[i], want[i])
			return
		}
	}
}

// TestSeq2SeqOneTokenSource translates a one-token source with both graph
// implementations; the composed one used to panic inside Gorgonia's run
// loop (a slice of the one-column attention weights), which no caller can
// recover.
func TestSeq2SeqOneTokenSource(t *testing.T) {
	_, _, src, tgt := toyData(t)
	var outs [][]models.Translation
	for _, impl := range []graph.Impl{graph.Fused, graph.Composed} {
		m, err := models.NewSeq2Seq(toyConfig(), src, tgt, models.Options{Seed: 2, Impl: impl})
		if err != nil {
			t.Fatal(err)
		}
		out, err := m.Translate([]string{"a"}, decode.Beam{})
		if err != nil {
			t.Fatalf("%v: %v", impl, err)
		}
		outs = append(outs, out)
	}
	if outs[0][0].Outputs[0].Text != outs[1][0].Outputs[0].Text {
		t.Errorf("fused %q, composed %q", outs[0][0].Outputs[0].Text, outs[1][0].Outputs[0].Text)
	}
}
