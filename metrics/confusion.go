package metrics

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// Confusion is a confusion matrix over a fixed set of classes: Count(t, p)
// is the number of examples of true class t predicted as class p (rows are
// true labels, columns predictions). Its metrics follow scikit-learn's with
// zero_division=0: a ratio whose denominator is zero is 0.
type Confusion struct {
	names  []string
	counts [][]int
	total  int
}

// NewConfusion returns an empty matrix over classes classes, named "0",
// "1", … until SetNames names them. With fewer than one class, every Add
// fails.
func NewConfusion(classes int) *Confusion {
	classes = max(classes, 0)
	m := &Confusion{names: make([]string, classes), counts: make([][]int, classes)}
	for c := range m.counts {
		m.names[c] = strconv.Itoa(c)
		m.counts[c] = make([]int, classes)
	}
	return m
}

// SetNames names the classes, for String.
func (m *Confusion) SetNames(names []string) error {
	if len(names) != len(m.counts) {
		return errors.Errorf("metrics: %d class names for %d classes", len(names), len(m.counts))
	}
	m.names = append(m.names[:0], names...)
	return nil
}

// Classes returns the number of classes.
func (m *Confusion) Classes() int { return len(m.counts) }

// Names returns the class names.
func (m *Confusion) Names() []string { return m.names }

// Add counts one example of class trueLabel predicted as predicted.
func (m *Confusion) Add(trueLabel, predicted int) error {
	n := len(m.counts)
	if trueLabel < 0 || trueLabel >= n || predicted < 0 || predicted >= n {
		return errors.Errorf("metrics: label %d or prediction %d outside the %d classes", trueLabel, predicted, n)
	}
	m.counts[trueLabel][predicted]++
	m.total++
	return nil
}

// AddBatch counts one example per row of trueLabels and predicted.
func (m *Confusion) AddBatch(trueLabels, predicted []int) error {
	if len(trueLabels) != len(predicted) {
		return errors.Errorf("metrics: %d labels, %d predictions", len(trueLabels), len(predicted))
	}
	for i, t := range trueLabels {
		if err := m.Add(t, predicted[i]); err != nil {
			return errors.Wrapf(err, "row %d", i)
		}
	}
	return nil
}

// Merge adds the counts of other, a matrix over the same classes (one
// filled by another worker, say).
func (m *Confusion) Merge(other *Confusion) error {
	if other.Classes() != m.Classes() {
		return errors.Errorf("metrics: merging a %d-class confusion matrix into a %d-class one", other.Classes(), m.Classes())
	}
	for t, row := range other.counts {
		for p, n := range row {
			m.counts[t][p] += n
		}
	}
	m.total += other.total
	return nil
}

// Reset sets every count to zero.
func (m *Confusion) Reset() {
	for _, row := range m.counts {
		clear(row)
	}
	m.total = 0
}

// Count returns the number of examples of class trueLabel predicted as
// predicted.
func (m *Confusion) Count(trueLabel, predicted int) int { return m.counts[trueLabel][predicted] }

// Counts returns a copy of the matrix, [classes][classes], rows true labels.
func (m *Confusion) Counts() [][]int {
	out := make([][]int, len(m.counts))
	for t, row := range m.counts {
		out[t] = append([]int(nil), row...)
	}
	return out
}

// Total returns the number of examples counted.
func (m *Confusion) Total() int { return m.total }

// Correct returns the number of examples predicted right (the trace).
func (m *Confusion) Correct() int {
	n := 0
	for c, row := range m.counts {
		n += row[c]
	}
	return n
}

// Support returns the number of examples of true class c (row sum).
func (m *Confusion) Support(c int) int {
	n := 0
	for _, v := range m.counts[c] {
		n += v
	}
	return n
}

// Predicted returns the number of examples predicted as class c (column
// sum).
func (m *Confusion) Predicted(c int) int {
	n := 0
	for _, row := range m.counts {
		n += row[c]
	}
	return n
}

// Accuracy returns Correct / Total, or 0 for an empty matrix.
func (m *Confusion) Accuracy() float64 { return ratio(m.Correct(), m.total) }

// Precision returns the precision of class c, tp / (tp + fp): the share of
// predictions of c that are right, 0 when c was never predicted.
func (m *Confusion) Precision(c int) float64 { return ratio(m.counts[c][c], m.Predicted(c)) }

// Recall returns the recall of class c, tp / (tp + fn): the share of class
// c's examples predicted as c, 0 when c has no examples.
func (m *Confusion) Recall(c int) float64 { return ratio(m.counts[c][c], m.Support(c)) }

// F1 returns the F1 score of class c, the harmonic mean of its precision and
// recall computed as scikit-learn does, 2·tp / (2·tp + fp + fn), and 0 when
// c has neither examples nor predictions.
func (m *Confusion) F1(c int) float64 {
	tp := m.counts[c][c]
	return ratio(2*tp, m.Support(c)+m.Predicted(c))
}

// MacroF1 returns the unweighted mean of F1 over the classes that have
// examples or predictions, which is scikit-learn's
// f1_score(y_true, y_pred, average="macro", zero_division=0): a class absent
// from both the labels and the predictions is left out of the mean rather
// than counted as 0. It returns 0 for an empty matrix.
func (m *Confusion) MacroF1() float64 {
	sum, n := 0.0, 0
	for c := range m.counts {
		if m.Support(c)+m.Predicted(c) > 0 {
			sum += m.F1(c)
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / float64(n)
}

func ratio(num, den int) float64 {
	if den == 0 {
		return 0
	}
	return float64(num) / float64(den)
}

// String returns the matrix as a table with the class names, each row's
// recall, each column's precision, the accuracy and the macro F1:
//
//	true\pred   neg   pos recall
//	neg           5     1  0.833
//	pos           2     4  0.667
//	precision 0.714 0.800
//	accuracy 0.750, macro F1 0.748, 12 examples
func (m *Confusion) String() string {
	const corner, precision, recall = "true\\pred", "precision", "recall"
	first := max(len(corner), len(precision))
	widths := make([]int, len(m.names))
	for c, name := range m.names {
		first = max(first, len(name))
		widths[c] = max(len(name), len("0.000"), len(strconv.Itoa(m.Predicted(c))))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s", first, corner)
	for c, name := range m.names {
		fmt.Fprintf(&b, " %*s", widths[c], name)
	}
	fmt.Fprintf(&b, " %s\n", recall)
	for t, row := range m.counts {
		fmt.Fprintf(&b, "%-*s", first, m.names[t])
		for p, n := range row {
			fmt.Fprintf(&b, " %*d", widths[p], n)
		}
		fmt.Fprintf(&b, " %*.3f\n", len(recall), m.Recall(t))
	}
	fmt.Fprintf(&b, "%-*s", first, precision)
	for c := range m.counts {
		fmt.Fprintf(&b, " %*.3f", widths[c], m.Precision(c))
	}
	fmt.Fprintf(&b, "\naccuracy %.3f, macro F1 %.3f, %d examples\n", m.Accuracy(), m.MacroF1(), m.total)
	return b.String()
}
