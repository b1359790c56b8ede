package graph

import (
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// gradBuffer is a graph-local gradient of one parameter, written by fused
// kernels. A row-sparse buffer (the embedding's) remembers which rows were
// written, so that moving it into the parameter and clearing it touch only
// those rows.
type gradBuffer struct {
	dense   *tensor.Dense
	rowSize int
	sparse  bool
	rows    []int
	marked  []bool
}

func newGradBuffer(p *Param, rowSparse bool) *gradBuffer {
	shape := p.Value.Shape()
	b := &gradBuffer{
		dense:   tensor.New(tensor.Of(p.Value.Dtype()), tensor.WithShape(shape.Clone()...)),
		rowSize: shape.TotalSize() / shape[0],
		sparse:  rowSparse,
	}
	if rowSparse {
		b.marked = make([]bool, shape[0])
	}
	return b
}

// markRow records that row will be written.
func (b *gradBuffer) markRow(row int) {
	if !b.marked[row] {
		b.marked[row] = true
		b.rows = append(b.rows, row)
	}
}

// span is a range [from, to) of a buffer's elements.
type span struct{ from, to int }

// spans returns the element ranges the buffer may hold non-zeros in.
func (b *gradBuffer) spans(visit func(s span)) {
	if !b.sparse {
		visit(span{0, b.dense.Shape().TotalSize()})
		return
	}
	for _, r := range b.rows {
		visit(span{r * b.rowSize, (r + 1) * b.rowSize})
	}
}

// moveInto adds scale times the buffer into dst and clears the buffer.
func (b *gradBuffer) moveInto(dst *tensor.Dense, scale float64) {
	if b.dense.Dtype() == tensor.Float32 {
		d, s, k := dst.Float32s(), b.dense.Float32s(), float32(scale)
		b.spans(func(sp span) {
			for i := sp.from; i < sp.to; i++ {
				d[i] += k * s[i]
				s[i] = 0
			}
		})
	} else {
		d, s := dst.Float64s(), b.dense.Float64s()
		b.spans(func(sp span) {
			for i := sp.from; i < sp.to; i++ {
				d[i] += scale * s[i]
				s[i] = 0
			}
		})
	}
	for _, r := range b.rows {
		b.marked[r] = false
	}
	b.rows = b.rows[:0]
}

// addScaled adds scale*src to dst elementwise; both have dst's dtype and size.
func addScaled(dst, src *tensor.Dense, scale float64) error {
	if src.Shape().TotalSize() != dst.Shape().TotalSize() || src.Dtype() != dst.Dtype() {
		return errors.Errorf("shape %v %v, want %v %v", src.Shape(), src.Dtype(), dst.Shape(), dst.Dtype())
	}
	if dst.Dtype() == tensor.Float32 {
		d, s, k := dst.Float32s(), src.Float32s(), float32(scale)
		for i := range d {
			d[i] += k * s[i]
		}
		return nil
	}
	d, s := dst.Float64s(), src.Float64s()
	for i := range d {
		d[i] += scale * s[i]
	}
	return nil
}
