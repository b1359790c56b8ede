package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Targets are the integer targets of a loss, an input of a graph: one class
// per row (NewLabels, [B]) or one id per token of a sequence
// (NewTokenTargets, [B*T]). A negative target is ignored, as PyTorch
// ignores its default ignore_index -100; a token target past its row's
// length is ignored too. Ignored targets add nothing to a loss and do not
// count in its mean.
type Targets struct {
	g       *Graph
	name    string
	seq     *Sequence // nil for labels
	node    *G.Node   // int [B], or [T*B] time-major with -1 where ignored
	classes int       // the loss's classes: valid targets are below it; 0 before a loss reads the targets
	set     bool
	sets    int // the sequence's Set count when the targets were set
	count   int
	inputs  []*input // refilled at every Set (a Composed loss's weights)
}

// NewLabels declares one class per row, [B], called name.
func (g *Graph) NewLabels(name string) *Targets {
	b := g.cfg.Batch
	v := tensor.New(tensor.Of(tensor.Int), tensor.WithShape(b))
	t := &Targets{g: g, name: name}
	t.node = G.NewVector(g.expr, tensor.Int, G.WithShape(b), G.WithName(g.uniqueName(name)), G.WithValue(v))
	g.targets = append(g.targets, t)
	return t
}

// NewTokenTargets declares one target id per token of seq, [B*T], called
// name: the next token of a language model, a tag, a decoder's output.
func (g *Graph) NewTokenTargets(name string, seq *Sequence) (*Targets, error) {
	if !g.owns(seq) {
		return nil, errors.Errorf("graph: targets %q: the sequence is not one of this graph's", name)
	}
	n := seq.cfg.Steps * g.cfg.Batch
	v := tensor.New(tensor.Of(tensor.Int), tensor.WithShape(n))
	t := &Targets{g: g, name: name, seq: seq}
	t.node = G.NewVector(g.expr, tensor.Int, G.WithShape(n), G.WithName(g.uniqueName(name)), G.WithValue(v))
	g.targets = append(g.targets, t)
	return t, nil
}

// Name returns the name the targets were declared with.
func (t *Targets) Name() string { return t.name }

// Set loads the targets of one batch: for labels, ids [B]; for token
// targets, ids [B*T] row-major like the sequence's ids, with T its current
// padded length (Set the sequence first). Each target must be negative
// (ignored) or below the number of classes of the loss that reads them.
func (t *Targets) Set(ids []int) error {
	b := t.g.cfg.Batch
	want := b
	if t.seq != nil {
		if t.seq.lengths == nil {
			return errors.Errorf("graph: targets %q: Set sequence %q first", t.name, t.seq.name)
		}
		want = b * t.seq.active
	}
	if len(ids) != want {
		return errors.Errorf("graph: targets %q: %d ids, want %d", t.name, len(ids), want)
	}
	for i, id := range ids {
		if t.classes > 0 && id >= t.classes {
			if t.seq != nil {
				return errors.Errorf("graph: targets %q: row %d step %d has target %d, want below %d", t.name, i/t.seq.active, i%t.seq.active, id, t.classes)
			}
			return errors.Errorf("graph: targets %q: row %d has label %d, want 0..%d", t.name, i, id, t.classes-1)
		}
	}
	dst := t.node.Value().Data().([]int)
	t.count = 0
	if t.seq == nil {
		copy(dst, ids)
		for _, id := range ids {
			if id >= 0 {
				t.count++
			}
		}
	} else {
		steps := t.seq.active
		for i := range dst {
			dst[i] = -1
		}
		for row, n := range t.seq.lengths {
			for s := 0; s < n; s++ {
				if id := ids[row*steps+s]; id >= 0 {
					dst[s*b+row] = id
					t.count++
				}
			}
		}
		t.sets = t.seq.sets
	}
	t.set = true
	for _, in := range t.inputs {
		in.refill()
	}
	return nil
}

// values returns the current targets as the node holds them: [B], or
// [T*B] time-major with -1 where ignored.
func (t *Targets) values() []int { return t.node.Value().Data().([]int) }

// Count returns how many of the current targets count: those not ignored.
// A loss's mean is over them, so data-parallel workers combine their
// losses weighted by it.
func (t *Targets) Count() int { return t.count }

// readBy records that a loss over classes classes reads the targets.
func (t *Targets) readBy(classes int) error {
	if t.classes != 0 && t.classes != classes {
		return errors.Errorf("graph: targets %q are already read by a loss over %d classes", t.name, t.classes)
	}
	t.classes = classes
	return nil
}
