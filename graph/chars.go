package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// CharConfig declares character-level word features. Every field but
// Cell is required.
type CharConfig struct {
	// Cell is the recurrent cell of both directions; RNNTanh is the zero
	// value, LSTM Lample et al.'s.
	Cell Cell
	// Chars is the size of the character alphabet, the padding id 0
	// included.
	Chars int
	// Dim is the size of a character's vector.
	Dim int
	// Hidden is the state size of each direction.
	Hidden int
}

// CharFeatures computes a vector for every word from its characters, as
// Lample et al. (2016) do: a bidirectional recurrent layer reads the
// word's character vectors, and the word's features are the forward
// direction's final state (after its last character) beside the reverse
// direction's (after its first), [2*Hidden]. In PyTorch terms, for the N
// words of a batch,
//
//	emb  = nn.Embedding(Chars, Dim, padding_idx=0)
//	rnn  = nn.LSTM(Dim, Hidden, bidirectional=True, batch_first=True)
//	_, (h_n, _) = rnn(pack_padded_sequence(emb(chars [N, C]), lengths [N]))
//	features = torch.cat([h_n[0], h_n[1]], 1)            # [N, 2*Hidden]
//
// with the parameters "<name>.embedding.weight" [Chars, Dim] and
// "<name>.rnn.weight_ih_l0[_reverse]" and the like, initialised as
// PyTorch initialises those modules. A tagger concatenates them with the
// word's embedding (ConcatSeqs).
type CharFeatures struct {
	Config    CharConfig
	Embedding *Embedding
	// Weights are the forward and the reverse direction's.
	Weights [2]*DirectionWeights
}

