package models

import (
	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/metrics"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// LMOptions are the settings of a LanguageModel that are not part of its
// saved configuration. The zero value gives the defaults.
type LMOptions struct {
	// Seed seeds the initial weights.
	Seed uint64
	// Impl builds the graphs: graph.Fused (default) or graph.Composed.
	Impl graph.Impl
	// MaxGraphs bounds the compiled graphs kept at once; the least
	// recently used is dropped beyond it. Default 64.
	MaxGraphs int
	// PredictBatch is the batch size of Score and Perplexity. Default 64.
	PredictBatch int
	// PredictConcurrency bounds the scoring calls (Score, Perplexity)
	// that run at once, each on networks and scratch memory of its own,
	// and separately the Generate calls, each on a generation graph of
	// its own; more wait. Default runtime.GOMAXPROCS(0).
	PredictConcurrency int
	// StreamColumns, when positive, makes the model train and evaluate
	// on one stream cut into this many columns (datasets.EncodeStream
	// with Columns the batch size): the initial state of each row is the
	// final state of the same column's row in the batch before it,
	// detached (truncated backpropagation through time), and zero in the
	// first window. The model is then a Carrier: the Trainer keeps
	// the batches in order and the carried state in its checkpoints.
	// Validation data is a stream of as many columns, evaluated in order
	// in batches of StreamColumns rows (as the Trainer does). Default 0:
	// per-document rows, each starting from zero states.
	StreamColumns int
}

// LanguageModel is PyTorch's word_language_model RNNModel, generalised:
//
//	token ids [B, T] -> Embedding(V, E) "encoder" -> dropout
//	-> recurrent stack "rnn" (rnn_tanh, rnn_relu, lstm or gru; layers; dropout between them)
//	-> dropout -> Linear(H, V) "decoder" at every step -> logits [T, B, V]
//
// with the decoder's weight optionally tied to the encoder's. Its loss is
// the mean cross-entropy of each step's next token. It is a Model
// (and a Carrier, which carries state only when trained on a
// stream, see LMOptions.StreamColumns); it scores texts (Score,
// Perplexity) and generates them (Generate).
//
// Score, Perplexity and Generate are safe for concurrent use: each call
// runs on graphs of its own, lent from a pool, which only read the shared
// parameters. Everything else, training through Network included, is for
// one goroutine at a time, and must not overlap them (training writes the
// parameters they read).
type LanguageModel struct {
	cfg       LMConfig
	opts      LMOptions
	vocab     *datasets.Vocab
	tokenizer datasets.Tokenizer
	start     int // id of the token every text begins after: BOSToken, or EOSToken for a stream model
	eos       int // id of EOSToken
	params    *graph.Params
	encoder   *graph.Embedding
	rnn       *graph.Recurrent
	decoder   *graph.Linear

	// networks caches the networks of Network (training, evaluation) and
	// of Score, keyed by networkKey; workspaces holds one workspace per
	// replica.
	networks   *networkCache
	workspaces workspaces
	// carried holds, per mode (Train, Evaluate), the state each stream
	// column carries to its next window: [states][columns][H], the
	// layers' h then (LSTM) their c.
	carried map[graph.Mode][]float64
	// scoring lends each Score call networks of its own, generation each
	// Generate call a stepper (lmStepper) of its own.
	scoring, generation *inferencePool
}

var _ Carrier = (*LanguageModel)(nil)

// NewLanguageModel declares a language model for cfg over vocab, drawn
// from opts.Seed as PyTorch's RNNModel initialises itself: encoder and
// decoder weights from U(-0.1, 0.1), decoder bias 0, the recurrent stack
// PyTorch's default. cfg.VocabSize defaults to vocab.Len(); cfg.Tokenizer
// to the vocabulary's tokenizer, which it must equal when given. vocab
// must hold cfg's special tokens.
func NewLanguageModel(cfg LMConfig, vocab *datasets.Vocab, opts LMOptions) (*LanguageModel, error) {
	if vocab == nil {
		return nil, errors.New("models: nil vocabulary")
	}
	if cfg.VocabSize == 0 {
		cfg.VocabSize = vocab.Len()
	}
	switch built := vocab.Tokenizer(); {
	case cfg.Tokenizer == "" && built != "":
		cfg.Tokenizer = built
	case cfg.Tokenizer == "":
		cfg.Tokenizer = datasets.BasicEnglishTokenizer
	case built != "" && built != cfg.Tokenizer:
		return nil, errors.Errorf("models: tokenizer %q, but the vocabulary holds %s tokens", cfg.Tokenizer, built)
	}
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.VocabSize != vocab.Len() {
		return nil, errors.Errorf("models: vocab_size %d but the vocabulary has %d tokens", cfg.VocabSize, vocab.Len())
	}
	if opts.StreamColumns < 0 {
		return nil, errors.Errorf("models: stream columns %d must not be negative", opts.StreamColumns)
	}
	start, eos, err := cfg.specialIDs(vocab)
	if err != nil {
		return nil, err
	}
	tok, err := datasets.NewTokenizer(cfg.Tokenizer)
	if err != nil {
		return nil, errors.Wrap(err, "models")
	}
	if opts.MaxGraphs == 0 {
		opts.MaxGraphs = 64
	}
	if opts.PredictBatch == 0 {
		opts.PredictBatch = 64
	}
	params, err := graph.NewParams(tensor.Float32, opts.Seed)
	if err != nil {
		return nil, err
	}
	m := &LanguageModel{
		cfg: cfg, opts: opts, vocab: vocab, tokenizer: tok, start: start, eos: eos, params: params,
		networks: newNetworkCache(opts.MaxGraphs), carried: map[graph.Mode][]float64{},
		scoring:    newInferencePool(opts.PredictConcurrency, opts.MaxGraphs),
		generation: newInferencePool(opts.PredictConcurrency, 1),
	}
	if m.encoder, err = graph.NewEmbedding(params, "encoder", cfg.VocabSize, cfg.EmbedDim, graph.NoPadding); err != nil {
		return nil, err
	}
	if m.rnn, err = graph.NewRecurrent(params, "rnn", cfg.Recurrent()); err != nil {
		return nil, err
	}
	if cfg.Tied {
		bias, err := params.Add("decoder.bias", tensor.Shape{cfg.VocabSize}, graph.Zeros)
		if err != nil {
			return nil, err
		}
		m.decoder = &graph.Linear{In: cfg.HiddenSize, Out: cfg.VocabSize, Weight: m.encoder.Weight, Bias: bias}
	} else if m.decoder, err = graph.NewLinear(params, "decoder", cfg.HiddenSize, cfg.VocabSize); err != nil {
		return nil, err
	}
	// RNNModel.init_weights, after the modules' own initialisation.
	for _, p := range []*graph.Param{m.encoder.Weight, m.decoder.Weight} {
		values := make([]float64, p.Size())
		graph.Uniform(0.1)(values, params.RNG())
		if err := params.SetValues(p.Name, p.Value.Shape(), values); err != nil {
			return nil, err
		}
	}
	if err := params.SetValues(m.decoder.Bias.Name, m.decoder.Bias.Value.Shape(), make([]float64, cfg.VocabSize)); err != nil {
		return nil, err
	}
	return m, nil
}

// Config returns the model's configuration.
func (m *LanguageModel) Config() LMConfig { return m.cfg }

// Vocab returns the model's vocabulary.
func (m *LanguageModel) Vocab() *datasets.Vocab { return m.vocab }

// Tokenizer returns the tokenizer the model reads texts with.
func (m *LanguageModel) Tokenizer() datasets.Tokenizer { return m.tokenizer }

// Params returns the learnable parameters, named as the state_dict of
// PyTorch's RNNModel (a tied decoder's weight is encoder.weight).
func (m *LanguageModel) Params() *graph.Params { return m.params }

// MaxLen returns the number of tokens training rows are truncated to (0:
// none).
func (m *LanguageModel) MaxLen() int { return m.cfg.MaxLen }

// NewMetrics returns an empty accumulator of the model's measures: token
// accuracy, perplexity and, for a character model, bits per character.
func (m *LanguageModel) NewMetrics() metrics.Accumulator {
	return &metrics.Tokens{PerChar: m.cfg.Tokenizer == datasets.CharTokenizer}
}

// Objective returns the lowest validation loss.
func (m *LanguageModel) Objective() metrics.Objective { return metrics.LowestLoss }

// CarriesState reports whether the model trains on a stream
// (LMOptions.StreamColumns), carrying each column's state from batch to
// batch.
func (m *LanguageModel) CarriesState() bool { return m.opts.StreamColumns > 0 }

// Network returns a compiled network for batches shaped like b (its rows
// and padded length), built for mode; replica tells apart the networks of
// parallel workers. Networks are cached (see LMOptions.MaxGraphs).
func (m *LanguageModel) Network(b datasets.Batch, mode graph.Mode, replica int) (Network, error) {
	return m.network(b.Size, b.Steps, mode, replica)
}

func (m *LanguageModel) network(batch, steps int, mode graph.Mode, replica int) (*lmNetwork, error) {
	steps = m.LengthBucket(steps)
	net, err := m.networks.get(networkKey{batch, steps, mode, replica}, func() (compiled, error) {
		return m.build(batch, steps, mode, m.workspaces.get(replica))
	})
	if err != nil {
		return nil, err
	}
	return net.(*lmNetwork), nil
}

// predictNetwork returns slot's network for scoring batches of batch
// rows padded to steps.
func (m *LanguageModel) predictNetwork(slot *inferenceSlot, batch, steps int) (*lmNetwork, error) {
	steps = m.LengthBucket(steps)
	net, err := slot.networks.get(networkKey{batch, steps, graph.Predict, 0}, func() (compiled, error) {
		return m.build(batch, steps, graph.Predict, slot.workspace)
	})
	if err != nil {
		return nil, err
	}
	return net.(*lmNetwork), nil
}

// LengthBucket returns the padded length of the graph that runs a batch
// whose longest row has steps tokens: batches of one bucket share a
// compiled graph, so a caller forming batches (a server's dynamic
// batcher) groups texts by it. A row Score reads is the start token and
// the text's tokens. A text's scores are the same, bit for bit, whatever
// the other texts of its batch.
func (m *LanguageModel) LengthBucket(steps int) int {
	if m.opts.Impl == graph.Fused && !m.CarriesState() {
		return bucketSteps(steps) // a stream's windows have at most two lengths
	}
	return steps
}

// carries reports whether networks for mode carry state: a stream model's
// training and evaluation networks.
func (m *LanguageModel) carries(mode graph.Mode) bool {
	return m.CarriesState() && mode != graph.Predict
}

// states returns the number of recurrent states a row carries: h per
// layer, and c per layer for LSTM.
func (m *LanguageModel) states() int {
	if m.cfg.Cell == graph.LSTM {
		return 2 * m.cfg.NumLayers
	}
	return m.cfg.NumLayers
}

// build compiles the network for batches of batch rows padded to at most
// steps, for mode.
func (m *LanguageModel) build(batch, steps int, mode graph.Mode, ws *graph.Workspace) (*lmNetwork, error) {
	g, err := graph.New(m.params, graph.Config{Batch: batch, Training: mode == graph.Train, Impl: m.opts.Impl, Workspace: ws})
	if err != nil {
		return nil, err
	}
	net := &lmNetwork{m: m, g: g, mode: mode}
	if net.tokens, err = g.NewSequence("tokens", graph.SequenceConfig{Steps: steps}); err != nil {
		return nil, err
	}
	var initial *graph.States
	if m.carries(mode) {
		if initial, err = net.declareInitial(); err != nil {
			return nil, err
		}
	}
	out, err := m.forward(g, net.tokens, initial, true)
	if err != nil {
		return nil, err
	}
	net.logits = out.logits
	net.final = append(append([]*G.Node(nil), out.final.H...), out.final.C...)
	if mode != graph.Predict {
		if net.targets, err = g.NewTokenTargets("targets", net.tokens); err != nil {
			return nil, err
		}
		if net.loss, err = graph.SequenceCrossEntropy(g, net.logits, net.targets, graph.LossOptions{}); err != nil {
			return nil, err
		}
	}
	if net.logitsNode, err = net.logits.Whole(); err != nil {
		return nil, err
	}
	differentiate := net.loss
	if mode != graph.Train {
		differentiate = nil
	}
	if err := g.Compile(differentiate); err != nil {
		return nil, err
	}
	return net, nil
}

// forwardNodes are the outputs of the model built into a graph.
type forwardNodes struct {
	outputs *graph.Seq   // the stack's outputs [T, B, H]
	logits  *graph.Seq   // [T, B, V]; nil when the decoder was left out
	final   graph.States // the stack's final states
}

// forward builds the model over tokens into g, from the initial states
// (nil: zeros): RNNModel.forward, without the decoder unless decode.
func (m *LanguageModel) forward(g *graph.Graph, tokens *graph.Sequence, initial *graph.States, decode bool) (forwardNodes, error) {
	x, err := m.encoder.Build(g, tokens)
	if err != nil {
		return forwardNodes{}, err
	}
	if x, err = dropoutSeq(g, x, m.cfg.Dropout); err != nil {
		return forwardNodes{}, err
	}
	out, err := m.rnn.Build(g, x, initial)
	if err != nil {
		return forwardNodes{}, err
	}
	nodes := forwardNodes{outputs: out.Outputs, final: out.Final}
	if !decode {
		return nodes, nil
	}
	y, err := dropoutSeq(g, out.Outputs, m.cfg.Dropout)
	if err != nil {
		return forwardNodes{}, err
	}
	nodes.logits, err = m.decoder.BuildSeq(g, y)
	return nodes, err
}

// dropoutSeq applies graph.Dropout to every step of s in a training graph.
func dropoutSeq(g *graph.Graph, s *graph.Seq, p float64) (*graph.Seq, error) {
	if !g.Training() || p == 0 {
		return s, nil
	}
	whole, err := s.Whole()
	if err != nil {
		return nil, err
	}
	dropped, err := graph.Dropout(g, whole, p)
	if err != nil {
		return nil, err
	}
	return graph.WholeSeq(dropped, s.Tokens())
}

// stateInputs declares one [batch, H] input per carried state of the
// model in g, and returns them with the States they make.
func (m *LanguageModel) stateInputs(g *graph.Graph) ([]*graph.Input, *graph.States, error) {
	inputs := make([]*graph.Input, m.states())
	states := &graph.States{}
	for s := range inputs {
		in, err := g.NewInput("state", g.Batch(), m.cfg.HiddenSize)
		if err != nil {
			return nil, nil, err
		}
		inputs[s] = in
		if s < m.cfg.NumLayers {
			states.H = append(states.H, in.Node())
		} else {
			states.C = append(states.C, in.Node())
		}
	}
	return inputs, states, nil
}

// lmNetwork is one compiled language-model graph: its inputs, the logits
// [T, B, V] and, unless built for Predict, the mean cross-entropy of the
// next tokens. It is a Network.
type lmNetwork struct {
	m          *LanguageModel
	g          *graph.Graph
	mode       graph.Mode
	tokens     *graph.Sequence
	targets    *graph.Targets // nil for Predict
	logits     *graph.Seq
	logitsNode *G.Node   // logits as one node [T, B, V]
	loss       *G.Node   // nil for Predict
	final      []*G.Node // the final states [B, H], h then c

	// A stream network's carried state: its initial-state inputs, the
	// model's carried values of its mode, the batch's columns, scratch.
	initial []*graph.Input
	carry   []float64
	columns []int
	scratch []float64
}

// Close releases the network's graph.
func (n *lmNetwork) Close() error { return n.g.Close() }

// declareInitial declares the network's initial-state inputs and points
// it at the model's carried state of its mode.
func (n *lmNetwork) declareInitial() (*graph.States, error) {
	inputs, states, err := n.m.stateInputs(n.g)
	if err != nil {
		return nil, err
	}
	n.initial = inputs
	n.carry = n.m.carriedState(n.mode)
	n.scratch = make([]float64, n.g.Batch()*n.m.cfg.HiddenSize)
	return states, nil
}

// carriedState returns the model's carried state of mode, [states][columns][H],
// zero when new.
func (m *LanguageModel) carriedState(mode graph.Mode) []float64 {
	c, ok := m.carried[mode]
	if !ok {
		c = make([]float64, m.states()*m.opts.StreamColumns*m.cfg.HiddenSize)
		m.carried[mode] = c
	}
	return c
}

// SetBatch loads the rows of b: its token ids, its next-token targets
// unless the network is for Predict, and for a stream network each row's
// carried state (zero in the stream's first window).
func (n *lmNetwork) SetBatch(b datasets.Batch) error {
	if err := n.tokens.Set(b.IDs, b.Lengths); err != nil {
		return err
	}
	if n.targets != nil {
		if b.Targets == nil {
			return errors.New("models: the language model's batch has no targets")
		}
		if err := n.targets.Set(b.Targets); err != nil {
			return err
		}
	}
	if n.initial == nil {
		return nil
	}
	return n.loadCarried(b)
}

// loadCarried sets the initial states of b's rows: row r is window
// b.Index[r] / C of column b.Index[r] % C, C the stream's columns.
func (n *lmNetwork) loadCarried(b datasets.Batch) error {
	cols, hidden := n.m.opts.StreamColumns, n.m.cfg.HiddenSize
	if len(b.Index) != b.Size {
		return errors.New("models: a stream batch needs its rows' positions (Batch.Index)")
	}
	n.columns = n.columns[:0]
	for _, at := range b.Index {
		n.columns = append(n.columns, at%cols)
	}
	for s, in := range n.initial {
		for r, col := range n.columns {
			dst := n.scratch[r*hidden : (r+1)*hidden]
			if b.Index[r] < cols {
				clear(dst)
			} else {
				copy(dst, n.carry[(s*cols+col)*hidden:])
			}
		}
		if err := in.Set(n.scratch); err != nil {
			return err
		}
	}
	return nil
}

func (n *lmNetwork) SetRNG(rng *graph.RNG)               { n.g.SetRNG(rng) }
func (n *lmNetwork) AccumulateGrads(scale float64) error { return n.g.AccumulateGrads(scale) }

// Run runs the network; a stream network then stores each row's final
// states as its column's carried state.
func (n *lmNetwork) Run() error {
	if err := n.g.Run(); err != nil {
		return err
	}
	if n.initial == nil {
		return nil
	}
	cols, hidden := n.m.opts.StreamColumns, n.m.cfg.HiddenSize
	for s, node := range n.final {
		values, err := graph.Values(node)
		if err != nil {
			return err
		}
		for r, col := range n.columns {
			copy(n.carry[(s*cols+col)*hidden:(s*cols+col+1)*hidden], values[r*hidden:])
		}
	}
	return nil
}

// Loss returns the mean cross-entropy of the last run's next tokens and
// the tokens it is a mean over.
func (n *lmNetwork) Loss() (float64, int, error) {
	if n.loss == nil {
		return 0, 0, errors.New("models: a Predict network has no loss")
	}
	loss, err := graph.Scalar(n.loss)
	return loss, n.targets.Count(), err
}

// Measure adds the last run's results on b to m, a *metrics.Tokens: the
// loss (from the graph, or computed from the logits by a Predict network)
// and the tokens whose most likely next token was the target.
func (n *lmNetwork) Measure(b datasets.Batch, m metrics.Accumulator) error {
	tokens, ok := m.(*metrics.Tokens)
	if !ok {
		return errors.Errorf("models: a language model measures into *metrics.Tokens, not %T", m)
	}
	if b.Targets == nil {
		return errors.New("models: measuring a batch without targets")
	}
	logits, err := logitsOf(n.logitsNode)
	if err != nil {
		return err
	}
	var count, correct int
	var lossSum float64
	for r := 0; r < b.Size; r++ {
		for t := 0; t < b.Lengths[r]; t++ {
			target := b.Targets[r*b.Steps+t]
			if target < 0 {
				continue
			}
			row := logits.row(t*b.Size + r)
			count++
			if row.argmax() == target {
				correct++
			}
			if n.loss == nil {
				lossSum -= row.logProb(target)
			}
		}
	}
	mean := lossSum / float64(max(count, 1))
	if n.loss != nil {
		var weight int
		if mean, weight, err = n.Loss(); err != nil {
			return err
		}
		if weight != count {
			return errors.Errorf("models: the loss counts %d tokens, the batch %d", weight, count)
		}
	}
	tokens.Add(mean, count, correct)
	return nil
}
