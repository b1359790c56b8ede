// Package metrics measures models: the scores a task reports on its data
// (Scores), the rule that picks the best checkpoint (Objective), and the
// accumulators that gather them batch by batch: Classes for classifiers
// (accuracy, macro F1 and a Confusion matrix with scikit-learn's
// conventions) and Tokens for per-token tasks (token accuracy, perplexity,
// bits per character).
//
// An accumulator's state is plain JSON (encoding/json), so that a run
// interrupted in the middle of an epoch resumes with its running counts.
package metrics
