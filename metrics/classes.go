package metrics

import (
	"encoding/json"

	"github.com/pkg/errors"
)

// Classes accumulates a classifier's predictions, one class per row:
// scores "accuracy" and "macro_f1", and the confusion matrix as details.
type Classes struct {
	Confusion *Confusion
}

// NewClasses returns an empty accumulator over the named classes.
func NewClasses(names []string) *Classes {
	m := NewConfusion(len(names))
	_ = m.SetNames(names) // the lengths agree
	return &Classes{Confusion: m}
}

// Add counts one prediction per row.
func (c *Classes) Add(labels, predicted []int) error { return c.Confusion.AddBatch(labels, predicted) }

// Scores returns the accuracy and the macro F1.
func (c *Classes) Scores() Scores {
	return Scores{"accuracy": c.Confusion.Accuracy(), "macro_f1": c.Confusion.MacroF1()}
}

// Details returns the confusion matrix, rows true labels.
func (c *Classes) Details() any { return map[string]any{"confusion": c.Confusion.Counts()} }

// classesJSON is the state of a Classes.
type classesJSON struct {
	Names  []string `json:"names"`
	Counts [][]int  `json:"counts"`
}

// MarshalJSON writes the counts.
func (c *Classes) MarshalJSON() ([]byte, error) {
	return json.Marshal(classesJSON{Names: c.Confusion.Names(), Counts: c.Confusion.Counts()})
}

// UnmarshalJSON restores counts written by MarshalJSON.
func (c *Classes) UnmarshalJSON(data []byte) error {
	var j classesJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	m := NewConfusion(len(j.Names))
	if err := m.SetNames(j.Names); err != nil {
		return err
	}
	if len(j.Counts) != len(j.Names) {
		return errors.Errorf("metrics: %d rows of counts for %d classes", len(j.Counts), len(j.Names))
	}
	for t, row := range j.Counts {
		if len(row) != len(j.Names) {
			return errors.Errorf("metrics: row %d has %d counts for %d classes", t, len(row), len(j.Names))
		}
		for p, n := range row {
			if n < 0 {
				return errors.Errorf("metrics: negative count %d", n)
			}
			m.counts[t][p] = n
			m.total += n
		}
	}
	c.Confusion = m
	return nil
}
