package models

import (
	"math"
	"slices"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/decode"
	"github.com/gornn/gornn/graph"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
)

// stepper decodes with graphs of its own, which no other stepper runs at
// the same time: a training replica's (so that parallel workers decode at
// once), or an inference slot's (so that concurrent calls do). It is the
// Seq2Seq's decode.Stepper over those graphs.
type stepper struct {
	m         *Seq2Seq
	graphs    *networkCache    // where its graphs are cached
	workspace *graph.Workspace // their kernels' scratch memory
	replica   int              // part of their keys in graphs
}

// replicaStepper returns the stepper of a training replica's graphs.
func (m *Seq2Seq) replicaStepper(replica int) *stepper {
	return &stepper{m: m, graphs: m.graphs, workspace: m.workspace(replica, true), replica: replica}
}

// slotStepper returns the stepper of an inference slot's graphs.
func (m *Seq2Seq) slotStepper(slot *inferenceSlot) *stepper {
	return &stepper{m: m, graphs: slot.networks, workspace: slot.workspace}
}

// Specials returns the target vocabulary's special tokens.
func (s *stepper) Specials() decode.Specials { return s.m.Specials() }

// prepare builds the encoder and the step graph of greedy decoding for
// rows sources padded to steps tokens.
func (s *stepper) prepare(rows, steps int) error {
	if _, err := s.encoderGraph(rows, steps); err != nil {
		return err
	}
	_, err := s.stepGraph(rows, s.m.bucket(steps, sourceBucket))
	return err
}

// Start encodes the sources (token ids of the source vocabulary, each of
// 1 to MaxSourceLen tokens) and returns the decoder's states before its
// first step: a decode.Stepper's Start. It is safe for concurrent use
// (see Seq2Seq).
func (m *Seq2Seq) Start(sources [][]int) (state decode.State, err error) {
	err = m.inference.with(func(slot *inferenceSlot) error {
		state, err = m.slotStepper(slot).Start(sources)
		return err
	})
	return state, err
}

// Step feeds each row of state one target token and returns the
// log-probabilities of its next token, the attention weights of the step
// over each row's source and the states after it: a decode.Stepper's Step.
// It is safe for concurrent use (see Seq2Seq).
func (m *Seq2Seq) Step(state decode.State, tokens []int) (out *decode.StepOutput, err error) {
	err = m.inference.with(func(slot *inferenceSlot) error {
		out, err = m.slotStepper(slot).Step(state, tokens)
		return err
	})
	return out, err
}

// Specials returns the target vocabulary's <bos> and <eos>, and the tokens
// never output: <pad> and <bos>.
func (m *Seq2Seq) Specials() decode.Specials {
	return decode.Specials{BOS: datasets.BOSID, EOS: datasets.EOSID, Never: []int{datasets.PadID, datasets.BOSID}}
}

// encoderGraph is the encoder built into a graph of its own, for
// decoding: the memory, the keys and the decoder's initial states.
type encoderGraph struct {
	g      *graph.Graph
	src    *graph.Sequence
	memory *G.Node   // [S, B, De], readable
	keys   *G.Node   // [S, B, A], readable; nil unless additive
	h, c   []*G.Node // initial decoder states [B, Hd] per layer, readable; nil for zeros
	steps  int       // S, the capacity of the source
}

func (e *encoderGraph) Close() error { return e.g.Close() }

func (s *stepper) encoderGraph(rows, steps int) (*encoderGraph, error) {
	key := s2sKey{kind: encoderKind, rows: rows, src: s.m.bucket(steps, sourceBucket), mode: graph.Predict, replica: s.replica}
	g, err := s.graphs.get(key, func() (compiled, error) { return s.m.buildEncoder(key, s.workspace) })
	if err != nil {
		return nil, err
	}
	return g.(*encoderGraph), nil
}

func (m *Seq2Seq) buildEncoder(key s2sKey, ws *graph.Workspace) (*encoderGraph, error) {
	g, err := graph.New(m.params, graph.Config{Batch: key.rows, Impl: m.opts.Impl, Workspace: ws})
	if err != nil {
		return nil, err
	}
	e := &encoderGraph{g: g, steps: key.src}
	if e.src, err = g.NewSequence("source", graph.SequenceConfig{Steps: key.src}); err != nil {
		return nil, err
	}
	enc, err := m.encode(g, e.src)
	if err != nil {
		return nil, err
	}
	whole, err := enc.memory.Whole()
	e.memory = readable(g, whole, &err)
	if enc.keys != nil {
		if whole, err = enc.keys.Whole(); err == nil {
			e.keys = readable(g, whole, &err)
		}
	}
	if enc.initial != nil {
		for _, n := range enc.initial.H {
			e.h = append(e.h, readable(g, n, &err))
		}
		for _, n := range enc.initial.C {
			e.c = append(e.c, readable(g, n, &err))
		}
	}
	if err != nil {
		return nil, err
	}
	return e, g.Compile(nil)
}

