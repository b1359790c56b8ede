package metrics

import (
	"math"
	"strings"
	"testing"
)

// fill returns a matrix with counts[t][p] examples.
func fill(t *testing.T, counts [][]int) *Confusion {
	t.Helper()
	m := NewConfusion(len(counts))
	for tr, row := range counts {
		for p, n := range row {
			for range n {
				if err := m.Add(tr, p); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return m
}

// TestConfusionMetrics checks the metrics against values worked out by
// hand (and by scikit-learn's accuracy_score, precision/recall/f1_score
// with zero_division=0).
func TestConfusionMetrics(t *testing.T) {
	const tol = 1e-12
	tests := []struct {
		name      string
		counts    [][]int
		accuracy  float64
		precision []float64
		recall    []float64
		f1        []float64
		macroF1   float64
	}{
		{
			name:      "binary",
			counts:    [][]int{{5, 1}, {2, 4}},
			accuracy:  9.0 / 12,
			precision: []float64{5.0 / 7, 4.0 / 5},
			recall:    []float64{5.0 / 6, 4.0 / 6},
			f1:        []float64{10.0 / 13, 8.0 / 11}, // 2tp/(2tp+fp+fn)
			macroF1:   (10.0/13 + 8.0/11) / 2,
		},
		{
			name:      "perfect",
			counts:    [][]int{{3, 0, 0}, {0, 2, 0}, {0, 0, 1}},
			accuracy:  1,
			precision: []float64{1, 1, 1},
			recall:    []float64{1, 1, 1},
			f1:        []float64{1, 1, 1},
			macroF1:   1,
		},
		{
			// Class 2 is never predicted: precision 0 (zero_division=0).
			name:      "class never predicted",
			counts:    [][]int{{2, 1, 0}, {0, 3, 0}, {1, 1, 0}},
			accuracy:  5.0 / 8,
			precision: []float64{2.0 / 3, 3.0 / 5, 0},
			recall:    []float64{2.0 / 3, 1, 0},
			f1:        []float64{4.0 / 6, 6.0 / 8, 0},
			macroF1:   (4.0/6 + 6.0/8 + 0) / 3,
		},
		{
			// Class 2 has no examples and no predictions: F1 0, and left
			// out of the macro average, as sklearn's f1_score(average=
			// "macro") does when the class appears in neither y_true nor
			// y_pred.
			name:      "class absent",
			counts:    [][]int{{2, 1, 0}, {1, 2, 0}, {0, 0, 0}},
			accuracy:  4.0 / 6,
			precision: []float64{2.0 / 3, 2.0 / 3, 0},
			recall:    []float64{2.0 / 3, 2.0 / 3, 0},
			f1:        []float64{2.0 / 3, 2.0 / 3, 0},
			macroF1:   2.0 / 3,
		},
		{
			// Class 1 has no examples but is predicted: it counts, with F1 0.
			name:      "class only predicted",
			counts:    [][]int{{3, 1}, {0, 0}},
			accuracy:  3.0 / 4,
			precision: []float64{1, 0},
			recall:    []float64{3.0 / 4, 0},
			f1:        []float64{6.0 / 7, 0},
			macroF1:   3.0 / 7,
		},
		{
			name:      "empty",
			counts:    [][]int{{0, 0}, {0, 0}},
			precision: []float64{0, 0},
			recall:    []float64{0, 0},
			f1:        []float64{0, 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := fill(t, tt.counts)
			check := func(what string, got, want float64) {
				if math.Abs(got-want) > tol {
					t.Errorf("%s = %v, want %v", what, got, want)
				}
			}
			check("accuracy", m.Accuracy(), tt.accuracy)
			check("macro F1", m.MacroF1(), tt.macroF1)
			for c := range tt.counts {
				check("precision", m.Precision(c), tt.precision[c])
				check("recall", m.Recall(c), tt.recall[c])
				check("F1", m.F1(c), tt.f1[c])
			}
		})
	}
}

func TestConfusionCounting(t *testing.T) {
	m := NewConfusion(3)
	if err := m.AddBatch([]int{0, 1, 2, 2}, []int{0, 2, 2, 1}); err != nil {
		t.Fatal(err)
	}
	if err := m.Add(3, 0); err == nil {
		t.Error("Add of label 3 to a 3-class matrix succeeded")
	}
	if err := m.Add(0, -1); err == nil {
		t.Error("Add of prediction -1 succeeded")
	}
	if err := m.AddBatch([]int{0}, []int{0, 1}); err == nil {
		t.Error("AddBatch of mismatched lengths succeeded")
	}
	if err := m.AddBatch([]int{0, 5}, []int{0, 1}); err == nil || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("AddBatch with a bad label: error %v", err)
	}
	if m.Total() != 5 || m.Correct() != 3 || m.Count(1, 2) != 1 || m.Support(2) != 2 || m.Predicted(2) != 2 {
		t.Errorf("total %d correct %d, counts %v", m.Total(), m.Correct(), m.Counts())
	}
	counts := m.Counts()
	counts[0][0] = 99
	if m.Count(0, 0) != 2 {
		t.Error("Counts shares memory with the matrix")
	}
	other := NewConfusion(3)
	other.Add(1, 1)
	if err := m.Merge(other); err != nil || m.Total() != 6 || m.Count(1, 1) != 1 {
		t.Errorf("Merge: %v, total %d", err, m.Total())
	}
	if err := m.Merge(NewConfusion(2)); err == nil {
		t.Error("Merge of a 2-class matrix into a 3-class one succeeded")
	}
	m.Reset()
	if m.Total() != 0 || m.Correct() != 0 || m.Accuracy() != 0 {
		t.Errorf("after Reset: total %d", m.Total())
	}
	if err := m.SetNames([]string{"a", "b"}); err == nil {
		t.Error("SetNames with 2 names for 3 classes succeeded")
	}
	if err := NewConfusion(0).Add(0, 0); err == nil {
		t.Error("Add to a 0-class matrix succeeded")
	}
}

func TestConfusionString(t *testing.T) {
	m := fill(t, [][]int{{5, 1}, {2, 4}})
	if err := m.SetNames([]string{"neg", "pos"}); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"true\\pred   neg   pos recall\n" +
		"neg           5     1  0.833\n" +
		"pos           2     4  0.667\n" +
		"precision 0.714 0.800\n" +
		"accuracy 0.750, macro F1 0.748, 12 examples\n"
	if got := m.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
}
