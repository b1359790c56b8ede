package models

import (
	"math"
	"strings"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/metrics"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Tagger is a recurrent sequence tagger, a tag for every token (named
// entities, parts of speech, chunks, case), after Lample et al. (2016):
//
//	word ids [B, T] -> Embedding(V, E, padding_idx=0)
//	   (beside each word's character features [2*Hc], graph.CharFeatures)
//	-> bidirectional recurrent stack (rnn_tanh, rnn_relu, lstm, gru) [T, B, 2H]
//	-> Linear(2H, K) at every token: emission scores [T, B, K]
//	-> a softmax per token (cross-entropy loss, argmax decoding)
//	   or a linear-chain CRF (negative log-likelihood, Viterbi decoding)
//
// Its parameters are shared by every graph it compiles, one per batch
// shape (padded lengths rounded up to buckets) and mode, kept in a bounded
// cache. It is a Model: its loss is a mean over tokens, its measures
// a metrics.Tagging (span F1 under a tag scheme, token accuracy), its
// objective the span F1 (token accuracy without a scheme). It saves to
// and loads from a model directory: config.json (TaggerConfig), vocab.txt,
// tags.txt, chars.txt with character features, and model.safetensors
// with the state_dict names of the equivalent torch.nn modules.
//
// Predict is safe for concurrent use: each call runs on networks of its
// own, lent from a pool, which only read the shared parameters.
// Everything else, training through Network and SetConstrained included,
// is for one goroutine at a time, and must not overlap a prediction.
type Tagger struct {
	cfg         TaggerConfig
	opts        Options
	vocab       *datasets.Vocab
	tags        *datasets.TagSet
	chars       *datasets.Vocab
	params      *graph.Params
	embedding   *graph.Embedding
	charFeats   *graph.CharFeatures
	rnn         *graph.Recurrent
	fc          *graph.Linear
	crf         *graph.CRF
	constraints *graph.Constraints
	cache       *networkCache
	workspaces  workspaces // one per replica
	// inference lends each prediction a workspace and networks of its own.
	inference *inferencePool
}

var _ Model = (*Tagger)(nil)

// NewTagger declares a tagger for cfg over the words of vocab, the tags
// of tags and, when chars is not nil, character features over its
// alphabet, with weights initialised as PyTorch initialises the
// equivalent modules, drawn from opts.Seed. cfg.VocabSize, NumTags and
// CharVocabSize default to the sizes of vocab, tags and chars. Under a
// tag scheme every tag must follow it.
func NewTagger(cfg TaggerConfig, vocab *datasets.Vocab, tags *datasets.TagSet, chars *datasets.Vocab, opts Options) (*Tagger, error) {
	if vocab == nil || tags == nil {
		return nil, errors.New("models: a tagger needs a vocabulary and a tag set")
	}
	if cfg.VocabSize == 0 {
		cfg.VocabSize = vocab.Len()
	}
	if cfg.NumTags == 0 {
		cfg.NumTags = tags.Len()
	}
	if cfg.CharVocabSize == 0 && chars != nil {
		cfg.CharVocabSize = chars.Len()
	}
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch {
	case cfg.VocabSize != vocab.Len():
		return nil, errors.Errorf("models: vocab_size %d but the vocabulary has %d tokens", cfg.VocabSize, vocab.Len())
	case cfg.NumTags != tags.Len():
		return nil, errors.Errorf("models: num_tags %d but the tag set has %d tags", cfg.NumTags, tags.Len())
	case cfg.Chars() != (chars != nil) || (chars != nil && cfg.CharVocabSize != chars.Len()):
		return nil, errors.Errorf("models: char_vocab_size %d does not match the character alphabet given (nil: %v)", cfg.CharVocabSize, chars == nil)
	}
	if err := cfg.Scheme.CheckTags(tags.Names()); err != nil {
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
	t := &Tagger{cfg: cfg, opts: opts, vocab: vocab, tags: tags, chars: chars, params: params}
	t.cache = newNetworkCache(opts.MaxGraphs)
	t.inference = newInferencePool(opts.PredictConcurrency, opts.MaxGraphs)
	if t.embedding, err = graph.NewEmbedding(params, "embedding", cfg.VocabSize, cfg.EmbedDim, datasets.PadID); err != nil {
		return nil, err
	}
	t.embedding.Weight.Frozen = opts.FreezeEmbeddings
	if cfg.Chars() {
		cc := graph.CharConfig{Cell: cfg.Cell, Chars: cfg.CharVocabSize, Dim: cfg.CharDim, Hidden: cfg.CharHidden}
		if t.charFeats, err = graph.NewCharFeatures(params, "char", cc); err != nil {
			return nil, err
		}
	}
	if t.rnn, err = graph.NewRecurrent(params, "rnn", cfg.Recurrent()); err != nil {
		return nil, err
	}
	if t.fc, err = graph.NewLinear(params, "fc", t.rnn.OutputWidth(), cfg.NumTags); err != nil {
		return nil, err
	}
	if cfg.CRF {
		if t.crf, err = graph.NewCRF(params, "crf", cfg.NumTags); err != nil {
			return nil, err
		}
	}
	if err := t.SetConstrained(cfg.Constrained); err != nil {
		return nil, err
	}
	return t, nil
}

// Config returns the tagger's configuration.
func (t *Tagger) Config() TaggerConfig { return t.cfg }

// Vocab returns the word vocabulary.
func (t *Tagger) Vocab() *datasets.Vocab { return t.vocab }

// Tags returns the tag set.
func (t *Tagger) Tags() *datasets.TagSet { return t.tags }

// Chars returns the character alphabet, nil without character features.
func (t *Tagger) Chars() *datasets.Vocab { return t.chars }

// Params returns the learnable parameters, named as the state_dict of the
// equivalent PyTorch modules.
func (t *Tagger) Params() *graph.Params { return t.params }

// MaxLen returns 0: sentences are not truncated (their loaders bound
// them).
func (t *Tagger) MaxLen() int { return 0 }

// NewMetrics returns an empty metrics.Tagging over the tags under the
// tagger's scheme.
func (t *Tagger) NewMetrics() metrics.Accumulator {
	return metrics.NewTagging(t.tags.Names(), t.cfg.Scheme)
}

// Objective returns the highest validation span F1, or the highest token
// accuracy when the tags make no spans.
func (t *Tagger) Objective() metrics.Objective {
	if t.cfg.Scheme == metrics.NoScheme {
		return metrics.Accuracy
	}
	return metrics.F1
}

// SetConstrained turns the scheme's constraints on Viterbi decoding on or
// off (TaggerConfig.Constrained, saved with the model); on needs a CRF and
// a tag scheme.
func (t *Tagger) SetConstrained(on bool) error {
	if !on {
		t.cfg.Constrained, t.constraints = false, nil
		return nil
	}
	if t.crf == nil || t.cfg.Scheme == metrics.NoScheme {
		return errors.New("models: constrained decoding needs a CRF and a tag scheme")
	}
	c, err := t.cfg.Scheme.Constraints(t.tags.Names())
	if err != nil {
		return errors.Wrap(err, "models")
	}
	t.cfg.Constrained, t.constraints = true, &graph.Constraints{Start: c.Start, Allowed: c.Allowed, End: c.End}
	return nil
}

// Network returns a compiled network for batches shaped like b (its rows
// and padded length), built for mode; replica tells apart the networks of
// parallel workers. Networks are cached (see Options.MaxGraphs).
func (t *Tagger) Network(b datasets.Batch, mode graph.Mode, replica int) (Network, error) {
	return t.network(b.Size, b.Steps, mode, replica)
}

func (t *Tagger) network(batch, steps int, mode graph.Mode, replica int) (*taggerNetwork, error) {
	steps = t.LengthBucket(steps)
	net, err := t.cache.get(networkKey{batch, steps, mode, replica}, func() (compiled, error) {
		return t.build(batch, steps, mode, t.workspaces.get(replica))
	})
	if err != nil {
		return nil, err
	}
	return net.(*taggerNetwork), nil
}

// predictNetwork returns slot's network for tagging batches of batch rows
// padded to steps.
func (t *Tagger) predictNetwork(slot *inferenceSlot, batch, steps int) (*taggerNetwork, error) {
	steps = t.LengthBucket(steps)
	net, err := slot.networks.get(networkKey{batch, steps, graph.Predict, 0}, func() (compiled, error) {
		return t.build(batch, steps, graph.Predict, slot.workspace)
	})
	if err != nil {
		return nil, err
	}
	return net.(*taggerNetwork), nil
}

// LengthBucket returns the padded length of the graph that runs a batch
// whose longest sentence has tokens tokens: batches of one bucket share a
// compiled graph, so a caller forming batches (a server's dynamic
// batcher) groups sentences by it. A sentence's tags are the same, bit
// for bit, whatever the other sentences of its batch.
func (t *Tagger) LengthBucket(tokens int) int {
	if t.opts.Impl == graph.Fused {
		return bucketSteps(tokens)
	}
	return tokens
}

func (t *Tagger) build(batch, steps int, mode graph.Mode, ws *graph.Workspace) (*taggerNetwork, error) {
	g, err := graph.New(t.params, graph.Config{Batch: batch, Training: mode == graph.Train, Impl: t.opts.Impl, Workspace: ws})
	if err != nil {
		return nil, err
	}
	net := &taggerNetwork{t: t, g: g}
	if net.tokens, err = g.NewSequence("tokens", graph.SequenceConfig{Steps: steps}); err != nil {
		return nil, err
	}
	x, err := t.embedding.Build(g, net.tokens)
	if err != nil {
		return nil, err
	}
	if t.charFeats != nil {
		if net.chars, err = g.NewChars("chars", net.tokens, t.cfg.MaxWordChars); err != nil {
			return nil, err
		}
		features, err := t.charFeats.Build(g, net.chars)
		if err != nil {
			return nil, err
		}
		if x, err = graph.ConcatSeqs(g, x, features); err != nil {
			return nil, err
		}
	}
	out, err := t.rnn.Build(g, x, nil)
	if err != nil {
		return nil, err
	}
	emissions, err := t.fc.BuildSeq(g, out.Outputs)
	if err != nil {
		return nil, err
	}
	whole, err := emissions.Whole()
	if err != nil {
		return nil, err
	}
	if net.emissions, err = graph.Readable(g, whole); err != nil {
		return nil, err
	}
	if mode != graph.Predict {
		if net.targets, err = g.NewTokenTargets("tags", net.tokens); err != nil {
			return nil, err
		}
		if t.crf != nil {
			net.loss, err = t.crf.NegLogLikelihood(g, emissions, net.targets)
		} else {
			net.loss, err = graph.SequenceCrossEntropy(g, emissions, net.targets, graph.LossOptions{})
		}
		if err != nil {
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

// taggerNetwork is one compiled tagger graph: its inputs, the emission
// scores [T, B, K] and, unless built for Predict, the loss. It is a
// Network.
type taggerNetwork struct {
	t         *Tagger
	g         *graph.Graph
	tokens    *graph.Sequence
	chars     *graph.Chars   // nil without character features
	targets   *graph.Targets // nil for Predict
	emissions *G.Node
	loss      *G.Node // nil for Predict
}

// SetBatch loads the rows of b: its word ids, its characters when the
// tagger reads them and, unless the network is for Predict, its tags.
func (n *taggerNetwork) SetBatch(b datasets.Batch) error {
	if err := n.tokens.Set(b.IDs, b.Lengths); err != nil {
		return err
	}
	if n.chars != nil {
		if b.Chars == nil {
			return errors.New("models: the tagger reads characters, but the batch has none")
		}
		ids, steps := b.Chars, b.CharSteps
		if n.t.opts.Impl == graph.Composed {
			ids, steps = repadChars(b.Chars, b.CharSteps, n.t.cfg.MaxWordChars), n.t.cfg.MaxWordChars
		}
		if steps > n.t.cfg.MaxWordChars {
			return errors.Errorf("models: words of %d characters, the tagger reads at most %d", steps, n.t.cfg.MaxWordChars)
		}
		if err := n.chars.Set(ids, b.CharLengths); err != nil {
			return err
		}
	}
	if n.targets == nil {
		return nil
	}
	if b.Targets == nil {
		return errors.New("models: the tagger's batch has no tags")
	}
	return n.targets.Set(b.Targets)
}

// repadChars pads every word's characters (steps each) to width.
func repadChars(ids []int, steps, width int) []int {
	if steps >= width {
		return ids
	}
	out := make([]int, len(ids)/steps*width)
	for w := 0; w < len(ids)/steps; w++ {
		copy(out[w*width:], ids[w*steps:(w+1)*steps])
	}
	return out
}

func (n *taggerNetwork) SetRNG(rng *graph.RNG)               { n.g.SetRNG(rng) }
func (n *taggerNetwork) Close() error                        { return n.g.Close() }
func (n *taggerNetwork) Run() error                          { return n.g.Run() }
func (n *taggerNetwork) AccumulateGrads(scale float64) error { return n.g.AccumulateGrads(scale) }

// Loss returns the mean loss per tag of the last run and the tags it is a
// mean over.
func (n *taggerNetwork) Loss() (float64, int, error) {
	if n.loss == nil {
		return 0, 0, errors.New("models: a Predict network has no loss")
	}
	loss, err := graph.Scalar(n.loss)
	return loss, n.targets.Count(), err
}

// Measure adds the last run's decoded tags for b's rows to m, a
// *metrics.Tagging.
func (n *taggerNetwork) Measure(b datasets.Batch, m metrics.Accumulator) error {
	tagging, ok := m.(*metrics.Tagging)
	if !ok {
		return errors.Errorf("models: a tagger measures into *metrics.Tagging, not %T", m)
	}
	if b.Targets == nil {
		return errors.New("models: the tagger's batch has no tags to measure against")
	}
	d, err := n.decode(b.Lengths, false)
	if err != nil {
		return err
	}
	for row, path := range d.paths {
		if err := tagging.Add(b.Targets[row*b.Steps:row*b.Steps+b.Lengths[row]], path); err != nil {
			return errors.Wrapf(err, "row %d", row)
		}
	}
	return nil
}

// decoded are the tags decoded from one run: a path per row and, with a
// CRF, its Viterbi score, or with a softmax the probability of each tag
// chosen (when asked for).
type decoded struct {
	paths  [][]int
	scores []float64
	probs  [][]float64
}

// decode decodes the last run's emission scores for rows of the given
// lengths: Viterbi with a CRF (under the constraints when set), the most
// likely tag of each token otherwise.
func (n *taggerNetwork) decode(lengths []int, withProbs bool) (decoded, error) {
	values, err := graph.Values(n.emissions)
	if err != nil {
		return decoded{}, err
	}
	t := n.t
	k, batch, steps := t.cfg.NumTags, len(lengths), n.tokens.ActiveSteps()
	if t.crf != nil {
		paths, scores, err := t.crf.Decode(values[:steps*batch*k], steps, lengths, t.constraints)
		return decoded{paths: paths, scores: scores}, err
	}
	d := decoded{paths: make([][]int, batch)}
	if withProbs {
		d.probs = make([][]float64, batch)
	}
	for b, length := range lengths {
		d.paths[b] = make([]int, length)
		if withProbs {
			d.probs[b] = make([]float64, length)
		}
		for s := range length {
			row := values[(s*batch+b)*k : (s*batch+b+1)*k]
			best := 0
			for j, v := range row {
				if v > row[best] {
					best = j
				}
			}
			d.paths[b][s] = best
			if withProbs {
				sum := 0.0
				for _, v := range row {
					sum += math.Exp(v - row[best])
				}
				d.probs[b][s] = 1 / sum
			}
		}
	}
	return d, nil
}

// TagPrediction is a tagger's answer for one sentence.
type TagPrediction struct {
	Tokens []string // the sentence, as given
	Tags   []string // a tag per token
	IDs    []int    // their ids
	// Probabilities are the softmax probability of each token's tag
	// (softmax taggers; nil with a CRF).
	Probabilities []float64
	// Score is the Viterbi score of the tag path (with a CRF; 0
	// otherwise): the path's unnormalised log-probability.
	Score float64
	// Spans are the tags' spans under the tagger's scheme (nil without
	// one).
	Spans []metrics.Span
}

// Predict tags sentences of tokens, as given (split a line on white
// space, say); every sentence needs a token. Each sentence's answer is
// the same, bit for bit, whatever the other sentences of the call. It is
// safe for concurrent use (see Tagger).
func (t *Tagger) Predict(sentences [][]string) ([]TagPrediction, error) {
	enc := &datasets.Encoded{IDs: make([][]int, len(sentences))}
	if t.chars != nil {
		enc.Chars = make([][][]int, len(sentences))
	}
	for i, tokens := range sentences {
		if len(tokens) == 0 {
			return nil, errors.Errorf("models: sentence %d has no tokens", i)
		}
		words := tokens
		if t.cfg.Lowercase {
			words = make([]string, len(tokens))
			for j, token := range tokens {
				words[j] = strings.ToLower(token)
			}
		}
		enc.IDs[i] = t.vocab.Encode(words)
		if t.chars != nil {
			enc.Chars[i] = datasets.CharIDs(t.chars, tokens, t.cfg.MaxWordChars)
		}
	}
	if len(sentences) == 0 {
		return nil, nil
	}
	batcher, err := datasets.NewBatcher(enc, datasets.BatcherOptions{BatchSize: t.opts.PredictBatch})
	if err != nil {
		return nil, errors.Wrap(err, "models")
	}
	preds := make([]TagPrediction, len(sentences))
	err = t.inference.with(func(slot *inferenceSlot) error {
		for it := batcher.Epoch(0); it.Next(); {
			if err := t.predictBatch(slot, it.Batch(), sentences, preds); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return preds, nil
}

// predictBatch tags the rows of b, sentences b.Index, on slot's network
// into preds.
func (t *Tagger) predictBatch(slot *inferenceSlot, b datasets.Batch, sentences [][]string, preds []TagPrediction) error {
	net, err := t.predictNetwork(slot, b.Size, b.Steps)
	if err != nil {
		return err
	}
	if err := net.SetBatch(b); err != nil {
		return errors.Wrapf(err, "models: sentences %d..%d", b.Index[0], b.Index[b.Size-1])
	}
	if err := net.Run(); err != nil {
		return err
	}
	d, err := net.decode(b.Lengths, true)
	if err != nil {
		return err
	}
	for row, path := range d.paths {
		i := b.Index[row]
		p := TagPrediction{Tokens: sentences[i], IDs: path, Tags: make([]string, len(path))}
		for j, id := range path {
			p.Tags[j] = t.tags.Name(id)
		}
		if d.scores != nil {
			p.Score = d.scores[row]
		}
		if d.probs != nil {
			p.Probabilities = d.probs[row]
		}
		if t.cfg.Scheme != metrics.NoScheme {
			p.Spans = metrics.Spans(p.Tags)
		}
		preds[i] = p
	}
	return nil
}
