package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/gornn/gornn/models"
	"github.com/pkg/errors"
)

// A scorer answers for texts with a model of one kind: one JSON object per
// text, the object cmd/predict -json prints for it.
type scorer interface {
	// Score returns the answers for texts, in order.
	Score(texts []string) ([][]byte, error)
	// BatchSize is the number of texts best scored together.
	BatchSize() int
}

// scorers are the model kinds beamscore runs, by the format of their
// config.json (models.ReadFormat): each loads a scorer from a local model
// directory, with a batch size (0: the kind's default). A new kind adds
// one line here, as it does to cmd/predict's predictors.
var scorers = map[string]func(dir string, batch int) (scorer, error){
	models.FormatV1: loadClassifier,
}

// loadScorer loads the model directory dir with the scorer of its format.
func loadScorer(dir string, batch int) (scorer, error) {
	format, err := models.ReadFormat(dir)
	if err != nil {
		return nil, err
	}
	load, ok := scorers[format]
	if !ok {
		known := make([]string, 0, len(scorers))
		for f := range scorers {
			known = append(known, f)
		}
		sort.Strings(known)
		return nil, errors.Errorf("beamscore: %s holds a model of format %q, which beamscore does not know (want one of %s)", dir, format, strings.Join(known, ", "))
	}
	return load(dir, batch)
}

// classifierScorer labels texts with a models.Classifier.
type classifierScorer struct {
	model *models.Classifier
	batch int
}

func loadClassifier(dir string, batch int) (scorer, error) {
	model, err := models.Load(dir, models.Options{PredictBatch: batch})
	if err != nil {
		return nil, err
	}
	if batch == 0 {
		batch = classifierBatch
	}
	return &classifierScorer{model: model, batch: batch}, nil
}

// classifierBatch is models.Options.PredictBatch's default.
const classifierBatch = 64

func (c *classifierScorer) BatchSize() int { return c.batch }

// Score returns {"text", "label", "probabilities"} for each text, as
// cmd/predict -json writes it.
func (c *classifierScorer) Score(texts []string) ([][]byte, error) {
	preds, err := c.model.Predict(texts)
	if err != nil {
		return nil, err
	}
	labels := c.model.Config().Labels
	answers := make([][]byte, len(preds))
	for i, p := range preds {
		probs := make(map[string]float64, len(labels))
		for j, l := range labels {
			probs[l] = p.Probabilities[j]
		}
		if answers[i], err = json.Marshal(struct {
			Text          string             `json:"text"`
			Label         string             `json:"label"`
			Probabilities map[string]float64 `json:"probabilities"`
		}{texts[i], p.Label, probs}); err != nil {
			return nil, errors.Wrapf(err, "beamscore: text %d", i)
		}
	}
	return answers, nil
}

// localModelDir returns dir when it is a local directory, or else a local
// copy of the files of dir, a path on another Beam filesystem (gs://...),
// and true.
func localModelDir(ctx context.Context, dir string) (string, bool, error) {
	if !strings.Contains(dir, "://") {
		return dir, false, nil
	}
	fs, err := filesystem.New(ctx, dir)
	if err != nil {
		return "", false, err
	}
	defer fs.Close()
	names, err := fs.List(ctx, strings.TrimSuffix(dir, "/")+"/*")
	if err != nil {
		return "", false, errors.Wrapf(err, "beamscore: listing %s", dir)
	}
	local, err := os.MkdirTemp("", "beamscore-model-")
	if err != nil {
		return "", false, err
	}
	for _, name := range names {
		data, err := filesystem.Read(ctx, fs, name)
		if err == nil {
			err = os.WriteFile(filepath.Join(local, filepath.Base(name)), data, 0o644)
		}
		if err != nil {
			os.RemoveAll(local)
			return "", false, errors.Wrapf(err, "beamscore: copying %s", name)
		}
	}
	return local, true, nil
}
