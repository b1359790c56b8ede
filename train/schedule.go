package train

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// Schedule gives the learning rate of each optimizer step.
type Schedule interface {
	// LR returns the learning rate of step (0-based, counted over the whole
	// run) for base learning rate base, in a run of totalSteps steps of
	// stepsPerEpoch steps per epoch.
	LR(base float64, step, stepsPerEpoch, totalSteps int) float64
	// String returns the schedule as ParseSchedule reads it.
	String() string
}

// Schedules lists the names ParseSchedule accepts.
var Schedules = []string{"constant", "step", "cosine", "warmup", "warmup_cosine", "plateau"}

// ParseSchedule returns the schedule described by spec, a name optionally
// followed by a colon and comma-separated key=value options:
//
//	constant                    (the default, also for "")
//	step[:every=E,gamma=G]      StepDecay
//	cosine                      Cosine
//	warmup[:warmup=W]           Warmup
//	warmup_cosine[:warmup=W]    WarmupCosine
//	plateau[:factor=F]          Plateau
//
// An option left out takes the schedule's default.
func ParseSchedule(spec string) (Schedule, error) {
	name, opts, _ := strings.Cut(strings.TrimSpace(spec), ":")
	values := map[string]float64{}
	if opts != "" {
		for _, kv := range strings.Split(opts, ",") {
			k, v, ok := strings.Cut(kv, "=")
			x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if !ok || err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, errors.Errorf("train: schedule %q: option %q is not key=number", spec, kv)
			}
			values[strings.TrimSpace(k)] = x
		}
	}
	var s Schedule
	var allowed []string
	switch name {
	case "", "constant":
		s = Constant{}
	case "step":
		every, gamma := values["every"], values["gamma"]
		if every != math.Trunc(every) || every < 0 || gamma < 0 {
			return nil, errors.Errorf("train: schedule %q: every must be a whole number of epochs and gamma not negative", spec)
		}
		s, allowed = StepDecay{Every: int(every), Gamma: gamma}, []string{"every", "gamma"}
	case "cosine":
		s = Cosine{}
	case "warmup", "warmup_cosine":
		w := values["warmup"]
		if w < 0 || (w > 1 && w != math.Trunc(w)) {
			return nil, errors.Errorf("train: schedule %q: warmup must be a fraction of the run below 1 or a whole number of steps", spec)
		}
		s, allowed = Warmup{Warmup: w}, []string{"warmup"}
		if name == "warmup_cosine" {
			s = WarmupCosine{Warmup: w}
		}
	case "plateau":
		if f, ok := values["factor"]; ok && f <= 1 {
			return nil, errors.Errorf("train: schedule %q: factor must be above 1", spec)
		}
		s, allowed = Plateau{Factor: values["factor"]}, []string{"factor"}
	default:
		return nil, errors.Errorf("train: unknown schedule %q (have %q)", name, Schedules)
	}
	for k := range values {
		if !slices.Contains(allowed, k) {
			return nil, errors.Errorf("train: schedule %q: unknown option %q (have %q)", spec, k, allowed)
		}
	}
	return s, nil
}

// Constant keeps the base learning rate.
type Constant struct{}

// LR returns base.
func (Constant) LR(base float64, _, _, _ int) float64 { return base }

// String returns "constant".
func (Constant) String() string { return "constant" }

// StepDecay is torch.optim.lr_scheduler.StepLR stepped once per epoch: the
// learning rate of epoch e (0-based) is base · Gamma^⌊e / Every⌋.
type StepDecay struct {
	// Every is the number of epochs between decays. Default 0: a third of
	// the run's epochs (rounded up), so the rate decays twice.
	Every int
	// Gamma is the factor of each decay. Default 0.1.
	Gamma float64
}

