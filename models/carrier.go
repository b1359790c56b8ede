package models

// Carrier is a Model that can carry state from one batch to the next: a
// language model trained on one stream, whose recurrent state passes from
// each BPTT window to the next, detached. While CarriesState reports
// true, the Trainer keeps the training batches in the data's order (no
// shuffling or bucketing: batch i of every epoch is rows iB..iB+B-1), and
// saves the carried state in the last checkpoint (SaveState) and restores
// it on Resume (LoadState), so that a resumed run continues exactly as an
// uninterrupted one. LanguageModel is one.
type Carrier interface {
	Model
	// CarriesState reports whether the model carries state between
	// batches (a per-document language model does not).
	CarriesState() bool
	// SaveState writes the carried state into the checkpoint directory
	// dir, beside the model's files.
	SaveState(dir string) error
	// LoadState restores the carried state SaveState wrote into dir.
	LoadState(dir string) error
}
