package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// mergeKernel combines the forward and reverse output sequences [T, B, H]
// of a bidirectional layer as one op, into [T, B, 2H] (Concat) or
// [T, B, H] (Sum, Mul, Ave). Inputs: the two sequences and their token
// sequence's layout.
type mergeKernel[T float] struct {
	g        *Graph
	mode     Merge
	steps    int // capacity T
	hidden   int
	width    int
	active   int // the padded length of the last forward
	a, b     []T // inputs of the last forward (Mul needs them)
	outDense *tensor.Dense
	out      []T
	daDense  *tensor.Dense
	da       []T
	dbDense  *tensor.Dense
	db       []T
	key      string // names the kernel's buffers in the workspace
}

func newMergeKernel[T float](g *Graph, mode Merge, steps, hidden int) *mergeKernel[T] {
	k := &mergeKernel[T]{g: g, key: g.kernelKey("merge"), mode: mode, steps: steps, hidden: hidden, width: hidden}
	if mode == Concat {
		k.width = 2 * hidden
	}
	size := steps * g.cfg.Batch
	g.workspace.reserve(k.key+"/out", size*k.width)
	g.workspace.reserve(k.key+"/da", size*hidden)
	g.workspace.reserve(k.key+"/db", size*hidden)
	return k
}

func (k *mergeKernel[T]) name() string { return "fused_merge_" + k.mode.String() }
func (k *mergeKernel[T]) outputShape() tensor.Shape {
	return tensor.Shape{k.steps, k.g.cfg.Batch, k.width}
}
func (k *mergeKernel[T]) secondaryShapes() []tensor.Shape     { return nil }
func (k *mergeKernel[T]) diffWRT() []bool                     { return []bool{true, true, false} }
func (k *mergeKernel[T]) secondary(int) G.Value               { return nil }
func (k *mergeKernel[T]) setSecondaryGrad(int, G.Value) error { return nil }
func (k *mergeKernel[T]) inputGrad(i int) G.Value {
	if i == 0 {
		return k.daDense
	}
	return k.dbDense
}

func (k *mergeKernel[T]) forward(inputs []G.Value) (G.Value, error) {
	a, err := valueData[T](inputs[0])
	if err != nil {
		return nil, errors.Wrap(err, "forward input")
	}
	b, err := valueData[T](inputs[1])
	if err != nil {
		return nil, errors.Wrap(err, "reverse input")
	}
	if _, k.active, err = layoutOf(inputs[2]); err != nil {
		return nil, err
	}
	rows, h := k.active*k.g.cfg.Batch, k.hidden
	ws := k.g.workspace
	sharedTensor(ws, k.key+"/out", &k.outDense, &k.out, k.steps, k.g.cfg.Batch, k.width)
	if k.mode == Mul {
		k.a = append(buffer[T](ws, k.key+"/a", rows*h)[:0], a[:rows*h]...)
		k.b = append(buffer[T](ws, k.key+"/b", rows*h)[:0], b[:rows*h]...)
	}
	for r := 0; r < rows; r++ {
		ar, br := a[r*h:(r+1)*h], b[r*h:(r+1)*h]
		out := k.out[r*k.width : (r+1)*k.width]
		switch k.mode {
		case Concat:
			copy(out[:h], ar)
			copy(out[h:], br)
		case Sum:
			for j := range out {
				out[j] = ar[j] + br[j]
			}
		case Mul:
			for j := range out {
				out[j] = ar[j] * br[j]
			}
		case Ave:
			for j := range out {
				out[j] = (ar[j] + br[j]) * 0.5
			}
		}
	}
	return k.outDense, nil
}

func (k *mergeKernel[T]) backward(outGrad G.Value) error {
	dOut, err := valueData[T](outGrad)
	if err != nil {
		return errors.Wrap(err, "output gradient")
	}
	rows, h := k.active*k.g.cfg.Batch, k.hidden
	sharedTensor(k.g.workspace, k.key+"/da", &k.daDense, &k.da, k.steps, k.g.cfg.Batch, h)
	sharedTensor(k.g.workspace, k.key+"/db", &k.dbDense, &k.db, k.steps, k.g.cfg.Batch, h)
	for r := 0; r < rows; r++ {
		d := dOut[r*k.width : (r+1)*k.width]
		da, db := k.da[r*h:(r+1)*h], k.db[r*h:(r+1)*h]
		switch k.mode {
		case Concat:
			copy(da, d[:h])
			copy(db, d[h:])
		case Sum:
			copy(da, d)
			copy(db, d)
		case Mul:
			for j := range d {
				da[j] = d[j] * k.b[r*h+j]
				db[j] = d[j] * k.a[r*h+j]
			}
		case Ave:
			for j := range d {
				da[j] = d[j] * 0.5
				db[j] = d[j] * 0.5
			}
		}
	}
	return nil
}
