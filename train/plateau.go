package train

import "math"

// PlateauSchedule is a Schedule that also lowers the learning rate when
// validation stops improving. The Trainer counts plateaus, the epochs so
// far whose validation objective was not better than the best before
// them (saved in the last checkpoint, so a resumed run counts on), and
// uses Decay(LR(...), plateaus) as each step's rate.
type PlateauSchedule interface {
	Schedule
	// Decay returns the learning rate lr after plateaus epochs without
	// improvement.
	Decay(lr float64, plateaus int) float64
}

// Plateau is the schedule of PyTorch's word_language_model example: the
// base learning rate, divided by Factor after every epoch whose
// validation loss (the objective) is not better than the best so far.
// Without validation it stays constant.
type Plateau struct {
	// Factor divides the learning rate at each plateau. Default 0: 4, the
	// example's.
	Factor float64
}

// LR returns base: the decay depends on validation (Decay).
func (Plateau) LR(base float64, _, _, _ int) float64 { return base }

// Decay returns lr / Factor^plateaus.
func (p Plateau) Decay(lr float64, plateaus int) float64 {
	return lr / math.Pow(orDefault(p.Factor, 4), float64(plateaus))
}

// String returns the schedule as ParseSchedule reads it.
func (p Plateau) String() string { return spec("plateau", option{"factor", p.Factor}) }

var _ PlateauSchedule = Plateau{}
