package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// charKernel is CharFeatures as one op. Inputs: the character ids [C*N]
// and the layout [N+1] of a Chars (N = T*B word slots, time-major), the
// character embedding [Chars, Dim], then weight_ih, weight_hh, bias_ih and
// bias_hh of the forward and of the reverse direction. Output: [T, B,
// 2*Hidden], each word slot's forward and reverse final states, zero for
// slots of no characters.
//
// Its forward pass looks up the real characters into [C, N, Dim] and runs
// one recurrentKernel per direction over them, with the N word slots as
// the rows of a batch of C steps: each kernel packs the words by length
// and computes only their real characters, so words of no characters (the
// padding) cost nothing. Its backward pass feeds the output's gradient to
// the kernels as the gradient of their final states and gathers the
// gradients of their inputs into the embedding's rows.
type charKernel[T float] struct {
	g       *Graph
	f       *CharFeatures
	chars   *Chars
	n       int // word slots, T*B
	width   int // the words' capacity C
	dirs    [2]*recurrentKernel[T]
	x       []T // [C, N, Dim] the character vectors
	xDense  *tensor.Dense
	zeros   []*tensor.Dense // the initial states h0 (and c0), [N, Hidden]
	dOut    *tensor.Dense   // [C, N, Hidden] zeros: the kernels' outputs get no gradient
	dFinal  [2]*tensor.Dense
	ids     []int // the last forward's character ids
	lengths []int // and the words' character counts

	outDense, dEmbDense *tensor.Dense
	out, dEmb           []T
}

func newCharKernel[T float](g *Graph, f *CharFeatures, chars *Chars) *charKernel[T] {
	cfg := f.Config
	n, width := chars.words.cfg.Steps*g.cfg.Batch, chars.maxChars
	k := &charKernel[T]{g: g, f: f, chars: chars, n: n, width: width}
	for dir, w := range f.Weights {
		k.dirs[dir] = newRecurrentKernelOf[T](g, cfg.Cell, w, n, width, cfg.Dim, cfg.Hidden, dir == 1)
		k.dFinal[dir], _ = newBuffer[T](n, cfg.Hidden)
	}
	k.xDense, k.x = newBuffer[T](width, n, cfg.Dim)
	k.zeros = []*tensor.Dense{k.dFinal[0].Clone().(*tensor.Dense), k.dFinal[0].Clone().(*tensor.Dense)}
	k.dOut, _ = newBuffer[T](width, n, cfg.Hidden)
	k.outDense, k.out = newBuffer[T](chars.words.cfg.Steps, g.cfg.Batch, f.OutputWidth())
	k.dEmbDense, k.dEmb = newBuffer[T](cfg.Chars, cfg.Dim)
	return k
}

// The inputs of a charKernel: ids, layout, embedding, then the forward
// direction's four weights and the reverse direction's.
const (
	ckIDs = iota
	ckLayout
	ckEmbedding
	ckWeights
)

func (k *charKernel[T]) name() string { return "fused_char_features" }
func (k *charKernel[T]) outputShape() tensor.Shape {
	return k.outDense.Shape().Clone()
}
func (k *charKernel[T]) secondaryShapes() []tensor.Shape     { return nil }
func (k *charKernel[T]) secondary(int) G.Value               { return nil }
func (k *charKernel[T]) setSecondaryGrad(int, G.Value) error { return nil }
func (k *charKernel[T]) diffWRT() []bool {
	return []bool{false, false, true, true, true, true, true, true, true, true, true}
}

func (k *charKernel[T]) inputGrad(i int) G.Value {
	if i == ckEmbedding {
		return k.dEmbDense
	}
	dir, w := (i-ckWeights)/4, (i-ckWeights)%4
	return k.dirs[dir].inputGrad(rkWih + w)
}

func (k *charKernel[T]) forward(inputs []G.Value) (G.Value, error) {
	if k.chars.sets != k.chars.words.sets {
		return nil, errors.Errorf("characters %q were not Set for the batch of sequence %q", k.chars.name, k.chars.words.name)
	}
	ids, err := intsOf(inputs[ckIDs])
	if err != nil {
		return nil, errors.Wrap(err, "character ids")
	}
	lengths, _, err := layoutOf(inputs[ckLayout])
	if err != nil {
		return nil, err
	}
	emb, err := valueData[T](inputs[ckEmbedding])
	if err != nil {
		return nil, errors.Wrap(err, "character embedding")
	}
	dim, hidden := k.f.Config.Dim, k.f.Config.Hidden
	for w, l := range lengths {
		for c := 0; c < l; c++ {
			copy(k.x[(c*k.n+w)*dim:(c*k.n+w+1)*dim], emb[ids[c*k.n+w]*dim:(ids[c*k.n+w]+1)*dim])
		}
	}
	if k.g.learning {
		k.ids = append(k.ids[:0], ids...)
		k.lengths = append(k.lengths[:0], lengths...)
	}
	var finals [2][]T
	for dir, rk := range k.dirs {
		in := []G.Value{k.xDense, inputs[ckLayout]}
		for j := range 4 {
			in = append(in, inputs[ckWeights+4*dir+j])
		}
		in = append(in, k.zeros[0])
		if k.f.Config.Cell == LSTM {
			in = append(in, k.zeros[1])
		}
		if _, err := rk.forward(in); err != nil {
			return nil, errors.Wrapf(err, "direction %d", dir)
		}
		finals[dir] = rk.finalH.Data().([]T)
	}
	for w := range k.n {
		row := k.out[w*2*hidden : (w+1)*2*hidden]
		copy(row[:hidden], finals[0][w*hidden:(w+1)*hidden])
		copy(row[hidden:], finals[1][w*hidden:(w+1)*hidden])
	}
	return k.outDense, nil
}

func (k *charKernel[T]) backward(outGrad G.Value) error {
	dOut, err := valueData[T](outGrad)
	if err != nil {
		return errors.Wrap(err, "output gradient")
	}
	dim, hidden := k.f.Config.Dim, k.f.Config.Hidden
	for dir, rk := range k.dirs {
		d := k.dFinal[dir].Data().([]T)
		for w := range k.n {
			copy(d[w*hidden:(w+1)*hidden], dOut[(w*2+dir)*hidden:(w*2+dir+1)*hidden])
		}
		if err := rk.setSecondaryGrad(0, k.dFinal[dir]); err != nil {
			return err
		}
		if err := rk.backward(k.dOut); err != nil {
			return errors.Wrapf(err, "direction %d", dir)
		}
	}
	clear(k.dEmb)
	pad := k.f.Embedding.PaddingIdx
	for _, rk := range k.dirs {
		dx := rk.dxDense.Data().([]T)
		for w, l := range k.lengths {
			for c := 0; c < l; c++ {
				id := k.ids[c*k.n+w]
				if id == pad {
					continue
				}
				dst, src := k.dEmb[id*dim:(id+1)*dim], dx[(c*k.n+w)*dim:(c*k.n+w+1)*dim]
				for j, v := range src {
					dst[j] += v
				}
			}
		}
	}
	return nil
}
