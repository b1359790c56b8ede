package models

import (
	"math"
	"slices"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/metrics"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Options are the settings of a model (a Classifier, a Tagger) that are
// not part of its saved configuration. The zero value gives the defaults.
type Options struct {
	// Seed seeds the initial weights.
	Seed uint64
	// Impl builds the graphs: graph.Fused (default) or graph.Composed.
	Impl graph.Impl
	// MaxGraphs bounds the compiled graphs kept at once by training, and
	// by each concurrent prediction (see PredictConcurrency); the least
	// recently used is dropped beyond it. Default 64.
	MaxGraphs int
	// PredictBatch is the batch size of Predict. Default
	// DefaultPredictBatch.
	PredictBatch int
	// FreezeEmbeddings keeps the word embedding as it is (pretrained
	// vectors, say) while the rest trains (graph.Param.Frozen).
	FreezeEmbeddings bool
	// PredictConcurrency bounds the inference calls that run at once (a
	// Classifier's Predict and PredictIDs, a Tagger's Predict, a
	// Seq2Seq's decoding), each on graphs and scratch memory of its own;
	// more wait. Default runtime.GOMAXPROCS(0).
	PredictConcurrency int
}

// DefaultPredictBatch is the default Options.PredictBatch: Predict runs
// its texts 64 at a time, each batch padded to its longest text.
const DefaultPredictBatch = 64

// Classifier is a recurrent text classifier (see the package doc). Its
// parameters are shared by every graph it compiles. It is a Model.
//
// Predict and PredictIDs are safe for concurrent use: each call runs on
// networks of its own, lent from a pool, which only read the shared
// parameters. Everything else, training through Network included, is for
// one goroutine at a time, and must not overlap a prediction (training
// writes the parameters that predictions read).
type Classifier struct {
	cfg       Config
	opts      Options
	vocab     *datasets.Vocab
	tokenizer datasets.Tokenizer
	params    *graph.Params
	embedding *graph.Embedding
	rnn       *graph.Recurrent
	fc        *graph.Linear

	// networks caches the networks of Network (training and
	// evaluation), keyed by networkKey.
	networks *networkCache
	// workspaces holds one workspace per replica: a replica's graphs never
	// run at the same time, so they share their kernels' scratch memory.
	workspaces workspaces
	// inference lends each prediction a workspace and networks of its own.
	inference *inferencePool
}

var _ Model = (*Classifier)(nil)

type networkKey struct {
	batch, steps int
	mode         graph.Mode
	replica      int
}

// New declares a classifier for cfg over vocab, with weights initialised as
// PyTorch initialises the equivalent modules, drawn from opts.Seed.
// cfg.VocabSize and cfg.NumClasses default to vocab.Len() and len(cfg.Labels);
// cfg.Tokenizer to the vocabulary's tokenizer, which it must equal when
// given.
func New(cfg Config, vocab *datasets.Vocab, opts Options) (*Classifier, error) {
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
	tok, err := datasets.NewTokenizer(cfg.Tokenizer)
	if err != nil {
		return nil, errors.Wrap(err, "models")
	}
	if opts.MaxGraphs == 0 {
		opts.MaxGraphs = 64
	}
	if opts.PredictBatch == 0 {
		opts.PredictBatch = DefaultPredictBatch
	}
	params, err := graph.NewParams(tensor.Float32, opts.Seed)
	if err != nil {
		return nil, err
	}
	c := &Classifier{
		cfg: cfg, opts: opts, vocab: vocab, tokenizer: tok, params: params,
		networks:  newNetworkCache(opts.MaxGraphs),
		inference: newInferencePool(opts.PredictConcurrency, opts.MaxGraphs),
	}
	if c.embedding, err = graph.NewEmbedding(params, "embedding", cfg.VocabSize, cfg.EmbedDim, datasets.PadID); err != nil {
		return nil, err
	}
	c.embedding.Weight.Frozen = opts.FreezeEmbeddings
	if c.rnn, err = graph.NewRecurrent(params, "rnn", cfg.Recurrent()); err != nil {
		return nil, err
	}
	if c.fc, err = graph.NewLinear(params, "fc", cfg.OutputWidth(), cfg.NumClasses); err != nil {
		return nil, err
	}
	return c, nil
}

// Config returns the classifier's configuration.
func (c *Classifier) Config() Config { return c.cfg }

// Vocab returns the classifier's vocabulary.
func (c *Classifier) Vocab() *datasets.Vocab { return c.vocab }

// Tokenizer returns the tokenizer the classifier reads texts with.
func (c *Classifier) Tokenizer() datasets.Tokenizer { return c.tokenizer }

// Params returns the learnable parameters, named as the state_dict of the
// equivalent PyTorch modules.
func (c *Classifier) Params() *graph.Params { return c.params }

// MaxLen returns the number of tokens texts are truncated to (0: none).
func (c *Classifier) MaxLen() int { return c.cfg.MaxLen }

// NewMetrics returns an empty accumulator of the classifier's measures:
// accuracy, macro F1 and the confusion matrix over its labels.
func (c *Classifier) NewMetrics() metrics.Accumulator { return metrics.NewClasses(c.cfg.Labels) }

// Objective returns the highest validation accuracy.
func (c *Classifier) Objective() metrics.Objective { return metrics.Accuracy }

// bucketSteps returns the padded length a fused graph is built for, so that
// batches of nearby lengths share one graph: steps rounded up to a multiple
// of 16. (The graphs of one worker share their scratch memory, so more
// buckets cost only their compilation, and tight ones less memory.)
func bucketSteps(steps int) int { return (steps + 15) / 16 * 16 }

// LengthBucket returns the padded length of the graph that runs a batch
// whose longest text has tokens tokens (after truncation to MaxLen):
// batches of one bucket share a compiled graph, so a caller forming
// batches (a server's dynamic batcher) groups texts by it.
func (c *Classifier) LengthBucket(tokens int) int {
	if c.opts.Impl == graph.Fused {
		return bucketSteps(tokens)
	}
	return tokens
}

// RowsIndependent reports whether each text's prediction is the same,
// bit for bit, whatever the other texts of its batch. It is, unless the
// model runs over the padding (Config.Padded) or averages over it
// (mean_all pooling): then a prediction depends on the batch's padded
// length, its longest text, as it does in PyTorch.
func (c *Classifier) RowsIndependent() bool {
	return !c.cfg.Padded && c.cfg.Pooling != graph.MeanAll
}

// Network returns a compiled network for batches shaped like b (its rows
// and padded length), built for mode; replica tells apart the networks of
// parallel workers. Networks are cached (see Options.MaxGraphs). Network
// is for one goroutine at a time (the training loop's).
func (c *Classifier) Network(b datasets.Batch, mode graph.Mode, replica int) (Network, error) {
	return c.network(b.Size, b.Steps, mode, replica)
}

func (c *Classifier) network(batch, steps int, mode graph.Mode, replica int) (*network, error) {
	steps = c.LengthBucket(steps)
	net, err := c.networks.get(networkKey{batch, steps, mode, replica}, func() (compiled, error) {
		return c.build(batch, steps, mode, c.workspaces.get(replica))
	})
	if err != nil {
		return nil, err
	}
	return net.(*network), nil
}

// predictNetwork returns slot's network for predicting batches of batch
// rows padded to steps.
func (c *Classifier) predictNetwork(slot *inferenceSlot, batch, steps int) (*network, error) {
	steps = c.LengthBucket(steps)
	net, err := slot.networks.get(networkKey{batch, steps, graph.Predict, 0}, func() (compiled, error) {
		return c.build(batch, steps, graph.Predict, slot.workspace)
	})
	if err != nil {
		return nil, err
	}
	return net.(*network), nil
}

// build compiles a network for batches of batch rows padded to at most
// steps, built for mode, whose fused kernels use the scratch memory ws.
func (c *Classifier) build(batch, steps int, mode graph.Mode, ws *graph.Workspace) (*network, error) {
	g, err := graph.New(c.params, graph.Config{Batch: batch, Training: mode == graph.Train, Impl: c.opts.Impl, Workspace: ws})
	if err != nil {
		return nil, err
	}
	net := &network{g: g, mode: mode, classes: c.cfg.NumClasses}
	if net.tokens, err = g.NewSequence("tokens", graph.SequenceConfig{Steps: steps, Padded: c.cfg.Padded}); err != nil {
		return nil, err
	}
	x, err := c.embedding.Build(g, net.tokens)
	if err != nil {
		return nil, err
	}
	out, err := c.rnn.Build(g, x, nil)
	if err != nil {
		return nil, err
	}
	pooled, err := graph.Pool(g, out, c.cfg.Pooling)
	if err != nil {
		return nil, err
	}
	if net.logits, err = c.fc.Build(g, pooled); err != nil {
		return nil, err
	}
	if mode != graph.Predict {
		net.labels = g.NewLabels("labels")
		if net.loss, err = graph.CrossEntropy(g, net.logits, net.labels, graph.LossOptions{}); err != nil {
			return nil, err
		}
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

// network is one compiled classifier graph: its inputs, the logits [B, C]
// and, unless built for Predict, the mean cross-entropy loss. It is a
// Network.
type network struct {
	g       *graph.Graph
	mode    graph.Mode
	classes int
	tokens  *graph.Sequence
	labels  *graph.Targets // nil for Predict
	logits  *G.Node
	loss    *G.Node // nil for Predict
	best    []int   // scratch: each row's most likely class
}

// SetBatch loads the rows of b: its token ids and, unless the network is
// for Predict, its labels.
func (n *network) SetBatch(b datasets.Batch) error {
	if err := n.tokens.Set(b.IDs, b.Lengths); err != nil {
		return err
	}
	if n.labels == nil {
		return nil
	}
	if b.Labels == nil {
		return errors.New("models: the classifier's batch has no labels")
	}
	return n.labels.Set(b.Labels)
}

func (n *network) SetRNG(rng *graph.RNG)               { n.g.SetRNG(rng) }
func (n *network) Close() error                        { return n.g.Close() }
func (n *network) Run() error                          { return n.g.Run() }
func (n *network) AccumulateGrads(scale float64) error { return n.g.AccumulateGrads(scale) }

// Loss returns the mean cross-entropy of the last run and the rows it is
// a mean over.
func (n *network) Loss() (float64, int, error) {
	if n.loss == nil {
		return 0, 0, errors.New("models: a Predict network has no loss")
	}
	loss, err := graph.Scalar(n.loss)
	return loss, n.labels.Count(), err
}

// Measure adds the last run's predictions for b's rows to m, a
// *metrics.Classes.
func (n *network) Measure(b datasets.Batch, m metrics.Accumulator) error {
	classes, ok := m.(*metrics.Classes)
	if !ok {
		return errors.Errorf("models: a classifier measures into *metrics.Classes, not %T", m)
	}
	n.best = slices.Grow(n.best[:0], b.Size)[:b.Size]
	if err := n.predictions(n.best, nil); err != nil {
		return err
	}
	return classes.Add(b.Labels, n.best)
}

// predictions writes each row's most likely class into best [B] and, when
// probs is not nil, the softmax probabilities into probs [B*C], computed in
// float64 from the logits of the last run; it returns the logits.
func (n *network) predictions(best []int, probs []float64) error {
	logits, err := graph.Values(n.logits)
	if err != nil {
		return err
	}
	c := n.classes
	for b := range best {
		row := logits[b*c : (b+1)*c]
		top := 0
		for j, x := range row {
			if x > row[top] {
				top = j
			}
		}
		best[b] = top
		if probs == nil {
			continue
		}
		p := probs[b*c : (b+1)*c]
		sum := 0.0
		for j, x := range row {
			p[j] = math.Exp(x - row[top])
			sum += p[j]
		}
		for j := range p {
			p[j] /= sum
		}
	}
	return nil
}

// Prediction is a classifier's answer for one text.
type Prediction struct {
	Class         int       // index of the most likely label
	Label         string    // its name
	Probabilities []float64 // [C] softmax probabilities, in label order
	Logits        []float64 // [C] the linear layer's outputs
}

// Encode returns the token ids the classifier reads text as: its tokens'
// vocabulary ids, truncated to MaxLen when set; a text without tokens
// reads as one unknown token.
func (c *Classifier) Encode(text string) []int {
	ids := c.vocab.Encode(c.tokenizer.Tokenize(text))
	if len(ids) == 0 {
		return []int{datasets.UnkID}
	}
	if c.cfg.MaxLen > 0 && len(ids) > c.cfg.MaxLen {
		ids = ids[:c.cfg.MaxLen]
	}
	return ids
}

// Predict classifies texts, read as Encode reads them. It is safe for
// concurrent use (see Classifier).
func (c *Classifier) Predict(texts []string) ([]Prediction, error) {
	seqs := make([][]int, len(texts))
	for i, text := range texts {
		seqs[i] = c.Encode(text)
	}
	return c.PredictIDs(seqs)
}

// PredictIDs classifies token id sequences (each non-empty, truncated to
// MaxLen when set), Options.PredictBatch at a time, the batches at once on
// up to Options.PredictConcurrency cores. It is safe for concurrent use
// (see Classifier).
func (c *Classifier) PredictIDs(seqs [][]int) ([]Prediction, error) {
	preds := make([]Prediction, len(seqs))
	err := c.inference.inChunks(len(seqs), c.opts.PredictBatch, "texts", func(slot *inferenceSlot, from, to int) error {
		return c.predictChunk(slot, seqs[from:to], preds[from:to])
	})
	if err != nil {
		return nil, err
	}
	return preds, nil
}

// predictChunk runs seqs as one batch on slot's network and writes their
// predictions to preds.
func (c *Classifier) predictChunk(slot *inferenceSlot, seqs [][]int, preds []Prediction) error {
	batch, err := datasets.PadBatch(seqs, c.cfg.MaxLen)
	if err != nil {
		return err
	}
	net, err := c.predictNetwork(slot, batch.Size, batch.Steps)
	if err != nil {
		return err
	}
	if err := net.SetBatch(batch); err != nil {
		return err
	}
	if err := net.Run(); err != nil {
		return err
	}
	classes := c.cfg.NumClasses
	best := make([]int, batch.Size)
	probs := make([]float64, batch.Size*classes)
	if err := net.predictions(best, probs); err != nil {
		return err
	}
	logits, err := graph.Values(net.logits)
	if err != nil {
		return err
	}
	for b, class := range best {
		preds[b] = Prediction{
			Class: class, Label: c.cfg.Labels[class],
			Probabilities: probs[b*classes : (b+1)*classes], Logits: logits[b*classes : (b+1)*classes],
		}
	}
	return nil
}
