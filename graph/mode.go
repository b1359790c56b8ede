package graph

// Mode is what a model's graph is built for.
type Mode int

const (
	// Train graphs apply dropout and compute the loss and its gradients.
	Train Mode = iota
	// Evaluate graphs compute the loss without dropout or gradients.
	Evaluate
	// Predict graphs compute only the outputs; batches need no targets.
	Predict
)

// String returns "train", "evaluate" or "predict".
func (m Mode) String() string {
	switch m {
	case Train:
		return "train"
	case Evaluate:
		return "evaluate"
	}
	return "predict"
}