// NewCharFeatures declares character features called name (e.g. "char")
// in ps.
func NewCharFeatures(ps *Params, name string, cfg CharConfig) (*CharFeatures, error) {
	if !cfg.Cell.valid() || cfg.Chars < 2 || cfg.Dim <= 0 || cfg.Hidden <= 0 {
		return nil, errors.Errorf("graph: character features %q: cell %v, %d characters, dim %d, hidden %d: want a cell, at least 2 characters (padding included) and positive sizes",
			name, cfg.Cell, cfg.Chars, cfg.Dim, cfg.Hidden)
	}
	f := &CharFeatures{Config: cfg}
	var err error
	if f.Embedding, err = NewEmbedding(ps, name+".embedding", cfg.Chars, cfg.Dim, 0); err != nil {
		return nil, err
	}
	for dir, suffix := range []string{"_l0", "_l0_reverse"} {
		if f.Weights[dir], err = declareDirection(ps, name+".rnn", suffix, cfg.Cell, cfg.Dim, cfg.Hidden); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// OutputWidth returns the size of a word's features, 2*Hidden.
func (f *CharFeatures) OutputWidth() int { return 2 * f.Config.Hidden }

// Chars is an input of a graph: the characters of every word of a token
// sequence, which CharFeatures reads. Set it after its word sequence,
// for every batch.
type Chars struct {
	g        *Graph
	name     string
	words    *Sequence
	maxChars int
	ids      *G.Node // int [C*T*B]: character c of the word at step t of row b at (c*T + t)*B + b
	layout   *G.Node // int [T*B + 1]: each word's character count (0 past its row's length), then the padded word length
	alphabet int     // the characters the features read; 0 before Build
	sets     int     // the word sequence's Set count when the characters were set
	inputs   []*input
}

// NewChars declares the characters of the words of words, each word
// padded to at most maxChars characters (exactly maxChars in a Composed
// graph), called name.
func (g *Graph) NewChars(name string, words *Sequence, maxChars int) (*Chars, error) {
	if !g.owns(words) {
		return nil, errors.Errorf("graph: characters %q: the word sequence is not one of this graph's", name)
	}
	if maxChars <= 0 {
		return nil, errors.Errorf("graph: characters %q: maxChars %d must be positive", name, maxChars)
	}
	n := words.cfg.Steps * g.cfg.Batch
	ids := tensor.New(tensor.Of(tensor.Int), tensor.WithShape(maxChars*n))
	layout := tensor.New(tensor.Of(tensor.Int), tensor.WithShape(n+1))
	return &Chars{
		g: g, name: name, words: words, maxChars: maxChars,
		ids:    G.NewVector(g.expr, tensor.Int, G.WithShape(maxChars*n), G.WithName(g.uniqueName(name+"_ids")), G.WithValue(ids)),
		layout: G.NewVector(g.expr, tensor.Int, G.WithShape(n+1), G.WithName(g.uniqueName(name+"_lengths")), G.WithValue(layout)),
	}, nil
}

// Set loads the characters of the words of the current batch: ids
// [B*T*C] row-major (character c of the word at step t of row b at
// (b*T + t)*C + c), with T the word sequence's current padded length and
// C = len(ids)/(B*T) the words' padded length, and lengths [B*T], each
// word's character count, 1..C. Words past their row's length are
// padding: their ids and lengths are not read. Set the word sequence
// first.
func (c *Chars) Set(ids, lengths []int) error {
	words, b := c.words, c.g.cfg.Batch
	if words.lengths == nil {
		return errors.Errorf("graph: characters %q: Set sequence %q first", c.name, words.name)
	}
	steps := words.active
	if len(lengths) != b*steps || len(ids) == 0 || len(ids)%(b*steps) != 0 {
		return errors.Errorf("graph: characters %q: %d ids and %d lengths, want B*T*C and B*T for B*T = %d*%d", c.name, len(ids), len(lengths), b, steps)
	}
	width := len(ids) / (b * steps)
	switch {
	case c.g.cfg.Impl == Composed && width != c.maxChars:
		return errors.Errorf("graph: characters %q: words padded to %d characters, a composed graph takes exactly %d", c.name, width, c.maxChars)
	case width > c.maxChars:
		return errors.Errorf("graph: characters %q: words padded to %d characters, the graph takes at most %d", c.name, width, c.maxChars)
	}
	n := words.cfg.Steps * b
	dst := c.ids.Value().Data().([]int)
	layout := c.layout.Value().Data().([]int)
	clear(dst)
	clear(layout)
	for row, rowLen := range words.lengths {
		for t := 0; t < rowLen; t++ {
			w := row*steps + t
			if l := lengths[w]; l < 1 || l > width {
				return errors.Errorf("graph: characters %q: row %d word %d has %d characters, want 1..%d", c.name, row, t, l, width)
			}
			slot := t*b + row
			layout[slot] = lengths[w]
			for k := 0; k < lengths[w]; k++ {
				id := ids[w*width+k]
				if id < 0 || (c.alphabet > 0 && id >= c.alphabet) {
					return errors.Errorf("graph: characters %q: row %d word %d character %d: id %d out of range [0, %d)", c.name, row, t, k, id, c.alphabet)
				}
				dst[k*n+slot] = id
			}
		}
	}
	layout[n] = width
	c.sets = words.sets
	for _, in := range c.inputs {
		in.refill()
	}
	return nil
}

// lengths returns each word slot's character count, [T*B] time-major.
func (c *Chars) lengths() []int {
	layout := c.layout.Value().Data().([]int)
	return layout[:len(layout)-1]
}

// Build computes the features of every word of chars' sequence: a
// sequence [T, B, 2*Hidden] carrying the words' lengths, zero past each
// row's length. A Fused graph runs one op, which runs both directions
// with the fused recurrent kernels over the words' real characters; a
// Composed graph unrolls the characters into Gorgonia ops.
func (f *CharFeatures) Build(g *Graph, chars *Chars) (s *Seq, err error) {
	defer recoverTo(&err, "graph: building character features "+f.Embedding.Weight.Name)
	if chars == nil || chars.g != g {
		return nil, errors.New("graph: the characters are not an input of this graph")
	}
	if chars.alphabet != 0 && chars.alphabet != f.Config.Chars {
		return nil, errors.Errorf("graph: characters %q already index an alphabet of %d", chars.name, chars.alphabet)
	}
	chars.alphabet = f.Config.Chars
	words := chars.words
	if g.cfg.Impl == Fused {
		var k kernel
		if g.Dtype() == tensor.Float32 {
			k = newCharKernel[float32](g, f, chars)
		} else {
			k = newCharKernel[float64](g, f, chars)
		}
		inputs := []*G.Node{chars.ids, chars.layout, g.paramNode(f.Embedding.Weight)}
		for _, w := range f.Weights {
			inputs = append(inputs, g.paramNode(w.WeightIH), g.paramNode(w.WeightHH), g.paramNode(w.BiasIH), g.paramNode(w.BiasHH))
		}
		return &Seq{whole: applyKernel(g, k, inputs...).out, width: f.OutputWidth(), tokens: words}, nil
	}
	return f.composed(g, chars), nil
}

// composed is Build from Gorgonia ops: the lookup of every character slot
// (C*N of them, N = T*B word slots), then each direction stepped over the
// C character positions with every word's state held where the word has
// no character, so that a word's final states are those after its own
// last (forward) and first (reverse) character, and a word of no
// characters keeps zero states.
func (f *CharFeatures) composed(g *Graph, chars *Chars) *Seq {
	cfg, words := f.Config, chars.words
	n, width := words.cfg.Steps*g.cfg.Batch, chars.maxChars
	notPad := g.newInput("char_not_padding", tensor.Shape{width * n, 1}, func(dst []float64) {
		for i, id := range chars.ids.Value().Data().([]int) {
			dst[i] = 0
			if id != 0 {
				dst[i] = 1
			}
		}
	})
	chars.inputs = append(chars.inputs, notPad)
	x := must(G.ByIndices(g.paramNode(f.Embedding.Weight), chars.ids, 0))
	x = must(G.BroadcastHadamardProd(x, notPad.node, nil, []byte{1}))
	x = must(G.Reshape(x, tensor.Shape{width, n, cfg.Dim}))
	keep, hold := make([]*G.Node, width), make([]*G.Node, width)
	for c := range width {
		fill := func(real float64) func(dst []float64) {
			return func(dst []float64) {
				for w, l := range chars.lengths() {
					v := 1 - real
					if c < l {
						v = real
					}
					for j := range cfg.Hidden {
						dst[w*cfg.Hidden+j] = v
					}
				}
			}
		}
		k, h := g.newInput("char_keep", tensor.Shape{n, cfg.Hidden}, fill(1)), g.newInput("char_hold", tensor.Shape{n, cfg.Hidden}, fill(0))
		chars.inputs = append(chars.inputs, k, h)
		keep[c], hold[c] = k.node, h.node
	}
	zeros := G.NewMatrix(g.expr, g.Dtype(), G.WithShape(n, cfg.Hidden), G.WithName(g.uniqueName("char_zeros")),
		G.WithValue(tensor.New(tensor.Of(g.Dtype()), tensor.WithShape(n, cfg.Hidden))))
	finals := make([]*G.Node, 2)
	for dir, w := range f.Weights {
		gates := prepareGates(g, cfg.Cell, w)
		step := cfg.Cell.step()
		st := state{h: zeros}
		if cfg.Cell == LSTM {
			st.c = zeros
		}
		for i := range width {
			c := i
			if dir == 1 {
				c = width - 1 - i
			}
			next := step(gates, must(G.Slice(x, G.S(c))), st)
			st.h = must(G.Add(must(G.HadamardProd(keep[c], next.h)), must(G.HadamardProd(hold[c], st.h))))
			if cfg.Cell == LSTM {
				st.c = must(G.Add(must(G.HadamardProd(keep[c], next.c)), must(G.HadamardProd(hold[c], st.c))))
			}
		}
		finals[dir] = st.h
	}
	out := must(G.Concat(1, finals...))
	whole := must(G.Reshape(out, tensor.Shape{words.cfg.Steps, g.cfg.Batch, f.OutputWidth()}))
	return &Seq{whole: whole, width: f.OutputWidth(), tokens: words}
}

// ConcatSeqs returns the sequence whose every step is a step of a beside
// the same step of b, [T, B, Fa+Fb]: a word's embedding beside its
// character features, say. Both must be over the same token sequence.
func ConcatSeqs(g *Graph, a, b *Seq) (s *Seq, err error) {
	defer recoverTo(&err, "graph: concatenating sequences")
	if a.tokens != b.tokens || !g.owns(a.tokens) {
		return nil, errors.New("graph: the sequences are not over the same token sequence of this graph")
	}
	whole := must(G.Concat(2, a.wholeNode(), b.wholeNode()))
	return &Seq{whole: whole, width: a.width + b.width, tokens: a.tokens}, nil
}
