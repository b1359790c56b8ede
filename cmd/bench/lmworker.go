package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/train"
	"github.com/pkg/errors"
)

// lmWork runs a language-model worker mode over the run directory a.dir
// (model/, lm.json, lm.plan, lm-eval.plan), with gornn's own machinery:
// train.Trainer.Step for training, a train.Evaluator for validation,
// LanguageModel.Generate for generation.
func lmWork(a workerArgs) (result, error) {
	start := time.Now()
	data, err := os.ReadFile(filepath.Join(a.dir, lmRunFile))
	if err != nil {
		return result{}, err
	}
	var run lmRun
	if err := json.Unmarshal(data, &run); err != nil {
		return result{}, errors.Wrap(err, lmRunFile)
	}
	opts := models.LMOptions{MaxGraphs: 1 << 10}
	if run.Stream {
		opts.StreamColumns = run.Batch
	}
	model, err := models.LoadLanguageModel(filepath.Join(a.dir, modelDir), opts)
	if err != nil {
		return result{}, err
	}
	if a.mode == modeLMGenerate {
		return lmGenerate(model, run.Generate, start)
	}
	plan, err := readLMPlan(filepath.Join(a.dir, lmTrainPlan))
	if err != nil {
		return result{}, err
	}
	if len(plan) == 0 {
		return result{}, errors.Errorf("%s has no epochs", lmTrainPlan)
	}
	trainer, err := train.New(model, train.Config{Optimizer: run.Optimizer, LR: run.LR, Clip: run.Clip, Workers: a.threads})
	if err != nil {
		return result{}, err
	}
	if a.mode == modeLMPerplexity {
		eval, err := readLMPlan(filepath.Join(a.dir, lmEvalPlan))
		if err != nil {
			return result{}, err
		}
		if len(eval) != 1 {
			return result{}, errors.Errorf("%s: %d epochs, want 1", lmEvalPlan, len(eval))
		}
		return lmPerplexity(model, trainer, run, plan, eval[0], a.threads)
	}
	batches := plan[0]
	if len(batches) < 2 {
		return result{}, errors.Errorf("%s: %d batches, need a warm-up batch and one to measure", lmTrainPlan, len(batches))
	}
	if a.steps > 0 && a.steps < len(batches)-1 {
		batches = batches[:1+a.steps]
	}
	if err := compileLM(model, batches, a.threads); err != nil {
		return result{}, err
	}
	if _, err := trainer.Step(batches[0], run.LR); err != nil {
		return result{}, errors.Wrap(err, "warm-up batch")
	}
	res := result{SetupSeconds: time.Since(start).Seconds()}
	start = time.Now()
	for i, b := range batches[1:] {
		loss, err := trainer.Step(b, run.LR)
		if err != nil {
			return result{}, errors.Wrapf(err, "batch %d", i+2)
		}
		res.Loss += loss
		res.count(b)
	}
	res.Seconds = time.Since(start).Seconds()
	res.Loss /= float64(res.Steps)
	return res, nil
}

// compileLM compiles, untimed, every training network the batches need.
func compileLM(model *models.LanguageModel, batches []datasets.Batch, threads int) error {
	for _, b := range batches {
		n := max(1, min(threads, b.Size))
		for r := 0; r < n; r++ {
			part := datasets.Batch{Size: b.Size*(r+1)/n - b.Size*r/n, Steps: b.Steps}
			if _, err := model.Network(part, graph.Train, r); err != nil {
				return err
			}
		}
	}
	return nil
}

// lmPerplexity trains over every epoch of plan, with run's plateau rule,
// and measures the validation perplexity on eval after each; Seconds is
// the training time alone.
func lmPerplexity(model *models.LanguageModel, trainer *train.Trainer, run lmRun, plan [][]datasets.Batch, eval []datasets.Batch, threads int) (result, error) {
	var res result
	lr, best := run.LR, math.Inf(1)
	for e, epoch := range plan {
		start := time.Now()
		for i, b := range epoch {
			if _, err := trainer.Step(b, lr); err != nil {
				return result{}, errors.Wrapf(err, "epoch %d batch %d", e+1, i+1)
			}
			res.count(b)
		}
		res.Seconds += time.Since(start).Seconds()
		evaluator, err := train.NewEvaluator(model, train.EvalOptions{Workers: threads})
		if err != nil {
			return result{}, err
		}
		for _, b := range eval {
			if err := evaluator.Batch(b); err != nil {
				return result{}, errors.Wrapf(err, "validation after epoch %d", e+1)
			}
		}
		loss := evaluator.Result().Loss
		res.EvalPPL = append(res.EvalPPL, math.Exp(loss))
		if loss < best {
			best = loss
		} else if run.Plateau {
			lr /= 4
		}
	}
	return res, nil
}

// lmGenerate samples tokens at batch 1 and temperature 1 until at least
// tokens are timed, after an untimed warm-up that compiles the step
// graph; a text ends at the end-of-text token (which counts as sampled)
// and the next one starts.
// Steps counts tokens, so ms/step is per token.
func lmGenerate(model *models.LanguageModel, tokens int, start time.Time) (result, error) {
	opts := models.GenerateOptions{MaxTokens: 10, Sampling: models.Sampling{Temperature: 1}}
	if _, err := model.Generate("", opts); err != nil {
		return result{}, err
	}
	res := result{SetupSeconds: time.Since(start).Seconds()}
	begin := time.Now()
	for seed := uint64(1); res.Tokens < tokens; seed++ {
		opts.MaxTokens, opts.Seed = tokens-res.Tokens, seed
		g, err := model.Generate("", opts)
		if err != nil {
			return result{}, err
		}
		res.Tokens += len(g.Tokens)
		if g.Stopped == "eos" {
			res.Tokens++ // sampled, as PyTorch's loop samples it
		}
	}
	res.Seconds = time.Since(begin).Seconds()
	res.Steps, res.Rows, res.PaddedTokens = res.Tokens, 1, res.Tokens
	return res, nil
}
