package models_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/metrics"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/train"
)

// nerData prepares a tiny IOB2 NER task whose tags follow from the
// words, with characters.
func nerData(t *testing.T) *datasets.PreparedTagged {
	t.Helper()
	var lines []string
	people := []string{"Ann Lee", "Bob", "Carla Diaz Ruiz"}
	places := []string{"Paris", "New York", "Lima"}
	for i := range 60 {
		person := strings.Fields(people[i%3])
		place := strings.Fields(places[(i/3)%3])
		var tokens, tags []string
		for j, w := range person {
			tokens, tags = append(tokens, w), append(tags, map[bool]string{true: "B-PER", false: "I-PER"}[j == 0])
		}
		tokens, tags = append(tokens, "went", "to"), append(tags, "O", "O")
		for j, w := range place {
			tokens, tags = append(tokens, w), append(tags, map[bool]string{true: "B-LOC", false: "I-LOC"}[j == 0])
		}
		tokens, tags = append(tokens, "."), append(tags, "O")
		lines = append(lines, fmt.Sprintf(`{"tokens": %q, "tags": %q}`, tokens, tags))
	}
	for i := range lines {
		lines[i] = strings.ReplaceAll(strings.ReplaceAll(lines[i], `" "`, `", "`), `["`, `["`)
	}
	path := filepath.Join(t.TempDir(), "ner.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := datasets.PrepareTagged(datasets.TaggedSource{Path: path, Chars: true, ValSplit: 0.2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func nerConfig(crf bool) models.TaggerConfig {
	return models.TaggerConfig{Cell: graph.LSTM, EmbedDim: 6, HiddenSize: 5, CRF: crf, Scheme: metrics.IOB2, Constrained: crf, CharDim: 3, CharHidden: 2, MaxWordChars: 8}
}

// TestTaggerTrains trains a softmax and a CRF tagger, with character
// features, and checks that the loss falls and the spans are learnt.
func TestTaggerTrains(t *testing.T) {
	data := nerData(t)
	for _, crf := range []bool{false, true} {
		t.Run(fmt.Sprintf("crf=%v", crf), func(t *testing.T) {
			tagger, err := models.NewTagger(nerConfig(crf), data.Vocab, data.Tags, data.Chars, models.Options{Seed: 2})
			if err != nil {
				t.Fatal(err)
			}
			tr, err := train.New(tagger, train.Config{Epochs: 8, BatchSize: 8, LR: 0.03, Workers: 2, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			res, err := tr.Fit(context.Background(), data.Train, data.Val)
			if err != nil {
				t.Fatal(err)
			}
			first, last := res.Epochs[0], res.Epochs[len(res.Epochs)-1]
			if !(last.TrainLoss < first.TrainLoss/2) || last.Val["f1"] < 0.9 || last.Objective != "f1" {
				t.Errorf("loss %v -> %v, validation %v", first.TrainLoss, last.TrainLoss, last.Val)
			}
			if report := last.ValDetails.(map[string]any)["report"].(string); !strings.Contains(report, "PER: precision:") {
				t.Errorf("report:\n%s", report)
			}
		})
	}
}

// TestTaggerSaveLoad checks that a saved tagger loads into both
// implementations with the same predictions, and what Predict returns.
func TestTaggerSaveLoad(t *testing.T) {
	data := nerData(t)
	sentences := [][]string{{"Ann", "Lee", "went", "to", "Lima", "."}, {"Zed"}, {"New", "York"}}
	for _, crf := range []bool{false, true} {
		tagger, err := models.NewTagger(nerConfig(crf), data.Vocab, data.Tags, data.Chars, models.Options{Seed: 4})
		if err != nil {
			t.Fatal(err)
		}
		want, err := tagger.Predict(sentences)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := tagger.Save(dir); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{models.ConfigFile, models.VocabFile, models.TagsFile, models.CharsFile, models.WeightsFile} {
			if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
				t.Error(err)
			}
		}
		if format, err := models.ReadFormat(dir); err != nil || format != models.TaggerFormatV1 {
			t.Errorf("format %q %v", format, err)
		}
		for _, impl := range []graph.Impl{graph.Fused, graph.Composed} {
			loaded, err := models.LoadTagger(dir, models.Options{Impl: impl})
			if err != nil {
				t.Fatal(err)
			}
			got, err := loaded.Predict(sentences)
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if fmt.Sprint(got[i].Tags) != fmt.Sprint(want[i].Tags) || math.Abs(got[i].Score-want[i].Score) > 1e-4 {
					t.Errorf("crf=%v %v sentence %d: %v %v, want %v %v", crf, impl, i, got[i].Tags, got[i].Score, want[i].Tags, want[i].Score)
				}
				if len(got[i].Tags) != len(sentences[i]) || (crf == (got[i].Probabilities != nil)) {
					t.Errorf("sentence %d: %d tags, probabilities %v", i, len(got[i].Tags), got[i].Probabilities)
				}
				for j, p := range got[i].Probabilities {
					if math.Abs(p-want[i].Probabilities[j]) > 1e-5 || p <= 0 || p > 1 {
						t.Errorf("probability %v, want %v", p, want[i].Probabilities[j])
					}
				}
			}
		}
	}
	iobes, _ := datasets.NewTagSet([]string{"O", "S-PER"})
	if _, err := models.NewTagger(models.TaggerConfig{EmbedDim: 2, HiddenSize: 2, Scheme: metrics.IOB2}, data.Vocab, iobes, nil, models.Options{}); err == nil {
		t.Error("IOBES tags accepted under IOB2")
	}
	if _, err := models.NewTagger(models.TaggerConfig{EmbedDim: 2, HiddenSize: 2, Constrained: true, Scheme: metrics.IOB2}, data.Vocab, data.Tags, nil, models.Options{}); err == nil {
		t.Error("constraints without a CRF accepted")
	}
}

// TestTaggerImplementationsAgree checks that a fused and a composed
// training network of the same tagger give the same loss and gradients
// on the same batch (float32).
func TestTaggerImplementationsAgree(t *testing.T) {
	data := nerData(t)
	b, err := datasets.NewBatcher(data.Train, datasets.BatcherOptions{BatchSize: 5})
	if err != nil {
		t.Fatal(err)
	}
	it := b.Epoch(0)
	it.Next()
	batch := it.Batch()
	for _, crf := range []bool{false, true} {
		var losses []float64
		var grads [][]float64
		for _, impl := range []graph.Impl{graph.Fused, graph.Composed} {
			tagger, err := models.NewTagger(nerConfig(crf), data.Vocab, data.Tags, data.Chars, models.Options{Seed: 5, Impl: impl})
			if err != nil {
				t.Fatal(err)
			}
			net, err := tagger.Network(batch, graph.Train, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := net.SetBatch(batch); err != nil {
				t.Fatal(err)
			}
			if err := net.Run(); err != nil {
				t.Fatal(err)
			}
			loss, weight, err := net.Loss()
			if err != nil || weight != batch.Tokens() {
				t.Fatalf("loss weight %d, want %d tokens: %v", weight, batch.Tokens(), err)
			}
			if err := net.AccumulateGrads(1); err != nil {
				t.Fatal(err)
			}
			losses = append(losses, loss)
			var all []float64
			for _, p := range tagger.Params().List() {
				all = append(all, p.Gradients()...)
			}
			grads = append(grads, all)
		}
		if math.Abs(losses[0]-losses[1]) > 1e-5 {
			t.Errorf("crf=%v: losses %v", crf, losses)
		}
		for i := range grads[0] {
			if d := math.Abs(grads[0][i] - grads[1][i]); d > 1e-5+1e-4*math.Abs(grads[1][i]) {
				t.Fatalf("crf=%v: gradient %d: fused %v, composed %v", crf, i, grads[0][i], grads[1][i])
			}
		}
	}
}

// TestTaggerFrozenEmbeddings checks that a frozen embedding keeps its
// pretrained vectors through training while the rest learns, and the
// coverage report of UsePretrained.
func TestTaggerFrozenEmbeddings(t *testing.T) {
	data := nerData(t)
	vectors := filepath.Join(t.TempDir(), "vectors.vec")
	if err := os.WriteFile(vectors, []byte("3 6\nann 1 2 3 4 5 6\nLima 1 1 1 1 1 1\nwent 0 0 0 0 0 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := datasets.ReadVectors(vectors, datasets.VectorOptions{Want: datasets.WantedBy(data.Vocab)})
	if err != nil {
		t.Fatal(err)
	}
	tagger, err := models.NewTagger(nerConfig(true), data.Vocab, data.Tags, data.Chars, models.Options{Seed: 2, FreezeEmbeddings: true})
	if err != nil {
		t.Fatal(err)
	}
	cov, err := tagger.UsePretrained(v)
	if err != nil {
		t.Fatal(err)
	}
	if cov.Exact != 2 || cov.Lowercase != 1 || cov.Absent != data.Vocab.Len()-5 {
		t.Errorf("coverage %v", cov)
	}
	before := tagger.Params().Get("embedding.weight").Values()
	if id := data.Vocab.ID("Lima"); before[id*6] != 1 {
		t.Errorf("Lima's row %v", before[id*6:id*6+6])
	}
	fc := tagger.Params().Get("fc.weight").Values()
	tr, err := train.New(tagger, train.Config{BatchSize: 8, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(context.Background(), data.Train, nil); err != nil {
		t.Fatal(err)
	}
	if after := tagger.Params().Get("embedding.weight").Values(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Error("the frozen embedding changed")
	}
	if after := tagger.Params().Get("fc.weight").Values(); fmt.Sprint(after) == fmt.Sprint(fc) {
		t.Error("the linear layer did not train")
	}
	wide, _ := datasets.ReadVectors(writeVectors(t, "a 1 2\n"), datasets.VectorOptions{})
	if _, err := tagger.UsePretrained(wide); err == nil || !strings.Contains(err.Error(), "2-dimensional") {
		t.Errorf("dimension mismatch: %v", err)
	}
}

func writeVectors(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "v.txt")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLoadTaggerDistrusts checks that broken tagger directories are
// refused with errors naming the file.
func TestLoadTaggerDistrusts(t *testing.T) {
	data := nerData(t)
	tagger, err := models.NewTagger(nerConfig(true), data.Vocab, data.Tags, data.Chars, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		spoil func(dir string)
		want  string
	}{
		{"tags missing", func(dir string) { os.Remove(filepath.Join(dir, models.TagsFile)) }, "tags.txt"},
		{"a tag short", func(dir string) { os.WriteFile(filepath.Join(dir, models.TagsFile), []byte("O\nB-PER\n"), 0o644) }, "want 5"},
		{"chars missing", func(dir string) { os.Remove(filepath.Join(dir, models.CharsFile)) }, "chars.txt"},
		{"unknown field", func(dir string) {
			os.WriteFile(filepath.Join(dir, models.ConfigFile), []byte(`{"format": "gornn-tagger/1", "colour": 1}`), 0o644)
		}, `unknown field "colour"`},
		{"weights of another config", func(dir string) {
			cfg := tagger.Config()
			cfg.CRF, cfg.Constrained = false, false
			other, _ := models.NewTagger(cfg, data.Vocab, data.Tags, data.Chars, models.Options{})
			other.Params().Save(filepath.Join(dir, models.WeightsFile), nil)
		}, `no tensor "crf.start_transitions"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := tagger.Save(dir); err != nil {
				t.Fatal(err)
			}
			tc.spoil(dir)
			_, err := models.LoadTagger(dir, models.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
