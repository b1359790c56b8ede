package metrics

import (
	"math"
	"sort"

	"github.com/pkg/errors"
)

// Scores are named measures of a model on some data, such as "accuracy",
// "macro_f1" or "perplexity".
type Scores map[string]float64

// Names returns the score names in lexical order.
func (s Scores) Names() []string {
	names := make([]string, 0, len(s))
	for name := range s {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Accumulator gathers a task's measures over batches and reports them as
// Scores. Its state must survive encoding/json, for resuming.
type Accumulator interface {
	Scores() Scores
}

// Detailer is an Accumulator with more to report than scores (a confusion
// matrix, say), as a JSON-encodable value.
type Detailer interface {
	Details() any
}

// Loss is the name under which an Objective refers to the mean loss.
const Loss = "loss"

// Objective says which validation measure picks the best checkpoint: a
// score name (or Loss), and whether higher is better.
type Objective struct {
	Score    string `json:"score"`
	Maximize bool   `json:"maximize"`
}

// Accuracy is the objective of classifiers: the highest accuracy.
var Accuracy = Objective{Score: "accuracy", Maximize: true}

// LowestLoss is the objective of language models: the lowest loss.
var LowestLoss = Objective{Score: Loss}

// Value returns the objective's measure among loss and scores.
func (o Objective) Value(loss float64, scores Scores) (float64, error) {
	if o.Score == Loss {
		return loss, nil
	}
	v, ok := scores[o.Score]
	if !ok {
		return 0, errors.Errorf("metrics: no score %q (have %v)", o.Score, scores.Names())
	}
	return v, nil
}

// Better reports whether a is better than b, the best so far. NaN is never
// better.
func (o Objective) Better(a, b float64) bool {
	if math.IsNaN(a) {
		return false
	}
	if math.IsNaN(b) {
		return true
	}
	if o.Maximize {
		return a > b
	}
	return a < b
}
