package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Score is how an attention scores each source step's encoder output h_j
// [He] against the decoder's state s [Hd].
type Score int

const (
	// Additive is Bahdanau et al. (2015)'s score, vᵀ tanh(W_q s + W_k h_j
	// + b_k), with an attention size A (OpenNMT's "mlp").
	Additive Score = iota
	// Dot is Luong et al. (2015)'s dot score, sᵀ h_j; it needs Hd = He.
	Dot
	// General is Luong et al. (2015)'s general score, (W s)ᵀ h_j.
	General
)

var scoreNames = [...]string{Additive: "additive", Dot: "dot", General: "general"}

// ParseScore returns the score called name: additive, dot or general.
func ParseScore(name string) (Score, error) {
	for s, n := range scoreNames {
		if n == name {
			return Score(s), nil
		}
	}
	return 0, errors.Errorf("graph: unknown attention %q (want additive, dot or general)", name)
}

// String returns the score's name as ParseScore accepts it.
func (s Score) String() string {
	if s < 0 || int(s) >= len(scoreNames) {
		return "unknown"
	}
	return scoreNames[s]
}

// MarshalText encodes the score by name (for JSON configs).
func (s Score) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes a score name.
func (s *Score) UnmarshalText(text []byte) (err error) {
	*s, err = ParseScore(string(text))
	return err
}

func (s Score) valid() bool { return s >= Additive && s <= General }

// AttentionConfig declares a global attention. The zero value of each
// optional field is its documented default.
type AttentionConfig struct {
	Score       Score // Additive (default), Dot or General
	QueryWidth  int   // Hd, the decoder state's features (required)
	MemoryWidth int   // He, the encoder outputs' features (required; Hd for Dot)
	// Size is A, the hidden size of the Additive score. Default 0:
	// QueryWidth.
	Size int
}

// Validate reports the first field that makes cfg unusable. Size 0 counts
// as its default.
func (cfg AttentionConfig) Validate() error {
	switch {
	case !cfg.Score.valid():
		return errors.Errorf("unknown attention score %d", cfg.Score)
	case cfg.QueryWidth <= 0 || cfg.MemoryWidth <= 0 || cfg.Size < 0:
		return errors.Errorf("query width %d, memory width %d and size %d must be positive", cfg.QueryWidth, cfg.MemoryWidth, cfg.Size)
	case cfg.Score == Dot && cfg.QueryWidth != cfg.MemoryWidth:
		return errors.Errorf("dot attention needs the decoder's width %d to equal the encoder outputs' %d (use general or additive)", cfg.QueryWidth, cfg.MemoryWidth)
	}
	return nil
}

// Attention is a global attention over a sequence of encoder outputs (the
// memory), with Luong et al. (2015)'s attentional output, as OpenNMT's
// GlobalAttention computes it. For the decoder state s [B, Hd] at one
// step and the memory h_1..h_m of each row (its source's length m):
//
//	e_j = score(s, h_j)                  one of Score's
//	a   = softmax(e_1..e_m)              [B, S], zero past each row's length
//	c   = Σ_j a_j h_j                    [B, He], the context
//	h̃   = tanh(W_out [c; s] + b_out)     [B, Hd], the attentional vector
//
// Its parameters, with the names of the equivalent PyTorch modules:
//
//	<name>.query.weight  [A, Hd] Additive, [He, Hd] General (none for Dot)
//	<name>.key.weight    [A, He] and <name>.key.bias [A]  Additive only
//	<name>.v.weight      [1, A]  Additive only
//	<name>.out.weight    [Hd, He+Hd] and <name>.out.bias [Hd]
//
// each initialised as nn.Linear's, U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
type Attention struct {
	Config AttentionConfig
	Query  *Param  // nil for Dot
	Key    *Linear // nil unless Additive
	V      *Param  // nil unless Additive
	Out    *Linear
}

// NewAttention validates cfg and declares an attention called name in ps.
func NewAttention(ps *Params, name string, cfg AttentionConfig) (*Attention, error) {
	if err := cfg.Validate(); err != nil {
		return nil, errors.Wrapf(err, "graph: attention %q", name)
	}
	if cfg.Size == 0 {
		cfg.Size = cfg.QueryWidth
	}
	a := &Attention{Config: cfg}
	var err error
	switch cfg.Score {
	case Additive:
		if a.Query, err = ps.Add(name+".query.weight", tensor.Shape{cfg.Size, cfg.QueryWidth}, uniformFan(cfg.QueryWidth)); err != nil {
			return nil, err
		}
		if a.Key, err = NewLinear(ps, name+".key", cfg.MemoryWidth, cfg.Size); err != nil {
			return nil, err
		}
		if a.V, err = ps.Add(name+".v.weight", tensor.Shape{1, cfg.Size}, uniformFan(cfg.Size)); err != nil {
			return nil, err
		}
	case General:
		if a.Query, err = ps.Add(name+".query.weight", tensor.Shape{cfg.MemoryWidth, cfg.QueryWidth}, uniformFan(cfg.QueryWidth)); err != nil {
			return nil, err
		}
	}
	if a.Out, err = NewLinear(ps, name+".out", cfg.MemoryWidth+cfg.QueryWidth, cfg.QueryWidth); err != nil {
		return nil, err
	}
	return a, nil
}

// Keys returns what the Additive score computes once per source batch,
// W_k h_j + b_k at every step of the memory (S steps [B, A]), so that a
// decoder's steps share it; nil for the other scores.
func (a *Attention) Keys(g *Graph, memory *Seq) (keys *Seq, err error) {
	if a.Config.Score != Additive {
		return nil, nil
	}
	if memory.Width() != a.Config.MemoryWidth {
		return nil, errors.Errorf("graph: attention memory has %d features, want %d", memory.Width(), a.Config.MemoryWidth)
	}
	return a.Key.BuildSeq(g, memory)
}

