// Package models composes graph's layers into complete models, each a
// Model that the one training loop (package train) trains through its
// Networks, whatever its task. Its Classifier is the AG News lesson's text
// classifier, generalised:
//
//	token ids [B, T] -> Embedding(V, E, padding_idx=0) -> recurrent stack
//	(rnn_tanh, rnn_relu, lstm or gru; layers; bidirectional; dropout)
//	-> pooling (last, mean, max, mean_all) -> Linear(F, C) -> logits [B, C]
//
// A Classifier owns one set of parameters and compiles graphs over it on
// demand, one per batch shape (padded lengths rounded up to a few buckets),
// keeping a bounded number of them. It predicts labels for raw texts, and
// saves to and loads from a model directory that PyTorch can read:
// config.json, vocab.txt and model.safetensors with the state_dict names of
// the equivalent torch.nn modules.
//
// Inference is safe for concurrent use: each Predict call borrows, from a
// pool bounded by Options.PredictConcurrency, scratch memory and compiled
// graphs of its own over the shared, read-only parameters (pool.go; every
// model kind's inference calls use the same pool). Training, through
// Model.Network, is for one goroutine at a time, and must not
// overlap predictions.
package models
