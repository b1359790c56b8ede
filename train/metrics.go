package train

import (
	"encoding/json"
	"math"

	"github.com/gornn/gornn/metrics"
)

// EpochMetrics is what one epoch of training measured: one line of
// metrics.jsonl. The validation fields are zero (Val nil) when the epoch
// had no validation pass. Non-finite numbers (a diverged loss) are written
// to JSON as null and read back as NaN.
type EpochMetrics struct {
	Epoch        int            // 1-based
	Step         int            // optimizer steps taken by the end of the epoch
	TrainLoss    float64        // mean training loss over the epoch's rows or tokens
	Train        metrics.Scores // the task's measures on the epoch's training batches ("accuracy", ...)
	ValLoss      float64        // mean validation loss after the epoch
	Val          metrics.Scores // the task's measures on the validation data ("accuracy", "macro_f1", "perplexity", ...)
	ValDetails   any            // what else validation reports, e.g. {"confusion": [[...]]}
	Objective    string         // the score (or "loss") that picks the best checkpoint
	LR           float64        // learning rate of the epoch's last step
	TokensPerSec float64        // training throughput, tokens (not padding) per second
	Seconds      float64        // wall time of the epoch's training
}

// HasValidation reports whether the epoch had a validation pass.
func (m EpochMetrics) HasValidation() bool { return m.Val != nil }

// epochJSON mirrors EpochMetrics with floats that survive JSON when not
// finite.
type epochJSON struct {
	Epoch        int                  `json:"epoch"`
	Step         int                  `json:"step"`
	TrainLoss    jsonFloat            `json:"train_loss"`
	Train        map[string]jsonFloat `json:"train"`
	ValLoss      jsonFloat            `json:"val_loss"`
	Val          map[string]jsonFloat `json:"val,omitempty"`
	ValDetails   any                  `json:"val_details,omitempty"`
	Objective    string               `json:"objective"`
	LR           jsonFloat            `json:"lr"`
	TokensPerSec jsonFloat            `json:"tokens_per_sec"`
	Seconds      jsonFloat            `json:"seconds"`
}

// MarshalJSON writes m with non-finite numbers as null.
func (m EpochMetrics) MarshalJSON() ([]byte, error) {
	return json.Marshal(epochJSON{
		m.Epoch, m.Step, jsonFloat(m.TrainLoss), toJSONScores(m.Train), jsonFloat(m.ValLoss), toJSONScores(m.Val),
		m.ValDetails, m.Objective, jsonFloat(m.LR), jsonFloat(m.TokensPerSec), jsonFloat(m.Seconds),
	})
}

// UnmarshalJSON reads m, null numbers as NaN.
func (m *EpochMetrics) UnmarshalJSON(data []byte) error {
	var j epochJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*m = EpochMetrics{
		Epoch: j.Epoch, Step: j.Step, TrainLoss: float64(j.TrainLoss), Train: fromJSONScores(j.Train),
		ValLoss: float64(j.ValLoss), Val: fromJSONScores(j.Val), ValDetails: j.ValDetails, Objective: j.Objective,
		LR: float64(j.LR), TokensPerSec: float64(j.TokensPerSec), Seconds: float64(j.Seconds),
	}
	return nil
}

func toJSONScores(s metrics.Scores) map[string]jsonFloat {
	if s == nil {
		return nil
	}
	out := make(map[string]jsonFloat, len(s))
	for k, v := range s {
		out[k] = jsonFloat(v)
	}
	return out
}

func fromJSONScores(s map[string]jsonFloat) metrics.Scores {
	if s == nil {
		return nil
	}
	out := make(metrics.Scores, len(s))
	for k, v := range s {
		out[k] = float64(v)
	}
	return out
}

// jsonFloat is a float64 written as null when not finite, and read as NaN
// from null.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

func (f *jsonFloat) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*f = jsonFloat(math.NaN())
		return nil
	}
	return json.Unmarshal(data, (*float64)(f))
}
