// Package train trains gornn's models: it holds the training loop (Trainer)
// and the pieces the loop is made of, each usable on its own.
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
// Around each epoch: a Confusion matrix with accuracy, per-class precision,
// recall and F1, and macro F1 (scikit-learn's conventions); EpochMetrics,
// appended as JSON lines to metrics.jsonl by MetricsLog and read back by
// ReadMetricsLog; PlotCurves, the loss and accuracy curves as curves.png;
// and Progress, a progress bar on a terminal or plain lines in a log.
//
// Everything that writes a checkpoint file goes through
// datasets/atomicfile, so that a crash leaves either the old file or the
// new one.
//
// A training step, as the Trainer runs it:
//
//	loss := ... // forward and backward: gradients in params' Grad tensors
//	if name, ok := train.GradsFinite(params); !ok { ... } // diverged at name
//	train.ClipGradNorm(params, 1.0)
//	opt.Step(sched.LR(baseLR, step, stepsPerEpoch, totalSteps)) // also zeroes the gradients
package train
