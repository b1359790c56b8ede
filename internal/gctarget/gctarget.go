// Package gctarget sets the garbage-collection target of gornn's
// commands.
//
// Go collects when the heap has grown by GOGC percent (100 by default)
// over what the last collection left live, so a process's peak heap is
// about twice its live memory. gornn's live memory is mostly weights,
// gradients and kernel buffers: large []float32 without pointers, which
// a collection neither scans nor moves, so collecting more often costs
// little time. With a target of 25%, the word-level language model of
// cmd/bench -lm peaked at 450 MiB instead of 707 MiB, at the same speed
// within the run-to-run noise (2,136 against 2,143 tokens/s), and the
// character model's training speed did not move beyond its noise either.
package gctarget

import (
	"os"
	"runtime/debug"
)

// Percent is the target Set gives: collect when the heap has grown by
// a quarter over the live memory.
const Percent = 25

// Set sets the collection target to Percent, unless the GOGC environment
// variable is set, which then decides as usual.
func Set() {
	if _, ok := os.LookupEnv("GOGC"); !ok {
		debug.SetGCPercent(Percent)
	}
}
