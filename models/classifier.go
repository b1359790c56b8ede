package models

import (
	"container/list"
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
	// MaxGraphs bounds the compiled graphs kept at once; the least
	// recently used is dropped beyond it. Default 64.
	MaxGraphs int
	// PredictBatch is the batch size of Predict. Default 64.
	PredictBatch int
	// FreezeEmbeddings keeps the word embedding as it is (pretrained
	// vectors, say) while the rest trains (graph.Param.Frozen).
	FreezeEmbeddings bool
}

// Classifier is a recurrent text classifier (see the package doc). Its
// parameters are shared by every graph it compiles. It is a Model.
// A Classifier is not safe for concurrent use.
type Classifier struct {
	cfg       Config
	opts      Options
	vocab     *datasets.Vocab
	tokenizer datasets.Tokenizer
	params    *graph.Params
	embedding *graph.Embedding
	rnn       *graph.Recurrent
	fc        *graph.Linear

	networks map[networkKey]*list.Element
	lru      *list.List // of *cachedNetwork, most recent first
	// workspaces holds one workspace per replica: a replica's graphs never
	// run at the same time, so they share their kernels' scratch memory.
	workspaces map[int]*graph.Workspace
}

var _ Model = (*Classifier)(nil)

type networkKey struct {
	batch, steps int
	mode         graph.Mode
	replica      int
}

type cachedNetwork struct {
	key networkKey
	net *network
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
		opts.PredictBatch = 64
	}
	params, err := graph.NewParams(tensor.Float32, opts.Seed)
	if err != nil {
		return nil, err
	}
	c := &Classifier{cfg: cfg, opts: opts, vocab: vocab, tokenizer: tok, params: params, networks: map[networkKey]*list.Element{}, lru: list.New(), workspaces: map[int]*graph.Workspace{}}
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

// Network returns a compiled network for batches shaped like b (its rows
// and padded length), built for mode; replica tells apart the networks of
// parallel workers. Networks are cached (see Options.MaxGraphs).
func (c *Classifier) Network(b datasets.Batch, mode graph.Mode, replica int) (Network, error) {
	return c.network(b.Size, b.Steps, mode, replica)
}

func (c *Classifier) network(batch, steps int, mode graph.Mode, replica int) (*network, error) {
	if c.opts.Impl == graph.Fused {
		steps = bucketSteps(steps)
	}
	key := networkKey{batch, steps, mode, replica}
	if e, ok := c.networks[key]; ok {
		c.lru.MoveToFront(e)
		return e.Value.(*cachedNetwork).net, nil
	}
	net, err := c.build(batch, steps, mode, replica)
	if err != nil {
		return nil, err
	}
	c.networks[key] = c.lru.PushFront(&cachedNetwork{key: key, net: net})
	for c.lru.Len() > c.opts.MaxGraphs {
		oldest := c.lru.Remove(c.lru.Back()).(*cachedNetwork)
		delete(c.networks, oldest.key)
		if err := oldest.net.g.Close(); err != nil {
			return nil, errors.Wrap(err, "models: closing a cached graph")
		}
	}
	return net, nil
}

func (c *Classifier) build(batch, steps int, mode graph.Mode, replica int) (*network, error) {
	ws := c.workspaces[replica]
	if ws == nil {
		ws = graph.NewWorkspace()
		c.workspaces[replica] = ws
	}
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

// Predict classifies texts. A text without tokens reads as one unknown
// token.
func (c *Classifier) Predict(texts []string) ([]Prediction, error) {
	seqs := make([][]int, len(texts))
	for i, text := range texts {
		seqs[i] = c.vocab.Encode(c.tokenizer.Tokenize(text))
		if len(seqs[i]) == 0 {
			seqs[i] = []int{datasets.UnkID}
		}
	}
	return c.PredictIDs(seqs)
}

// PredictIDs classifies token id sequences (each non-empty, truncated to
// MaxLen when set).
func (c *Classifier) PredictIDs(seqs [][]int) ([]Prediction, error) {
	preds := make([]Prediction, 0, len(seqs))
	classes := c.cfg.NumClasses
	for from := 0; from < len(seqs); from += c.opts.PredictBatch {
		chunk := seqs[from:min(from+c.opts.PredictBatch, len(seqs))]
		batch, err := datasets.PadBatch(chunk, c.cfg.MaxLen)
		if err != nil {
			return nil, errors.Wrapf(err, "models: texts %d..%d", from, from+len(chunk)-1)
		}
		net, err := c.network(batch.Size, batch.Steps, graph.Predict, 0)
		if err != nil {
			return nil, err
		}
		if err := net.SetBatch(batch); err != nil {
			return nil, errors.Wrapf(err, "models: texts %d..%d", from, from+len(chunk)-1)
		}
		if err := net.Run(); err != nil {
			return nil, err
		}
		best := make([]int, batch.Size)
		probs := make([]float64, batch.Size*classes)
		if err := net.predictions(best, probs); err != nil {
			return nil, err
		}
		logits, err := graph.Values(net.logits)
		if err != nil {
			return nil, err
		}
		for b, class := range best {
			preds = append(preds, Prediction{
				Class: class, Label: c.cfg.Labels[class],
				Probabilities: probs[b*classes : (b+1)*classes], Logits: logits[b*classes : (b+1)*classes],
			})
		}
	}
	return preds, nil
}
