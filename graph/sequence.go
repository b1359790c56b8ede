package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// SequenceConfig declares a token sequence of a graph. The zero value of
// each optional field is its documented default.
type SequenceConfig struct {
	// Steps is T, the longest padded length the sequence takes (required):
	// a Fused graph takes any batch padded to at most T, a Composed graph
	// exactly T.
	Steps int
	// Padded runs the layers over the padding too, like an unpacked
	// PyTorch RNN over a padded batch: every row counts as long as the
	// batch's padded length, whatever lengths Set is given. Default false:
	// packed sequences.
	Padded bool
}

// Sequence is one padded token sequence, an input of a graph: B rows of
// token ids padded to at most Steps, each with its true length. A graph
// may hold several (the source and the target of a translation, say), each
// with its own lengths. Layers take it as an argument (Embedding.Build),
// and the float sequences built from it (Seq) carry its lengths to the
// layers downstream: recurrent layers follow the semantics of PyTorch's
// packed sequences over them.
type Sequence struct {
	g      *Graph
	name   string
	cfg    SequenceConfig
	tokens *G.Node // int [T*B], time-major: the id of row b at step t is at t*B + b
	layout *G.Node // int [B+1]: the rows' lengths, then the batch's padded length

	vocabSize int // the embedding's rows, for checking ids; 0 before an embedding reads it
	inputs    []*input
	masks     map[int]*stepMasks

	lengths []int // the current batch's lengths (all equal to active when Padded)
	active  int   // the current batch's padded length
	sets    int   // how many batches were Set, for checking that targets follow
}

// stepMasks holds, for one feature width, the per-step masks [B, width] of a
// Composed graph: keep is 1 where step t is a real token of the row, hold
// is 1 - keep.
type stepMasks struct {
	keep, hold []*G.Node
}

// NewSequence declares a token sequence input of the graph, called name
// (for messages).
func (g *Graph) NewSequence(name string, cfg SequenceConfig) (*Sequence, error) {
	if cfg.Steps <= 0 {
		return nil, errors.Errorf("graph: sequence %q: steps %d must be positive", name, cfg.Steps)
	}
	b := g.cfg.Batch
	s := &Sequence{g: g, name: name, cfg: cfg, masks: map[int]*stepMasks{}}
	ids := tensor.New(tensor.Of(tensor.Int), tensor.WithShape(cfg.Steps*b))
	s.tokens = G.NewVector(g.expr, tensor.Int, G.WithShape(cfg.Steps*b), G.WithName(g.uniqueName(name+"_tokens")), G.WithValue(ids))
	layout := tensor.New(tensor.Of(tensor.Int), tensor.WithShape(b+1))
	s.layout = G.NewVector(g.expr, tensor.Int, G.WithShape(b+1), G.WithName(g.uniqueName(name+"_lengths")), G.WithValue(layout))
	g.sequences = append(g.sequences, s)
	return s, nil
}

// Name returns the name the sequence was declared with.
func (s *Sequence) Name() string { return s.name }

// Steps returns T, the longest padded length the sequence takes.
func (s *Sequence) Steps() int { return s.cfg.Steps }

// Lengths returns the lengths of the current batch's rows (nil before the
// first Set); when the sequence is Padded, every row's length is the
// batch's padded length.
func (s *Sequence) Lengths() []int { return s.lengths }

// ActiveSteps returns the padded length of the current batch (at most
// Steps).
func (s *Sequence) ActiveSteps() int { return s.active }

// Set loads one padded batch of the sequence: ids [B*T] row-major token
// ids (the id of row b at step t is at b*T + t) and lengths [B] with
// 1 <= lengths[b] <= T. T must equal Steps in a Composed graph and be at
// most Steps in a Fused one. Ids past a row's length are padding.
func (s *Sequence) Set(ids, lengths []int) error {
	steps, err := s.check(ids, lengths)
	if err != nil {
		return errors.Wrapf(err, "graph: sequence %q", s.name)
	}
	b := s.g.cfg.Batch
	s.lengths = append(s.lengths[:0], lengths...)
	if s.cfg.Padded {
		for i := range s.lengths {
			s.lengths[i] = steps
		}
	}
	s.active = steps
	s.sets++
	dst := s.tokens.Value().Data().([]int)
	for row := 0; row < b; row++ {
		for t := 0; t < steps; t++ {
			dst[t*b+row] = ids[row*steps+t]
		}
	}
	clear(dst[steps*b:])
	layout := s.layout.Value().Data().([]int)
	copy(layout, s.lengths)
	layout[b] = steps
	for _, in := range s.inputs {
		in.refill()
	}
	return nil
}

