// Package train trains gornn's models, whatever their task: it holds the
// one training loop (Trainer) and the pieces the loop is made of, each
// usable on its own.
//
// A model plugs into the loop through two small interfaces of package
// models. A models.Model has parameters, builds a models.Network for any
// batch shape, and names its task's measures (NewMetrics, a
// metrics.Accumulator) and the validation measure that picks the best
// checkpoint (Objective). A models.Network runs one worker's share of a
// batch and reports its mean loss with the weight to combine it by: rows
// for a classifier, tokens for a language model, a tagger or a decoder.
// The Trainer splits every batch over data-parallel workers, sums their
// gradients in worker order weighted by those shares, clips, steps the
// optimizer, and around that runs schedules, validation (Evaluate), early
// stopping, best and last checkpoints, bit-exact resume, interruption by
// its caller's context, a *NonFiniteLossError on divergence,
// metrics.jsonl and curves.png.
//
// Optimizers (NewOptimizer: "sgd", "adam", "rmsprop", "adagrad") update a
// graph.Params in place from its gradients and zero the gradients in the
// same pass, following PyTorch 1.13's torch.optim update rules operation
// by operation in the parameters' dtype, including the fused multiply-adds
// of PyTorch's AVX2 kernels, so that the same gradients give the same
// float32 weights bit for bit (see testdata/make_optim_fixtures.py). The
// float32 updates run in AVX2 assembly where the CPU has it and in pure Go
// elsewhere (or with the purego build tag), with the same bits; elements
// with zero gradient and state, such as the embedding rows no batch has
// touched yet, are skipped, which changes no bit either. A step allocates
// nothing and may share its elementwise work among goroutines without
// changing any result. Their state round-trips through OptimizerState,
// SaveOptimizerState and LoadOptimizerState for checkpoints.
//
// Around each step: ClipGradNorm (torch.nn.utils.clip_grad_norm_),
// GradsFinite, and a learning-rate Schedule (ParseSchedule: constant, step,
// cosine, warmup, warmup_cosine).
//
// Around each epoch: EpochMetrics (the losses and the task's scores, see
// package metrics), appended as JSON lines to metrics.jsonl by MetricsLog
// and read back by ReadMetricsLog; PlotCurves, the loss and objective
// curves as curves.png; and Progress, a progress bar on a terminal or plain
// lines in a log.
//
// A checkpoint (last/, best/) is one unit: a folder written whole and
// renamed into place (internal/atomicfile), closed by a manifest of its
// files' sizes and SHA-256 that also ties last/ to the metrics log. A run
// killed at any moment, kill -9 included, leaves a directory that Resume
// either continues exactly or refuses with a message saying what
// disagrees (see Resume and RecoverRun); a new run saves its first
// checkpoint before it trains.
//
// A training step, as the Trainer runs it:
//
//	loss := ... // forward and backward: gradients in params' Grad tensors
//	if name, ok := train.GradsFinite(params); !ok { ... } // diverged at name
//	train.ClipGradNorm(params, 1.0)
//	opt.Step(sched.LR(baseLR, step, stepsPerEpoch, totalSteps)) // also zeroes the gradients
package train