// Step attends from the decoder states query [B, Hd] over memory (S steps
// [B, He], over its source's lengths), with keys = Keys(g, memory) for
// the Additive score (nil otherwise). It returns the attentional vector
// h̃ [B, Hd] and the attention weights [B, S] (zero past each row's
// length). In a Fused graph it is one op with a hand-written backward
// pass; the weights are a secondary output, differentiable too.
func (a *Attention) Step(g *Graph, query *G.Node, memory, keys *Seq) (out, weights *G.Node, err error) {
	defer recoverTo(&err, "graph: attention step")
	cfg := a.Config
	switch {
	case !g.owns(memory.tokens):
		return nil, nil, errors.New("graph: the attention memory does not come from one of this graph's token sequences")
	case query.Dims() != 2 || query.Shape()[0] != g.cfg.Batch || query.Shape()[1] != cfg.QueryWidth:
		return nil, nil, errors.Errorf("graph: attention query has shape %v, want [%d, %d]", query.Shape(), g.cfg.Batch, cfg.QueryWidth)
	case memory.Width() != cfg.MemoryWidth:
		return nil, nil, errors.Errorf("graph: attention memory has %d features, want %d", memory.Width(), cfg.MemoryWidth)
	case (cfg.Score == Additive) != (keys != nil):
		return nil, nil, errors.New("graph: attention keys: want Keys(memory) for the additive score, nil for the others")
	case keys != nil && (keys.tokens != memory.tokens || keys.Width() != cfg.Size):
		return nil, nil, errors.Errorf("graph: attention keys have %d features over another sequence, want Keys(memory)", keys.Width())
	}
	if g.cfg.Impl == Composed {
		out, weights = a.composedStep(g, query, memory, keys)
		return out, weights, nil
	}
	inputs := []*G.Node{query, memory.wholeNode(), memory.tokens.layout, g.paramNode(a.Out.Weight), g.paramNode(a.Out.Bias)}
	if a.Query != nil {
		inputs = append(inputs, g.paramNode(a.Query))
	}
	if keys != nil {
		inputs = append(inputs, keys.wholeNode(), g.paramNode(a.V))
	}
	var k kernel
	steps := memory.tokens.cfg.Steps
	if g.Dtype() == tensor.Float32 {
		k = newAttentionKernel[float32](g, a, steps)
	} else {
		k = newAttentionKernel[float64](g, a, steps)
	}
	nodes := applyKernel(g, k, inputs...)
	return nodes.out, nodes.secondary[0], nil
}

// maskedScore is the score given to the steps past a row's length in a
// Composed graph, whose softmax makes their weights exactly zero.
const maskedScore = -1e30

// composedStep is Step in primitive Gorgonia ops: one score per source
// step, a softmax over the scores plus a mask input (0 on real steps,
// maskedScore past each row's length), the context as the weighted sum
// of the steps. The memory and keys are read through copies (keep), so
// that no in-place op writes them.
func (a *Attention) composedStep(g *Graph, query *G.Node, memory, keys *Seq) (out, weights *G.Node) {
	src := memory.tokens
	steps, batch := src.cfg.Steps, g.cfg.Batch
	values := (&Seq{whole: keep(g, memory.wholeNode()), width: memory.width, tokens: src})
	var keyed *Seq
	if keys != nil {
		keyed = &Seq{whole: keep(g, keys.wholeNode()), width: keys.width, tokens: src}
	}
	projected := query
	if a.Query != nil {
		projected = must(G.Mul(query, must(G.Transpose(g.paramNode(a.Query)))))
	}
	var v *G.Node
	if a.V != nil {
		v = must(G.Reshape(g.paramNode(a.V), tensor.Shape{a.Config.Size}))
	}
	scores := make([]*G.Node, steps)
	for j := range scores {
		var e *G.Node
		if keyed != nil {
			e = must(G.Mul(must(G.Tanh(must(G.Add(projected, keyed.step(j))))), v))
		} else {
			e = must(G.Sum(must(G.HadamardProd(projected, values.step(j))), 1))
		}
		scores[j] = must(G.Reshape(e, tensor.Shape{batch, 1}))
	}
	mask := src.addInput("attention_mask", tensor.Shape{batch, steps}, func(dst []float64) {
		for b, n := range src.lengths {
			for j := 0; j < steps; j++ {
				dst[b*steps+j] = 0
				if j >= n {
					dst[b*steps+j] = maskedScore
				}
			}
		}
	})
	all := scores[0]
	if steps > 1 {
		all = must(G.Concat(1, scores...))
	}
	weights = must(G.SoftMax(must(G.Add(all, mask)), 1))
	var context *G.Node
	for j := 0; j < steps; j++ {
		aj := weights // one step: [B, 1] already (Gorgonia's Slice of a one-column matrix fails at run time)
		if steps > 1 {
			aj = must(G.Reshape(must(G.Slice(weights, nil, G.S(j))), tensor.Shape{batch, 1}))
		}
		term := must(G.BroadcastHadamardProd(aj, values.step(j), []byte{1}, nil))
		if context == nil {
			context = term
		} else {
			context = must(G.Add(context, term))
		}
	}
	joined := must(G.Concat(1, context, query))
	out = must(G.Tanh(affine(g, joined, g.paramNode(a.Out.Weight), g.paramNode(a.Out.Bias))))
	return out, weights
}
