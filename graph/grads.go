package graph

import (
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// gradBuffer is a gradient of one parameter that tracks the rows written
// to it: an embedding's gradient, which touches only the rows of a batch's
// tokens, so that clearing it and moving it into the parameter touch only
// those rows.
type gradBuffer struct {
	dense   *tensor.Dense
	rowSize int
	rows    []int
	marked  []bool
}

func newGradBuffer(p *Param) *gradBuffer {
	shape := p.Value.Shape()
	return &gradBuffer{
		dense:   tensor.New(tensor.Of(p.Value.Dtype()), tensor.WithShape(shape.Clone()...)),
		rowSize: shape.TotalSize() / shape[0],
		marked:  make([]bool, shape[0]),
	}
}

// markRow records that row will be written.
func (b *gradBuffer) markRow(row int) {
	if !b.marked[row] {
		b.marked[row] = true
		b.rows = append(b.rows, row)
	}
}

// reset zeroes the buffer: only the marked rows when sparse (nothing else
// wrote it), all of it otherwise.
func (b *gradBuffer) reset(sparse bool) {
	if !sparse {
		b.dense.Zero()
	} else if b.dense.Dtype() == tensor.Float32 {
		d := b.dense.Float32s()
		for _, r := range b.rows {
			clear(d[r*b.rowSize : (r+1)*b.rowSize])
		}
	} else {
		d := b.dense.Float64s()
		for _, r := range b.rows {
			clear(d[r*b.rowSize : (r+1)*b.rowSize])
		}
	}
	for _, r := range b.rows {
		b.marked[r] = false
	}
	b.rows = b.rows[:0]
}

// addInto adds scale times the marked rows of the buffer into dst.
func (b *gradBuffer) addInto(dst *tensor.Dense, scale float64) {
	if b.dense.Dtype() == tensor.Float32 {
		d, s, k := dst.Float32s(), b.dense.Float32s(), float32(scale)
		for _, r := range b.rows {
			for i := r * b.rowSize; i < (r+1)*b.rowSize; i++ {
				d[i] += k * s[i]
			}
		}
		return
	}
	d, s := dst.Float64s(), b.dense.Float64s()
	for _, r := range b.rows {
		for i := r * b.rowSize; i < (r+1)*b.rowSize; i++ {
			d[i] += scale * s[i]
		}
	}
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
