package models

import (
	"fmt"
	"math"
	"strings"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/internal/gemm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Limits of Generate.
const (
	// DefaultGenerateTokens is GenerateOptions.MaxTokens' default: 100.
	DefaultGenerateTokens = 100
	// MaxGenerateTokens bounds GenerateOptions.MaxTokens: 100,000 tokens.
	MaxGenerateTokens = 100_000
)

// GenerateOptions are the settings of Generate. The zero value generates
// DefaultGenerateTokens tokens greedily.
type GenerateOptions struct {
	// Sampling draws each token: greedy (the zero value), or sampled with
	// a temperature, top-k and top-p.
	Sampling
	// MaxTokens is the most tokens generated. Default 0:
	// DefaultGenerateTokens; at most MaxGenerateTokens.
	MaxTokens int
	// Stop ends the generation once the generated text contains it (the
	// text then ends with it). Default "": no stop string. Generation
	// always stops before EOSToken.
	Stop string
	// Seed seeds the draws: the same seed, prompt and options give the
	// same text.
	Seed uint64
	// OnToken, when set, receives each token as it is produced, for
	// streaming; an error it returns stops the generation and is
	// returned.
	OnToken func(GeneratedToken) error
}

// GeneratedToken is one generated token.
type GeneratedToken struct {
	ID      int     // its vocabulary id
	Token   string  // the token
	Text    string  // what it adds to the text: the token, after a space for a word model
	LogProb float64 // its natural log-probability under the model (temperature 1, unfiltered)
}

// Generation is the result of Generate.
type Generation struct {
	// Text is the generated continuation of the prompt.
	Text string
	// Tokens are the generated tokens, in order.
	Tokens []GeneratedToken
	// Stopped says why generation ended: "eos" (the model's EOSToken came
	// next), "stop" (the stop string) or "length" (MaxTokens).
	Stopped string
	// PromptUnknown counts the prompt's tokens that are not in the
	// vocabulary, read as <unk>.
	PromptUnknown int
}

// Generate continues prompt with new tokens, one step of the recurrent
// stack per token, never <pad> or BOSToken: the prompt is read token by token after the start
// token (BOSToken, or EOSToken for a stream model), and each generated
// token is fed back, the state carried from step to step, so that
// generating n tokens after a prompt of p tokens costs p + n single steps
// of one row (see lmStepper). A prompt token not in the vocabulary
// reads as <unk> (counted in PromptUnknown); a prompt that has tokens but
// none in the vocabulary is a *PromptError.
//
// Generate is safe for concurrent use (see LanguageModel): each call runs
// on a stepper of its own, so the same prompt, options and seed give the
// same tokens, bit for bit, whatever runs beside it.
func (m *LanguageModel) Generate(prompt string, opts GenerateOptions) (*Generation, error) {
	if err := opts.Sampling.Validate(); err != nil {
		return nil, err
	}
	if opts.MaxTokens == 0 {
		opts.MaxTokens = DefaultGenerateTokens
	}
	if opts.MaxTokens < 0 || opts.MaxTokens > MaxGenerateTokens {
		return nil, errors.Errorf("models: %d tokens to generate: want 1..%d", opts.MaxTokens, MaxGenerateTokens)
	}
	ids, unknown, err := m.encodePrompt(prompt)
	if err != nil {
		return nil, err
	}
	var gen *Generation
	err = m.generation.with(func(slot *inferenceSlot) error {
		s, err := m.stepperOf(slot)
		if err != nil {
			return err
		}
		gen, err = m.generate(s, ids, unknown, opts)
		return err
	})
	return gen, err
}

// generate continues the prompt's token ids on stepper s (see Generate).
func (m *LanguageModel) generate(s *lmStepper, ids []int, unknown int, opts GenerateOptions) (*Generation, error) {
	s.reset()
	var logits []float64
	var err error
	for _, id := range append([]int{m.start}, ids...) {
		if logits, err = s.step(id); err != nil {
			return nil, err
		}
	}
	gen := &Generation{Stopped: "length", PromptUnknown: unknown}
	draw := newSampler(opts.Sampling, opts.Seed)
	var text strings.Builder
	var exps []float64
	for n := 0; n < opts.MaxTokens; n++ {
		var logSum float64
		exps, logSum = expShifted(exps, logits)
		m.maskNever(logits, exps)
		id := draw.pick(logits, exps)
		if id == m.eos {
			gen.Stopped = "eos"
			break
		}
		token := m.vocab.Token(id)
		piece := token
		if m.cfg.Tokenizer != datasets.CharTokenizer && (len(ids) > 0 || n > 0) {
			piece = " " + token
		}
		t := GeneratedToken{ID: id, Token: token, Text: piece, LogProb: logits[id] - logSum}
		gen.Tokens = append(gen.Tokens, t)
		text.WriteString(piece)
		if opts.OnToken != nil {
			if err := opts.OnToken(t); err != nil {
				gen.Text = text.String()
				return gen, err
			}
		}
		if opts.Stop != "" && strings.Contains(text.String(), opts.Stop) {
			gen.Stopped = "stop"
			break
		}
		if n+1 < opts.MaxTokens {
			if logits, err = s.step(id); err != nil {
				return nil, err
			}
		}
	}
	gen.Text = text.String()
	return gen, nil
}

// maskNever rules out of logits, and of their exponentials exps, the
// tokens no text continues with: <pad> and the start token (unless it is
// EOSToken, which ends the text).
func (m *LanguageModel) maskNever(logits, exps []float64) {
	for _, id := range []int{datasets.PadID, m.start} {
		if id != m.eos {
			logits[id], exps[id] = math.Inf(-1), 0
		}
	}
}

// PromptError is Generate's error for a prompt whose tokens are all
// outside the vocabulary: there is nothing to continue.
type PromptError struct {
	Prompt    string // the prompt
	Tokenizer string // the model's tokenizer, which split it
}

func (e *PromptError) Error() string {
	return fmt.Sprintf("models: the prompt %q has no %s token in the vocabulary", excerpt(e.Prompt), e.Tokenizer)
}

// encodePrompt returns the ids of the prompt's tokens and how many of
// them are unknown; a prompt made only of unknown tokens is a
// *PromptError.
func (m *LanguageModel) encodePrompt(prompt string) (ids []int, unknown int, err error) {
	tokens := m.tokenizer.Tokenize(prompt)
	ids = m.vocab.Encode(tokens)
	for i, id := range ids {
		if id == datasets.UnkID && tokens[i] != datasets.UnkToken {
			unknown++
		}
	}
	if len(ids) > 0 && unknown == len(ids) {
		return nil, 0, &PromptError{Prompt: prompt, Tokenizer: m.cfg.Tokenizer}
	}
	return ids, unknown, nil
}

// excerpt cuts s to a length fit for a message.
func excerpt(s string) string {
	const most = 60
	if r := []rune(s); len(r) > most {
		return string(r[:most]) + "..."
	}
	return s
}

// lmStepper steps the model for one row: a token in, the next token's
// logits out, the recurrent state carried from step to step (through a
// compiled one-step graph's inputs, or inside a graph.RowStepper).
//
// In a Fused model the decoder runs outside the graph, on weights packed
// once per generation: the fused linear kernel would pack the whole
// decoder weight [V, H] at every step to multiply it by one row, which
// for a word vocabulary costs more than the product itself. The product
// is the kernel's (gemm.SgemmPackedB gives Sgemm's bits), so the logits
// are the same. A Fused float32 LSTM or GRU model runs no graph at all:
// the embedding row, a graph.RowStepper and the packed decoder give the
// fused graph's bits without the fixed cost of a graph run, which was
// most of a token's time (the lesson's character model: 100 µs a token,
// a graph run, where the arithmetic takes a few).
type lmStepper struct {
	g       *graph.Graph // nil when rows steps the stack
	tokens  *graph.Sequence
	logits  *G.Node // [1, 1, V]; or, with a packed decoder, the stack's output [1, 1, H]
	initial []*graph.Input
	final   []*G.Node
	rows    *graph.RowStepper // the stack outside any graph, or nil
	embed   *graph.Embedding  // the embedding rows feeds rows
	decoder *packedDecoder    // nil: the graph computes the logits
	values  []float64         // the last step's logits [V]
	steps   int               // steps run, for tests
}

// packedDecoder is the decoder y = x Wᵀ + b for one row x [H], with Wᵀ
// packed by pack.
type packedDecoder struct {
	l      *graph.Linear
	packed gemm.PackedB
	y      []float32 // [V]
}

// pack packs the decoder's current weight; generation calls it once, as
// the weights do not change while it runs.
func (d *packedDecoder) pack() {
	gemm.PackB(true, d.l.In, d.l.Out, d.l.Weight.Value.Float32s(), d.l.In, &d.packed)
}

// apply returns the logits of one row x [H] as float64 in dst [V].
func (d *packedDecoder) apply(x []float32, dst []float64) []float64 {
	gemm.SgemmPackedB(false, 1, 1, x, d.l.In, &d.packed, 0, d.y, d.l.Out)
	dst = dst[:0]
	for j, b := range d.l.Bias.Value.Float32s() {
		dst = append(dst, float64(d.y[j]+b))
	}
	return dst
}

// stepperKey is the key of a generation slot's stepper in its cache.
type stepperKey struct{}

// stepperOf returns slot's stepper, compiling it on first use.
func (m *LanguageModel) stepperOf(slot *inferenceSlot) (*lmStepper, error) {
	s, err := slot.networks.get(stepperKey{}, func() (compiled, error) { return m.buildStepper(slot.workspace) })
	if err != nil {
		return nil, err
	}
	return s.(*lmStepper), nil
}

// buildStepper compiles a stepper whose fused kernels use the scratch
// memory ws.
func (m *LanguageModel) buildStepper(ws *graph.Workspace) (*lmStepper, error) {
	packed := m.opts.Impl == graph.Fused && m.params.Dtype() == tensor.Float32
	if packed && (m.cfg.Cell == graph.LSTM || m.cfg.Cell == graph.GRU) {
		rows, err := graph.NewRowStepper(m.rnn)
		if err != nil {
			return nil, err
		}
		return &lmStepper{rows: rows, embed: m.encoder, decoder: &packedDecoder{l: m.decoder, y: make([]float32, m.cfg.VocabSize)}}, nil
	}
	g, err := graph.New(m.params, graph.Config{Batch: 1, Impl: m.opts.Impl, Workspace: ws})
	if err != nil {
		return nil, err
	}
	s := &lmStepper{g: g}
	if s.tokens, err = g.NewSequence("token", graph.SequenceConfig{Steps: 1}); err != nil {
		return nil, err
	}
	inputs, states, err := m.stateInputs(g)
	if err != nil {
		return nil, err
	}
	out, err := m.forward(g, s.tokens, states, !packed)
	if err != nil {
		return nil, err
	}
	result := out.logits
	if packed {
		s.decoder = &packedDecoder{l: m.decoder, y: make([]float32, m.cfg.VocabSize)}
		result = out.outputs
	}
	if s.logits, err = result.Whole(); err != nil {
		return nil, err
	}
	s.initial = inputs
	s.final = append(append([]*G.Node(nil), out.final.H...), out.final.C...)
	if err := g.Compile(nil); err != nil {
		return nil, err
	}
	return s, nil
}

// Close releases the stepper's graph.
func (s *lmStepper) Close() error {
	if s.g == nil {
		return nil
	}
	return s.g.Close()
}

// reset zeroes the carried state and packs the weights that run outside
// the graph.
func (s *lmStepper) reset() {
	for _, in := range s.initial {
		in.Zero()
	}
	if s.rows != nil {
		s.rows.Reset()
	}
	if s.decoder != nil {
		s.decoder.pack()
	}
}

// step feeds token id, carries the state forward and returns the logits
// of the next token [V], valid until the next step.
func (s *lmStepper) step(id int) ([]float64, error) {
	if s.rows != nil {
		e := s.embed.Dim
		out, err := s.rows.Step(s.embed.Weight.Value.Float32s()[id*e : (id+1)*e])
		if err != nil {
			return nil, err
		}
		s.steps++
		s.values = s.decoder.apply(out, s.values)
		return s.values, nil
	}
	if err := s.tokens.Set([]int{id}, []int{1}); err != nil {
		return nil, err
	}
	if err := s.g.Run(); err != nil {
		return nil, err
	}
	s.steps++
	for i, in := range s.initial {
		if err := in.Load(s.final[i]); err != nil {
			return nil, err
		}
	}
	rows, err := logitsOf(s.logits)
	if err != nil {
		return nil, err
	}
	if s.decoder != nil {
		s.values = s.decoder.apply(rows.row(0).f32, s.values)
	} else {
		s.values = rows.row(0).float64s(s.values)
	}
	return s.values, nil
}