// encoding is the encoder's output for a batch of sources, which decoder
// states point into.
type encoding struct {
	steps   int       // S, the capacity of the memory
	active  int       // the sources' padded length
	lengths []int     // [B]
	memory  []float64 // [S, B, De]
	keys    []float64 // [S, B, A]; nil unless additive
	rows    int       // B
}

// s2sState is a batch of decoder states: a decode.State.
type s2sState struct {
	enc    *encoding
	source []int       // [R] the source (row of enc) of each row
	h, c   [][]float64 // per decoder layer [R, Hd]; c nil unless LSTM
	feed   []float64   // [R, Hd] the previous attentional vector; nil without input feeding
}

// Rows returns the number of rows.
func (s *s2sState) Rows() int { return len(s.source) }

// Select returns the states of the given rows.
func (s *s2sState) Select(rows []int) (decode.State, error) {
	hd := 0
	if len(s.h) > 0 {
		hd = len(s.h[0]) / len(s.source)
	}
	gather := func(src []float64) []float64 {
		if src == nil {
			return nil
		}
		dst := make([]float64, len(rows)*hd)
		for i, r := range rows {
			copy(dst[i*hd:(i+1)*hd], src[r*hd:(r+1)*hd])
		}
		return dst
	}
	out := &s2sState{enc: s.enc, source: make([]int, len(rows)), feed: gather(s.feed)}
	for i, r := range rows {
		if r < 0 || r >= len(s.source) {
			return nil, errors.Errorf("models: select row %d of %d", r, len(s.source))
		}
		out.source[i] = s.source[r]
	}
	for _, h := range s.h {
		out.h = append(out.h, gather(h))
	}
	for _, c := range s.c {
		out.c = append(out.c, gather(c))
	}
	return out, nil
}

// Start encodes sources with the stepper's graphs (see Seq2Seq.Start).
func (s *stepper) Start(sources [][]int) (decode.State, error) {
	m := s.m
	for i, src := range sources {
		if err := m.checkSource(src); err != nil {
			return nil, errors.Wrapf(err, "models: source %d", i)
		}
	}
	batch, err := datasets.PadBatch(sources, 0)
	if err != nil {
		return nil, errors.Wrap(err, "models")
	}
	e, err := s.encoderGraph(batch.Size, batch.Steps)
	if err != nil {
		return nil, err
	}
	lengths := batch.Lengths
	if err := e.src.Set(batch.IDs, lengths); err != nil {
		return nil, errors.Wrap(err, "models: sources")
	}
	if err := e.g.Run(); err != nil {
		return nil, err
	}
	enc := &encoding{steps: e.steps, active: batch.Steps, lengths: lengths, rows: batch.Size}
	if enc.memory, err = graph.Values(e.memory); err != nil {
		return nil, err
	}
	if e.keys != nil {
		if enc.keys, err = graph.Values(e.keys); err != nil {
			return nil, err
		}
	}
	st := &s2sState{enc: enc, source: make([]int, batch.Size)}
	for i := range st.source {
		st.source[i] = i
	}
	hd := m.cfg.DecoderHidden
	for l := range m.cfg.DecoderLayers {
		h, c := make([]float64, batch.Size*hd), []float64(nil)
		if e.h != nil {
			if h, err = graph.Values(e.h[l]); err != nil {
				return nil, err
			}
		}
		if m.cfg.Cell == graph.LSTM {
			c = make([]float64, batch.Size*hd)
			if e.c != nil {
				if c, err = graph.Values(e.c[l]); err != nil {
					return nil, err
				}
			}
			st.c = append(st.c, c)
		}
		st.h = append(st.h, h)
	}
	if m.cfg.InputFeeding {
		st.feed = make([]float64, batch.Size*hd)
	}
	return st, nil
}