// check validates a batch and returns its padded length.
func (s *Sequence) check(ids, lengths []int) (int, error) {
	b := s.g.cfg.Batch
	if len(lengths) != b {
		return 0, errors.Errorf("batch has %d lengths, want B = %d", len(lengths), b)
	}
	if len(ids) == 0 || len(ids)%b != 0 {
		return 0, errors.Errorf("batch has %d ids, want B*T for B = %d", len(ids), b)
	}
	steps := len(ids) / b
	switch {
	case s.g.cfg.Impl == Composed && steps != s.cfg.Steps:
		return 0, errors.Errorf("batch has %d ids, want B*T = %d*%d = %d", len(ids), b, s.cfg.Steps, b*s.cfg.Steps)
	case steps > s.cfg.Steps:
		return 0, errors.Errorf("batch is padded to %d steps, the graph takes at most %d", steps, s.cfg.Steps)
	}
	for row, n := range lengths {
		if n < 1 || n > steps {
			return 0, errors.Errorf("row %d has length %d, want 1..%d", row, n, steps)
		}
	}
	if s.vocabSize > 0 {
		for i, id := range ids {
			if id < 0 || id >= s.vocabSize {
				return 0, errors.Errorf("row %d step %d: token id %d out of range [0, %d)", i/steps, i%steps, id, s.vocabSize)
			}
		}
	}
	return steps, nil
}

// addInput creates a float input of the given shape whose value fill
// recomputes from the sequence's lengths at every Set.
func (s *Sequence) addInput(name string, shape tensor.Shape, fill func(dst []float64)) *G.Node {
	in := s.g.newInput(name, shape, fill)
	s.inputs = append(s.inputs, in)
	return in.node
}

// stepMask returns the per-step masks [B, width] of step t: keep is 1 for
// rows whose length exceeds t, hold is 1 - keep.
func (s *Sequence) stepMask(t, width int) (keep, hold *G.Node) {
	m, ok := s.masks[width]
	if !ok {
		m = &stepMasks{keep: make([]*G.Node, s.cfg.Steps), hold: make([]*G.Node, s.cfg.Steps)}
		s.masks[width] = m
	}
	if m.keep[t] == nil {
		shape := tensor.Shape{s.g.cfg.Batch, width}
		m.keep[t] = s.addInput("keep", shape, func(dst []float64) { s.fillStepMask(dst, t, width, 1) })
		m.hold[t] = s.addInput("hold", shape, func(dst []float64) { s.fillStepMask(dst, t, width, 0) })
	}
	return m.keep[t], m.hold[t]
}

func (s *Sequence) fillStepMask(dst []float64, t, width int, real float64) {
	for b, n := range s.lengths {
		v := 1 - real
		if t < n {
			v = real
		}
		row := dst[b*width : (b+1)*width]
		for i := range row {
			row[i] = v
		}
	}
}

// readVocab records that the sequence's ids index an embedding of size
// rows.
func (s *Sequence) readVocab(rows int) error {
	if s.vocabSize != 0 && s.vocabSize != rows {
		return errors.Errorf("graph: sequence %q already indexes a vocabulary of %d", s.name, s.vocabSize)
	}
	s.vocabSize = rows
	return nil
}

// layoutOf reads a layout value: the lengths [B] and the padded length.
func layoutOf(v G.Value) (lengths []int, steps int, err error) {
	d, ok := v.(*tensor.Dense)
	if !ok {
		return nil, 0, errors.Errorf("layout: want a dense tensor, got %T", v)
	}
	data, ok := d.Data().([]int)
	if !ok || len(data) < 2 {
		return nil, 0, errors.Errorf("layout: want at least 2 ints, got %v", d.Dtype())
	}
	return data[:len(data)-1], data[len(data)-1], nil
}

// intsOf reads an int tensor value.
func intsOf(v G.Value) ([]int, error) {
	d, ok := v.(*tensor.Dense)
	if !ok {
		return nil, errors.Errorf("want a dense tensor, got %T", v)
	}
	ids, ok := d.Data().([]int)
	if !ok {
		return nil, errors.Errorf("want ints, got %v", d.Dtype())
	}
	return ids, nil
}
