package models_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/train"
)

// Example trains an LSTM classifier on the built-in dataset, where word
// order decides the label, saves it as a model directory, loads it back
// and classifies two new sentences.
func Example() {
	data, err := datasets.Prepare(datasets.Source{BuiltinSize: 2000, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	cfg := models.Config{Cell: graph.LSTM, EmbedDim: 32, HiddenSize: 32, Labels: data.Classes}
	model, err := models.New(cfg, data.Vocab, models.Options{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	trainer, err := train.New(model, train.Config{Epochs: 4, BatchSize: 16, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	result, err := trainer.Fit(context.Background(), data.Train, data.Val)
	if err != nil {
		log.Fatal(err)
	}
	best := result.Epochs[result.BestEpoch-1]
	fmt.Printf("validation accuracy above 95%%: %v\n", best.Val["accuracy"] > 0.95)

	dir, err := os.MkdirTemp("", "gornn-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := model.Save(filepath.Join(dir, "model")); err != nil {
		log.Fatal(err)
	}
	loaded, err := models.Load(filepath.Join(dir, "model"), models.Options{})
	if err != nil {
		log.Fatal(err)
	}
	preds, err := loaded.Predict([]string{"the film was good , not bad", "the film was bad , not good"})
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range preds {
		fmt.Println(p.Label)
	}
	// Output:
	// validation accuracy above 95%: true
	// positive
	// negative
}