// checkSource reports a source the model cannot read: empty, longer than
// MaxSourceLen, or with an id outside the source vocabulary.
func (m *Seq2Seq) checkSource(s []int) error {
	switch {
	case len(s) == 0:
		return errors.New("empty source")
	case len(s) > m.cfg.MaxSourceLen:
		return errors.Errorf("source of %d tokens, over the model's limit of %d (max_source_len)", len(s), m.cfg.MaxSourceLen)
	}
	for _, id := range s {
		if id < 0 || id >= m.cfg.SrcVocabSize {
			return errors.Errorf("token id %d outside the source vocabulary of %d", id, m.cfg.SrcVocabSize)
		}
	}
	return nil
}

// stepGraph is one decoder step built into a graph of its own, for
// decoding: the memory, keys, states and previous attentional vector are
// inputs, the previous target token a one-step sequence.
type stepGraph struct {
	g            *graph.Graph
	src, prev    *graph.Sequence
	memory, keys *graph.Input
	h, c         []*graph.Input
	feed         *graph.Input
	logits       *G.Node // [R, Vt]
	out, weights *G.Node
	nextH, nextC []*G.Node

	loaded       *encoding // whose memory the inputs hold, for which rows
	loadedSource []int
}

func (s *stepGraph) Close() error { return s.g.Close() }

func (s *stepper) stepGraph(rows, steps int) (*stepGraph, error) {
	key := s2sKey{kind: stepKind, rows: rows, src: steps, mode: graph.Predict, replica: s.replica}
	g, err := s.graphs.get(key, func() (compiled, error) { return s.m.buildStep(key, s.workspace) })
	if err != nil {
		return nil, err
	}
	return g.(*stepGraph), nil
}

func (m *Seq2Seq) buildStep(key s2sKey, ws *graph.Workspace) (*stepGraph, error) {
	cfg := m.cfg
	g, err := graph.New(m.params, graph.Config{Batch: key.rows, Impl: m.opts.Impl, Workspace: ws})
	if err != nil {
		return nil, err
	}
	s := &stepGraph{g: g}
	if s.src, err = g.NewSequence("source", graph.SequenceConfig{Steps: key.src}); err != nil {
		return nil, err
	}
	if s.prev, err = g.NewSequence("previous", graph.SequenceConfig{Steps: 1}); err != nil {
		return nil, err
	}
	input := func(name string, shape ...int) *graph.Input {
		var in *graph.Input
		if err == nil {
			in, err = g.NewInput(name, shape...)
		}
		return in
	}
	s.memory = input("memory", key.src, key.rows, cfg.memoryWidth())
	if cfg.Attention == graph.Additive {
		s.keys = input("keys", key.src, key.rows, cfg.AttentionSize)
	}
	states := &graph.States{}
	for range cfg.DecoderLayers {
		s.h = append(s.h, input("h", key.rows, cfg.DecoderHidden))
		if cfg.Cell == graph.LSTM {
			s.c = append(s.c, input("c", key.rows, cfg.DecoderHidden))
		}
	}
	var feed *G.Node
	if cfg.InputFeeding {
		s.feed = input("feed", key.rows, cfg.DecoderHidden)
	}
	if err != nil {
		return nil, err
	}
	for l := range s.h {
		states.H = append(states.H, s.h[l].Node())
		if s.c != nil {
			states.C = append(states.C, s.c[l].Node())
		}
	}
	if s.feed != nil {
		feed = s.feed.Node()
	}
	memory, err := graph.WholeSeq(s.memory.Node(), s.src)
	if err != nil {
		return nil, err
	}
	var keys *graph.Seq
	if s.keys != nil {
		if keys, err = graph.WholeSeq(s.keys.Node(), s.src); err != nil {
			return nil, err
		}
	}
	x, err := m.tgtEmbedding.Build(g, s.prev)
	if err != nil {
		return nil, err
	}
	x0, err := x.Step(0)
	if err != nil {
		return nil, err
	}
	st, err := m.step(g, x0, feed, states, memory, keys)
	if err != nil {
		return nil, err
	}
	logits, err := m.output.Build(g, st.out)
	if err != nil {
		return nil, err
	}
	s.logits, s.out, s.weights = readable(g, logits, &err), readable(g, st.out, &err), readable(g, st.weights, &err)
	for l := range st.states.H {
		s.nextH = append(s.nextH, readable(g, st.states.H[l], &err))
	}
	for l := range st.states.C {
		s.nextC = append(s.nextC, readable(g, st.states.C[l], &err))
	}
	if err != nil {
		return nil, err
	}
	return s, g.Compile(nil)
}