// LR returns the decayed learning rate of step's epoch.
func (s StepDecay) LR(base float64, step, stepsPerEpoch, totalSteps int) float64 {
	stepsPerEpoch = max(stepsPerEpoch, 1)
	every := s.Every
	if every <= 0 {
		epochs := max((totalSteps+stepsPerEpoch-1)/stepsPerEpoch, 1)
		every = (epochs + 2) / 3
	}
	return base * math.Pow(orDefault(s.Gamma, 0.1), float64(max(step, 0)/stepsPerEpoch/every))
}

// String returns the schedule as ParseSchedule reads it.
func (s StepDecay) String() string {
	return spec("step", option{"every", float64(s.Every)}, option{"gamma", s.Gamma})
}

// Cosine is torch.optim.lr_scheduler.CosineAnnealingLR with T_max the run's
// total steps, stepped once per optimizer step, annealing to 0:
// base · (1 + cos(π·step/totalSteps)) / 2. Steps past the end get 0.
type Cosine struct{}

// LR returns the annealed learning rate of step.
func (Cosine) LR(base float64, step, _, totalSteps int) float64 {
	return cosine(base, step, totalSteps)
}

// String returns "cosine".
func (Cosine) String() string { return "cosine" }

func cosine(base float64, step, total int) float64 {
	if total <= 0 || step >= total {
		return 0
	}
	return base * (1 + math.Cos(math.Pi*float64(max(step, 0))/float64(total))) / 2
}

// Warmup raises the learning rate linearly over the first W steps,
// base·(step+1)/W, then keeps base.
type Warmup struct {
	// Warmup is W: a number of steps when at least 1, a fraction of the
	// run's total steps when below 1. Default 0: 0.1, a tenth of the run.
	// W is at least 1 step and at most the whole run.
	Warmup float64
}

// LR returns the warmed-up learning rate of step.
func (w Warmup) LR(base float64, step, _, totalSteps int) float64 {
	n := warmupSteps(w.Warmup, totalSteps)
	if step < n {
		return warmupLR(base, step, n)
	}
	return base
}

// String returns the schedule as ParseSchedule reads it.
func (w Warmup) String() string { return spec("warmup", option{"warmup", w.Warmup}) }

// WarmupCosine is Warmup followed by Cosine annealing to 0 over the
// remaining steps: base·(1 + cos(π·(step-W)/(totalSteps-W)))/2.
type WarmupCosine struct {
	// Warmup is W, as in Warmup. Default 0: 0.1, a tenth of the run.
	Warmup float64
}

// LR returns the learning rate of step.
func (w WarmupCosine) LR(base float64, step, _, totalSteps int) float64 {
	n := warmupSteps(w.Warmup, totalSteps)
	if step < n {
		return warmupLR(base, step, n)
	}
	return cosine(base, step-n, totalSteps-n)
}

// String returns the schedule as ParseSchedule reads it.
func (w WarmupCosine) String() string { return spec("warmup_cosine", option{"warmup", w.Warmup}) }

// option is one key=value option of a schedule spec.
type option struct {
	key   string
	value float64
}

// spec formats a schedule name and its non-default (non-zero) options.
func spec(name string, opts ...option) string {
	var set []string
	for _, o := range opts {
		if o.value != 0 {
			set = append(set, o.key+"="+strconv.FormatFloat(o.value, 'g', -1, 64))
		}
	}
	if len(set) == 0 {
		return name
	}
	return name + ":" + strings.Join(set, ",")
}

// warmupLR returns the learning rate of step within a warmup of n steps,
// base·(step+1)/n.
func warmupLR(base float64, step, n int) float64 {
	return base * float64(max(step, 0)+1) / float64(n)
}

// warmupSteps resolves a Warmup option into a number of steps in
// [1, max(total, 1)].
func warmupSteps(w float64, total int) int {
	w = orDefault(w, 0.1)
	n := int(w)
	if w < 1 {
		n = int(math.Round(w * float64(total)))
	}
	return min(max(n, 1), max(total, 1))
}
