package models

import (
	"fmt"
	"math"
	"slices"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/decode"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/metrics"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Seq2Seq is an attentional encoder-decoder (Bahdanau et al. 2015, Luong
// et al. 2015), such as a grapheme-to-phoneme converter:
//
//	source ids [B, S] -> Embedding(Vs, E) -> encoder stack (bidirectional or not) -> memory [S, B, D*He]
//	final states -> bridge (linear or zeros) -> the decoder's initial states
//	at every target step t:
//	  [Embedding(Vt, E)(y_{t-1}); h̃_{t-1} with input feeding] -> decoder stack step -> s_t [B, Hd]
//	  attention(s_t, memory) -> h̃_t [B, Hd] -> dropout -> Linear(Hd, Vt) -> logits [B, Vt]
//
// trained with teacher forcing (the decoder is fed the reference's
// previous token, <bos> first) and the masked per-token cross-entropy
// (graph.SequenceCrossEntropy, with label smoothing as an option). Its
// parameters are named as the state_dict of the equivalent PyTorch module
// (Seq2SeqConfig.Tensors). It is a Model, whose validation decodes
// the sources greedily and measures the word and token error rates
// (metrics.Transduction), the best checkpoint being the lowest WER; and a
// decode.Stepper, which greedy decoding and beam search drive one step at a
// time. Its model directory holds config.json ("format":
// "gornn-seq2seq/1"), src_vocab.txt, tgt_vocab.txt and model.safetensors.
//
// Decoding (Start, Step, Decode, Translate, EvaluateDecoding) is safe for
// concurrent use: each call runs on graphs of its own, lent from a pool,
// which only read the shared parameters. In a Fused model (the default),
// each source's outputs are the same, bit for bit, whatever the other
// sources decoded with it. Everything else is for one goroutine at a
// time, except that the trainer's data-parallel workers may run its
// networks at once, and must not overlap decoding (training writes the
// parameters decoding reads).
type Seq2Seq struct {
	cfg                Seq2SeqConfig
	opts               Options
	srcVocab, tgtVocab *datasets.Vocab
	srcTok, tgtTok     datasets.Tokenizer
	params             *graph.Params

	srcEmbedding, tgtEmbedding *graph.Embedding
	encoder, decoder           *graph.Recurrent
	bridgeH, bridgeC           []*graph.Linear // one per decoder layer; nil for the zeros bridge
	attention                  *graph.Attention
	output                     *graph.Linear

	graphs     *networkCache
	workspaces workspaces // by workspaceKey
	// inference lends each decoding call a workspace and graphs of its
	// own.
	inference *inferencePool
}

var (
	_ Model          = (*Seq2Seq)(nil)
	_ decode.Stepper = (*Seq2Seq)(nil)
)

// The kinds of a Seq2Seq's graphs.
const (
	teacherForced = iota
	encoderKind
	stepKind
)

type s2sKey struct {
	kind            int
	rows, src, tgt  int
	mode            graph.Mode
	replica         int
	decodingReplica bool
}

// workspaceKey tells apart the workspaces of a replica's teacher-forced
// graphs and of its decoding graphs, which run in turn within one Run.
type workspaceKey struct {
	replica  int
	decoding bool
}

// NewSeq2Seq declares a sequence-to-sequence model for cfg over the source
// and target vocabularies (which must pass datasets.CheckSeqVocab), with
// weights initialised as PyTorch initialises the equivalent modules, drawn
// from opts.Seed. cfg.SrcVocabSize and cfg.TgtVocabSize default to the
// vocabularies' sizes; the tokenizers to the vocabularies' (which they
// must equal when given), else char and whitespace. opts.MaxGraphs
// defaults to 256 here.
func NewSeq2Seq(cfg Seq2SeqConfig, srcVocab, tgtVocab *datasets.Vocab, opts Options) (*Seq2Seq, error) {
	if srcVocab == nil || tgtVocab == nil {
		return nil, errors.New("models: nil vocabulary")
	}
	for _, side := range []struct {
		name    string
		v       *datasets.Vocab
		size    *int
		tok     *string
		fileTok string
	}{{"source", srcVocab, &cfg.SrcVocabSize, &cfg.SrcTokenizer, srcVocab.Tokenizer()}, {"target", tgtVocab, &cfg.TgtVocabSize, &cfg.TgtTokenizer, tgtVocab.Tokenizer()}} {
		if err := datasets.CheckSeqVocab(side.v); err != nil {
			return nil, errors.Wrapf(err, "models: the %s vocabulary", side.name)
		}
		if *side.size == 0 {
			*side.size = side.v.Len()
		}
		if *side.size != side.v.Len() {
			return nil, errors.Errorf("models: the %s vocabulary has %d tokens, the config says %d", side.name, side.v.Len(), *side.size)
		}
		switch {
		case *side.tok == "":
			*side.tok = side.fileTok
		case side.fileTok != "" && side.fileTok != *side.tok:
			return nil, errors.Errorf("models: %s tokenizer %q, but the vocabulary holds %s tokens", side.name, *side.tok, side.fileTok)
		}
	}
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Seq2Seq{cfg: cfg, srcVocab: srcVocab, tgtVocab: tgtVocab}
	var err error
	if m.srcTok, err = datasets.NewTokenizer(cfg.SrcTokenizer); err != nil {
		return nil, errors.Wrap(err, "models")
	}
	if m.tgtTok, err = datasets.NewTokenizer(cfg.TgtTokenizer); err != nil {
		return nil, errors.Wrap(err, "models")
	}
	if opts.MaxGraphs == 0 {
		opts.MaxGraphs = 256
	}
	if opts.PredictBatch == 0 {
		opts.PredictBatch = 64
	}
	m.opts = opts
	m.graphs = newNetworkCache(opts.MaxGraphs)
	m.inference = newInferencePool(opts.PredictConcurrency, opts.MaxGraphs)
	if m.params, err = graph.NewParams(tensor.Float32, opts.Seed); err != nil {
		return nil, err
	}
	if err := m.declare(); err != nil {
		return nil, err
	}
	return m, nil
}

// declare declares the parameters in the order of Seq2SeqConfig.Tensors.
func (m *Seq2Seq) declare() (err error) {
	cfg, ps := m.cfg, m.params
	if m.srcEmbedding, err = graph.NewEmbedding(ps, "src_embedding", cfg.SrcVocabSize, cfg.EmbedDim, datasets.PadID); err != nil {
		return err
	}
	if m.encoder, err = graph.NewRecurrent(ps, "encoder", cfg.encoder()); err != nil {
		return err
	}
	if m.tgtEmbedding, err = graph.NewEmbedding(ps, "tgt_embedding", cfg.TgtVocabSize, cfg.EmbedDim, datasets.PadID); err != nil {
		return err
	}
	if cfg.Bridge == LinearBridge {
		for l := range cfg.DecoderLayers {
			b, err := graph.NewLinear(ps, fmt.Sprintf("bridge_h.%d", l), cfg.memoryWidth(), cfg.DecoderHidden)
			if err != nil {
				return err
			}
			m.bridgeH = append(m.bridgeH, b)
		}
		for l := 0; cfg.Cell == graph.LSTM && l < cfg.DecoderLayers; l++ {
			b, err := graph.NewLinear(ps, fmt.Sprintf("bridge_c.%d", l), cfg.memoryWidth(), cfg.DecoderHidden)
			if err != nil {
				return err
			}
			m.bridgeC = append(m.bridgeC, b)
		}
	}
	if m.decoder, err = graph.NewRecurrent(ps, "decoder", cfg.decoder()); err != nil {
		return err
	}
	if m.attention, err = graph.NewAttention(ps, "attention", cfg.attention()); err != nil {
		return err
	}
	if !cfg.TieEmbeddings {
		m.output, err = graph.NewLinear(ps, "output", cfg.DecoderHidden, cfg.TgtVocabSize)
		return err
	}
	bias, err := ps.Add("output.bias", tensor.Shape{cfg.TgtVocabSize}, graph.Uniform(1/math.Sqrt(float64(cfg.DecoderHidden))))
	if err != nil {
		return err
	}
	m.output = &graph.Linear{In: cfg.DecoderHidden, Out: cfg.TgtVocabSize, Weight: m.tgtEmbedding.Weight, Bias: bias}
	return nil
}

// Config returns the model's configuration.
func (m *Seq2Seq) Config() Seq2SeqConfig { return m.cfg }

// SourceVocab returns the source vocabulary.
func (m *Seq2Seq) SourceVocab() *datasets.Vocab { return m.srcVocab }

// TargetVocab returns the target vocabulary.
func (m *Seq2Seq) TargetVocab() *datasets.Vocab { return m.tgtVocab }

// SourceTokenizer returns the tokenizer sources are read with.
func (m *Seq2Seq) SourceTokenizer() datasets.Tokenizer { return m.srcTok }

// TargetTokenizer returns the tokenizer targets are read with.
func (m *Seq2Seq) TargetTokenizer() datasets.Tokenizer { return m.tgtTok }

// Params returns the learnable parameters.
func (m *Seq2Seq) Params() *graph.Params { return m.params }

// MaxLen returns 0: sequences are never truncated (a source over
// MaxSourceLen is refused instead, and a target cut short would lose its
// <eos>).
func (m *Seq2Seq) MaxLen() int { return 0 }

// NewMetrics returns an empty *metrics.Transduction.
func (m *Seq2Seq) NewMetrics() metrics.Accumulator { return &metrics.Transduction{} }

// Objective returns the lowest validation word error rate of greedy
// decoding.
func (m *Seq2Seq) Objective() metrics.Objective { return metrics.LowestWER }

// LengthBucket returns the padded length of the graphs that decode a
// batch whose longest source has tokens tokens: batches of one bucket
// share compiled graphs, so a caller forming batches (a server's dynamic
// batcher) groups sources by it.
func (m *Seq2Seq) LengthBucket(tokens int) int { return m.bucket(tokens, sourceBucket) }

// bucket rounds a padded length up to a multiple of step, so that batches
// of nearby lengths share a graph in a Fused model; a Composed model takes
// exact lengths.
func (m *Seq2Seq) bucket(steps, step int) int {
	if m.opts.Impl == graph.Composed {
		return steps
	}
	return (steps + step - 1) / step * step
}

// The bucket steps of the padded lengths: the encoder computes only the
// batch's real steps whatever its capacity, the decoder every step of its
// capacity, so the target's buckets are finer.
const (
	sourceBucket = 8
	targetBucket = 4
)

// workspace returns the workspace of a replica's teacher-forced or
// decoding graphs.
func (m *Seq2Seq) workspace(replica int, decoding bool) *graph.Workspace {
	return m.workspaces.get(workspaceKey{replica, decoding})
}

// Network returns a compiled network for batches shaped like b: its rows,
// its sources' padded length and its targets' (b.Second). A Train network
// runs teacher forcing forward and backward; an Evaluate network runs it
// forward and then decodes the sources greedily; a Predict network only
// decodes (b.Second may be nil). Networks are cached (Options.MaxGraphs),
// and so are the decoding graphs, built here so that the networks of
// parallel workers build nothing while they run.
func (m *Seq2Seq) Network(b datasets.Batch, mode graph.Mode, replica int) (Network, error) {
	if b.Steps > m.cfg.MaxSourceLen {
		return nil, errors.Errorf("models: sources padded to %d tokens, over max_source_len %d", b.Steps, m.cfg.MaxSourceLen)
	}
	net := &s2sNetwork{m: m, mode: mode, replica: replica}
	if mode != graph.Predict {
		if b.Second == nil {
			return nil, errors.New("models: a sequence-to-sequence batch needs its targets (Batch.Second)")
		}
		key := s2sKey{kind: teacherForced, rows: b.Size, src: m.bucket(b.Steps, sourceBucket), tgt: m.bucket(b.Second.Steps, targetBucket), mode: mode, replica: replica}
		g, err := m.graphs.get(key, func() (compiled, error) { return m.buildTeacherForced(key) })
		if err != nil {
			return nil, err
		}
		net.tf = g.(*teacherForcedGraph)
	}
	if mode != graph.Train {
		net.decoder = m.replicaStepper(replica)
		if err := net.decoder.prepare(b.Size, b.Steps); err != nil {
			return nil, err
		}
	}
	return net, nil
}

// teacherForcedGraph is a Seq2Seq built into one graph for teacher
// forcing: the logits of every target step and, unless for Predict, the
// loss.
type teacherForcedGraph struct {
	g        *graph.Graph
	src, tgt *graph.Sequence
	targets  *graph.Targets
	logits   *G.Node // [T, B, Vt], readable after Run
	loss     *G.Node
}

func (t *teacherForcedGraph) Close() error { return t.g.Close() }

// buildTeacherForced builds the teacher-forced graph of key.
func (m *Seq2Seq) buildTeacherForced(key s2sKey) (*teacherForcedGraph, error) {
	g, err := graph.New(m.params, graph.Config{Batch: key.rows, Training: key.mode == graph.Train, Impl: m.opts.Impl, Workspace: m.workspace(key.replica, false)})
	if err != nil {
		return nil, err
	}
	t := &teacherForcedGraph{g: g}
	if t.src, err = g.NewSequence("source", graph.SequenceConfig{Steps: key.src}); err != nil {
		return nil, err
	}
	if t.tgt, err = g.NewSequence("target", graph.SequenceConfig{Steps: key.tgt}); err != nil {
		return nil, err
	}
	enc, err := m.encode(g, t.src)
	if err != nil {
		return nil, err
	}
	xt, err := m.tgtEmbedding.Build(g, t.tgt)
	if err != nil {
		return nil, err
	}
	var feed *G.Node
	if m.cfg.InputFeeding {
		in, err := g.NewInput("feed", key.rows, m.cfg.DecoderHidden) // zeros
		if err != nil {
			return nil, err
		}
		feed = in.Node()
	}
	states := enc.initial
	outs := make([]*G.Node, xt.Len())
	for i := range outs {
		x, err := xt.Step(i)
		if err != nil {
			return nil, err
		}
		st, err := m.step(g, x, feed, states, enc.memory, enc.keys)
		if err != nil {
			return nil, errors.Wrapf(err, "models: decoder step %d", i)
		}
		outs[i], states = st.out, st.states
		if m.cfg.InputFeeding {
			feed = st.out
		}
	}
	seq, err := graph.StepsSeq(outs, t.tgt)
	if err != nil {
		return nil, err
	}
	logits, err := m.output.BuildSeq(g, seq)
	if err != nil {
		return nil, err
	}
	whole, err := logits.Whole()
	if err != nil {
		return nil, err
	}
	if t.logits, err = graph.Readable(g, whole); err != nil {
		return nil, err
	}
	if t.targets, err = g.NewTokenTargets("targets", t.tgt); err != nil {
		return nil, err
	}
	smoothing := 0.0
	if key.mode == graph.Train {
		smoothing = m.cfg.LabelSmoothing
	}
	if t.loss, err = graph.SequenceCrossEntropy(g, logits, t.targets, graph.LossOptions{LabelSmoothing: smoothing}); err != nil {
		return nil, err
	}
	differentiate := t.loss
	if key.mode != graph.Train {
		differentiate = nil
	}
	return t, g.Compile(differentiate)
}

// encoded is the encoder built into a graph: the memory, the attention's
// keys (nil unless additive) and the decoder's initial states (nil for
// zeros).
type encoded struct {
	memory, keys *graph.Seq
	initial      *graph.States
}

// encode builds the source embedding, the encoder and the bridge over src.
func (m *Seq2Seq) encode(g *graph.Graph, src *graph.Sequence) (*encoded, error) {
	xs, err := m.srcEmbedding.Build(g, src)
	if err != nil {
		return nil, err
	}
	out, err := m.encoder.Build(g, xs, nil)
	if err != nil {
		return nil, err
	}
	e := &encoded{memory: out.Outputs}
	if e.keys, err = m.attention.Keys(g, out.Outputs); err != nil {
		return nil, err
	}
	if m.cfg.Bridge == ZeroBridge {
		return e, nil
	}
	e.initial = &graph.States{}
	top := func(states []*G.Node) (*G.Node, error) {
		if !m.cfg.Bidirectional {
			return states[len(states)-1], nil
		}
		return G.Concat(1, states[len(states)-2], states[len(states)-1])
	}
	h, err := top(out.Final.H)
	if err != nil {
		return nil, errors.Wrap(err, "models: bridge")
	}
	for _, b := range m.bridgeH {
		y, err := b.Build(g, h)
		if err == nil {
			y, err = G.Tanh(y)
		}
		if err != nil {
			return nil, errors.Wrap(err, "models: bridge")
		}
		e.initial.H = append(e.initial.H, y)
	}
	if m.bridgeC == nil {
		return e, nil
	}
	c, err := top(out.Final.C)
	if err != nil {
		return nil, errors.Wrap(err, "models: bridge")
	}
	for _, b := range m.bridgeC {
		y, err := b.Build(g, c)
		if err != nil {
			return nil, errors.Wrap(err, "models: bridge")
		}
		e.initial.C = append(e.initial.C, y)
	}
	return e, nil
}

// decoderStep is what one decoder step built into a graph gives: the
// attentional vector after dropout (the output layer's input, and the next
// step's feed), the attention weights and the decoder's states.
type decoderStep struct {
	out, weights *G.Node
	states       *graph.States
}

// step builds one decoder step: the stack fed x [B, E] (joined with feed
// under input feeding) from states, then the attention over memory.
func (m *Seq2Seq) step(g *graph.Graph, x, feed *G.Node, states *graph.States, memory, keys *graph.Seq) (decoderStep, error) {
	if feed != nil {
		var err error
		if x, err = G.Concat(1, x, feed); err != nil {
			return decoderStep{}, err
		}
	}
	top, next, err := m.decoder.Step(g, x, states)
	if err != nil {
		return decoderStep{}, err
	}
	out, weights, err := m.attention.Step(g, top, memory, keys)
	if err != nil {
		return decoderStep{}, err
	}
	if out, err = graph.Dropout(g, out, m.cfg.Dropout); err != nil {
		return decoderStep{}, err
	}
	return decoderStep{out: out, weights: weights, states: next}, nil
}

// s2sNetwork is a Network of a Seq2Seq: a teacher-forced graph
// (nil for Predict) and, unless for Train, a greedy decoder whose outputs
// Measure scores.
type s2sNetwork struct {
	m       *Seq2Seq
	mode    graph.Mode
	replica int
	tf      *teacherForcedGraph
	decoder *stepper
	batch   datasets.Batch
	outputs []decode.Hypothesis // the greedy outputs of the last Run
}

// SetBatch loads the rows of b: its sources and, unless for Predict, its
// decoder inputs and targets (b.Second).
func (n *s2sNetwork) SetBatch(b datasets.Batch) error {
	n.batch = b
	if n.tf == nil {
		return nil
	}
	if b.Second == nil || b.Second.Targets == nil {
		return errors.New("models: a sequence-to-sequence batch needs its targets (Batch.Second)")
	}
	if err := n.tf.src.Set(b.IDs, b.Lengths); err != nil {
		return errors.Wrap(err, "models: sources")
	}
	if err := n.tf.tgt.Set(b.Second.IDs, b.Second.Lengths); err != nil {
		return errors.Wrap(err, "models: decoder inputs")
	}
	return errors.Wrap(n.tf.targets.Set(b.Second.Targets), "models: targets")
}

func (n *s2sNetwork) SetRNG(rng *graph.RNG) {
	if n.tf != nil {
		n.tf.g.SetRNG(rng)
	}
}

// Run runs teacher forcing (forward, and backward for Train), then, unless
// for Train, decodes the batch's sources greedily.
func (n *s2sNetwork) Run() error {
	if n.tf != nil {
		if err := n.tf.g.Run(); err != nil {
			return err
		}
	}
	if n.decoder == nil {
		return nil
	}
	var err error
	n.outputs, err = decode.Greedy(n.decoder, sourcesOf(n.batch), decode.Beam{})
	return err
}

func (n *s2sNetwork) AccumulateGrads(scale float64) error {
	if n.tf == nil {
		return errors.New("models: a Predict network has no gradients")
	}
	return n.tf.g.AccumulateGrads(scale)
}

// Loss returns the mean teacher-forced cross-entropy of the last run and
// the target tokens it is a mean over.
func (n *s2sNetwork) Loss() (float64, int, error) {
	if n.tf == nil {
		return 0, 0, errors.New("models: a Predict network has no loss")
	}
	loss, err := graph.Scalar(n.tf.loss)
	return loss, n.tf.targets.Count(), err
}

// Measure adds the last run's results on b to m, a *metrics.Transduction:
// the teacher-forced token accuracy and loss, and the greedy outputs
// against the targets (when b has them).
func (n *s2sNetwork) Measure(b datasets.Batch, m metrics.Accumulator) error {
	t, ok := m.(*metrics.Transduction)
	if !ok {
		return errors.Errorf("models: a Seq2Seq measures into *metrics.Transduction, not %T", m)
	}
	if n.tf != nil {
		correct, err := n.correctTokens(b)
		if err != nil {
			return err
		}
		loss, count, err := n.Loss()
		if err != nil {
			return err
		}
		t.Tokens.Add(loss, count, correct)
	}
	if n.outputs == nil || b.Second == nil || b.Second.Targets == nil {
		return nil
	}
	steps := b.Second.Steps
	for r, h := range n.outputs {
		reference := b.Second.Targets[r*steps : r*steps+b.Second.Lengths[r]-1] // without <eos>
		t.AddDecoded(b.Row(r)[:b.Lengths[r]], h.Tokens, reference)
	}
	return nil
}

// correctTokens counts the target tokens of b whose logit was the largest
// in the last run.
func (n *s2sNetwork) correctTokens(b datasets.Batch) (int, error) {
	logits, err := graph.Values(n.tf.logits)
	if err != nil {
		return 0, err
	}
	v, rows, steps := n.m.cfg.TgtVocabSize, b.Size, b.Second.Steps
	correct := 0
	for r := 0; r < rows; r++ {
		for s := 0; s < b.Second.Lengths[r]; s++ {
			y := b.Second.Targets[r*steps+s]
			if y < 0 {
				continue
			}
			row := logits[(s*rows+r)*v : (s*rows+r+1)*v]
			if argmax(row) == y {
				correct++
			}
		}
	}
	return correct, nil
}

// argmax returns the index of the largest value, the first of ties.
func argmax(values []float64) int {
	best := 0
	for i, x := range values {
		if x > values[best] {
			best = i
		}
	}
	return best
}

// sourcesOf returns the rows' token ids without padding.
func sourcesOf(b datasets.Batch) [][]int {
	out := make([][]int, b.Size)
	for r := range out {
		out[r] = slices.Clone(b.Row(r)[:b.Lengths[r]])
	}
	return out
}
