package main

import (
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
)

// modelFLOPs returns the floating-point operations of the matrix products
// of cfg's classifier on rows sequences of tokens real tokens in all, in
// mode: forward only for infer (and latency), forward and backward for
// train. Padding is not counted, even where a padded model computes it, so
// that both sides are credited with the same work.
//
// A product of [m, k] by [k, n] costs 2mkn. With G gate blocks (1 for an
// RNN, 3 for a GRU, 4 for an LSTM), hidden size H, D directions (2 when
// bidirectional, else 1), embedding size E, L layers and C classes, each
// real token costs, forward, in each layer l and direction:
//
//	input projection  2 · I_l · G·H   (I_0 = E; I_l = D·H above the first layer)
//	recurrent product 2 · H · G·H
//
// and each row costs 2 · W · C in the final linear layer, W = D·H when the
// directions are concatenated, else H. So
//
//	forward = tokens · D · Σ_l 2·G·H·(I_l + H)  +  rows · 2·W·C
//
// Backward computes, for each product, the gradients of both operands,
// each as costly as the product, so train = 3 · forward. Embedding
// lookups, activations, pooling and the optimizer are not products and
// are not counted.
func modelFLOPs(cfg models.Config, mode string, tokens, rows int) float64 {
	gh := float64(cfg.Cell.Gates() * cfg.HiddenSize)
	h := float64(cfg.HiddenSize)
	dirs, width := 1.0, h
	if cfg.Bidirectional {
		dirs = 2
		if cfg.Merge == graph.Concat {
			width = 2 * h
		}
	}
	perToken := 0.0
	in := float64(cfg.EmbedDim)
	for range max(cfg.NumLayers, 1) {
		perToken += dirs * 2 * gh * (in + h)
		in = dirs * h
	}
	forward := float64(tokens)*perToken + float64(rows)*2*width*float64(cfg.NumClasses)
	if mode == modeTrain {
		return 3 * forward
	}
	return forward
}
