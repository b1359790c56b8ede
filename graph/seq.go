package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Seq is a time-major float sequence of T steps of a padded batch, each
// step a node [B, F], with the lengths of the token sequence it was built
// from (its rows' real steps). It is held either as T step nodes or as one
// node [T, B, F] and converts between the two forms on demand, so a layer
// built from per-step ops and a layer built from one fused op can feed
// each other.
type Seq struct {
	steps  []*G.Node
	whole  *G.Node
	width  int
	tokens *Sequence
}

// StepsSeq returns the sequence made of the step nodes [B, F], one per
// step of tokens, whose lengths it carries.
func StepsSeq(steps []*G.Node, tokens *Sequence) (*Seq, error) {
	if tokens == nil || len(steps) != tokens.cfg.Steps {
		return nil, errors.Errorf("graph: %d steps, want one per step of a token sequence", len(steps))
	}
	shape := steps[0].Shape()
	for t, n := range steps {
		if n.Dims() != 2 || !n.Shape().Eq(shape) || shape[0] != tokens.g.cfg.Batch {
			return nil, errors.Errorf("graph: step %d has shape %v, want [%d, F] like step 0's %v", t, n.Shape(), tokens.g.cfg.Batch, shape)
		}
	}
	return &Seq{steps: steps, width: shape[1], tokens: tokens}, nil
}

// WholeSeq returns the sequence held by the node [T, B, F], with T and B
// those of tokens, whose lengths it carries.
func WholeSeq(whole *G.Node, tokens *Sequence) (*Seq, error) {
	if tokens == nil || whole.Dims() != 3 || whole.Shape()[0] != tokens.cfg.Steps || whole.Shape()[1] != tokens.g.cfg.Batch {
		return nil, errors.Errorf("graph: sequence node has shape %v, want [T, B, F] over a token sequence's T and B", whole.Shape())
	}
	return &Seq{whole: whole, width: whole.Shape()[2], tokens: tokens}, nil
}

// Tokens returns the token sequence whose lengths the sequence carries.
func (s *Seq) Tokens() *Sequence { return s.tokens }

// Len returns T, the number of steps.
func (s *Seq) Len() int {
	if s.whole != nil {
		return s.whole.Shape()[0]
	}
	return len(s.steps)
}

// Width returns F, the number of features of each step.
func (s *Seq) Width() int { return s.width }

// Step returns the node [B, F] of step t.
func (s *Seq) Step(t int) (n *G.Node, err error) {
	defer recoverTo(&err, "graph: sequence step")
	if t < 0 || t >= s.Len() {
		return nil, errors.Errorf("graph: step %d out of range [0, %d)", t, s.Len())
	}
	return s.step(t), nil
}

func (s *Seq) step(t int) *G.Node {
	if s.steps == nil {
		s.steps = make([]*G.Node, s.Len())
	}
	if s.steps[t] == nil {
		s.steps[t] = must(G.Slice(s.whole, G.S(t)))
	}
	return s.steps[t]
}

// Whole returns the sequence as one node [T, B, F].
func (s *Seq) Whole() (n *G.Node, err error) {
	defer recoverTo(&err, "graph: whole sequence")
	return s.wholeNode(), nil
}

func (s *Seq) wholeNode() *G.Node {
	if s.whole == nil {
		shape := s.steps[0].Shape()
		rows := make([]*G.Node, len(s.steps))
		for t, n := range s.steps {
			rows[t] = must(G.Reshape(n, tensor.Shape{1, shape[0], shape[1]}))
		}
		if len(rows) == 1 {
			s.whole = rows[0]
		} else {
			s.whole = must(G.Concat(0, rows...))
		}
	}
	return s.whole
}

// mapSteps returns the sequence of f applied to each step.
func (s *Seq) mapSteps(f func(t int, x *G.Node) *G.Node) *Seq {
	out := make([]*G.Node, s.Len())
	for t := range out {
		out[t] = f(t, s.step(t))
	}
	return &Seq{steps: out, width: out[0].Shape()[1], tokens: s.tokens}
}