// load sets the step graph's memory, keys and source lengths to those of
// state's rows, unless they hold them already.
func (s *stepGraph) load(st *s2sState, memoryWidth, keyWidth int) error {
	if s.loaded == st.enc && slices.Equal(s.loadedSource, st.source) {
		return nil
	}
	enc, rows := st.enc, len(st.source)
	gather := func(in *graph.Input, src []float64, width int) error {
		dst := make([]float64, enc.steps*rows*width)
		for t := 0; t < enc.active; t++ {
			for r, i := range st.source {
				from := (t*enc.rows + i) * width
				copy(dst[(t*rows+r)*width:(t*rows+r+1)*width], src[from:from+width])
			}
		}
		return in.Set(dst)
	}
	if err := gather(s.memory, enc.memory, memoryWidth); err != nil {
		return err
	}
	if s.keys != nil {
		if err := gather(s.keys, enc.keys, keyWidth); err != nil {
			return err
		}
	}
	lengths := make([]int, rows)
	for r, i := range st.source {
		lengths[r] = enc.lengths[i]
	}
	if err := s.src.Set(make([]int, rows*enc.active), lengths); err != nil {
		return err
	}
	s.loaded, s.loadedSource = enc, slices.Clone(st.source)
	return nil
}

// Step advances the states with the stepper's graphs (see Seq2Seq.Step).
func (s *stepper) Step(state decode.State, tokens []int) (*decode.StepOutput, error) {
	m := s.m
	st, ok := state.(*s2sState)
	if !ok {
		return nil, errors.Errorf("models: a Seq2Seq steps its own states, not %T", state)
	}
	if len(tokens) != st.Rows() {
		return nil, errors.Errorf("models: %d tokens for %d rows", len(tokens), st.Rows())
	}
	sg, err := s.stepGraph(len(tokens), st.enc.steps)
	if err != nil {
		return nil, err
	}
	if err := sg.load(st, m.cfg.memoryWidth(), m.cfg.AttentionSize); err != nil {
		return nil, err
	}
	for l := range sg.h {
		if err := sg.h[l].Set(st.h[l]); err != nil {
			return nil, err
		}
		if sg.c != nil {
			if err := sg.c[l].Set(st.c[l]); err != nil {
				return nil, err
			}
		}
	}
	if sg.feed != nil {
		if err := sg.feed.Set(st.feed); err != nil {
			return nil, err
		}
	}
	ones := make([]int, len(tokens))
	for i := range ones {
		ones[i] = 1
	}
	if err := sg.prev.Set(tokens, ones); err != nil {
		return nil, errors.Wrap(err, "models: previous tokens")
	}
	if err := sg.g.Run(); err != nil {
		return nil, err
	}
	out := &decode.StepOutput{Vocab: m.cfg.TgtVocabSize, SourceSteps: st.enc.steps}
	if out.LogProbs, err = graph.Values(sg.logits); err != nil {
		return nil, err
	}
	logSoftmaxRows(out.LogProbs, out.Vocab)
	if out.Attention, err = graph.Values(sg.weights); err != nil {
		return nil, err
	}
	next := &s2sState{enc: st.enc, source: st.source}
	for _, n := range sg.nextH {
		h, err := graph.Values(n)
		if err != nil {
			return nil, err
		}
		next.h = append(next.h, h)
	}
	for _, n := range sg.nextC {
		c, err := graph.Values(n)
		if err != nil {
			return nil, err
		}
		next.c = append(next.c, c)
	}
	if sg.feed != nil {
		if next.feed, err = graph.Values(sg.out); err != nil {
			return nil, err
		}
	}
	out.Next = next
	return out, nil
}

// logSoftmaxRows replaces each row of width values with its log-softmax,
// in float64.
func logSoftmaxRows(values []float64, width int) {
	for start := 0; start+width <= len(values); start += width {
		row := values[start : start+width]
		shift := slices.Max(row)
		sum := 0.0
		for _, x := range row {
			sum += math.Exp(x - shift)
		}
		lse := shift + math.Log(sum)
		for i := range row {
			row[i] -= lse
		}
	}
}

// readable returns graph.Readable(g, n), or n when *err is already set;
// it sets *err on failure, so that a run of nodes checks one error.
func readable(g *graph.Graph, n *G.Node, err *error) *G.Node {
	if *err == nil {
		n, *err = graph.Readable(g, n)
	}
	return n
}
