package train

import (
	"fmt"
	"strings"
	"time"

	"github.com/gornn/gornn/metrics"
)

// EpochSummary formats the metrics of a finished epoch (of epochs in all)
// as the one line Fit writes to Config.Progress after validating it, in
// the style of Keras: the time taken, the training loss and scores, then
// the validation loss and scores (absent without validation), scores in
// name order:
//
//	epoch 2/5 - 2.6s - loss: 0.4012 - accuracy: 0.8231 - macro_f1: 0.8190 - val_loss: 0.4630 - val_accuracy: 0.7950 - val_macro_f1: 0.7911
func EpochSummary(m EpochMetrics, epochs int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "epoch %d/%d - %v - loss: %.4f", m.Epoch, epochs, roundDuration(m.Seconds), m.TrainLoss)
	writeScores(&b, "", m.Train)
	if m.HasValidation() {
		fmt.Fprintf(&b, " - val_loss: %.4f", m.ValLoss)
		writeScores(&b, "val_", m.Val)
	}
	return b.String()
}

// writeScores writes " - <prefix><name>: <value>" for each score.
func writeScores(b *strings.Builder, prefix string, scores metrics.Scores) {
	for _, name := range scores.Names() {
		fmt.Fprintf(b, " - %s%s: %.4f", prefix, name, scores[name])
	}
}

// roundDuration returns seconds as a duration to about two significant
// digits below a minute (43ms, 2.6s, 17s) and to the second above.
func roundDuration(seconds float64) time.Duration {
	d := time.Duration(seconds * float64(time.Second))
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond)
	case d < 10*time.Second:
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}
