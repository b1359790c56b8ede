// Package metrics measures models: the scores a task reports on its data
// (Scores), the rule that picks the best checkpoint (Objective), and the
// accumulators that gather them batch by batch: Classes for classifiers
// (accuracy, macro F1 and a Confusion matrix with scikit-learn's
// conventions), Tokens for per-token tasks (token accuracy, perplexity,
// bits per character) and Tagging for taggers (token accuracy, and span
// precision, recall and F1 per type and micro-averaged with conlleval's
// semantics for the IOB1, IOB2 and IOBES schemes, reported as conlleval
// prints them).
//
// An accumulator's state is plain JSON (encoding/json), so that a run
// interrupted in the middle of an epoch resumes with its running counts.
package metrics
