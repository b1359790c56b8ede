package graph

import (
	gemmpkg "github.com/gornn/gornn/internal/gemm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// float is the element type of the fused kernels.
type float interface{ ~float32 | ~float64 }

// valueData returns the row-major elements of a tensor value, copying a
// non-contiguous view first.
func valueData[T float](v G.Value) ([]T, error) {
	d, ok := v.(*tensor.Dense)
	if !ok {
		return nil, errors.Errorf("graph: want a dense tensor, got %T", v)
	}
	if d.IsMaterializable() {
		d = d.Materialize().(*tensor.Dense)
	}
	data, ok := d.Data().([]T)
	if !ok {
		return nil, errors.Errorf("graph: tensor of %v, want %T elements", d.Dtype(), *new(T))
	}
	return data, nil
}

// newBuffer returns a zeroed dense tensor of shape backed by a []T.
func newBuffer[T float](shape ...int) (*tensor.Dense, []T) {
	data := make([]T, tensor.Shape(shape).TotalSize())
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data)), data
}

// gemm computes c = op(a) op(b) + beta c for row-major matrices: op(a) is
// m×k, op(b) is k×n.
func gemm[T float](transA, transB bool, m, n, k int, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	switch a := any(a).(type) {
	case []float32:
		gemmpkg.Sgemm(transA, transB, m, n, k, 1, a, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	case []float64:
		gemmpkg.Dgemm(transA, transB, m, n, k, 1, a, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	}
}

// addRows adds the vector v to every row of the row-major matrix m; an
// empty v adds nothing.
func addRows[T float](m, v []T) {
	if len(v) == 0 {
		return
	}
	for r := 0; r+len(v) <= len(m); r += len(v) {
		row := m[r : r+len(v)]
		for j, x := range v {
			row[j] += x
		}
	}
}

// addColumnSums adds the column sums of the row-major matrix m to v.
func addColumnSums[T float](v, m []T) {
	for r := 0; r+len(v) <= len(m); r += len(v) {
		row := m[r : r+len(v)]
		for j, x := range row {
			v[j] += x
		}
	}
}

// paramData returns the elements of a parameter's value.
func paramData[T float](p *Param) []T { return p.Value.Data().([]T) }

// bufferData returns the elements of a gradient buffer.
func bufferData[T float](b *gradBuffer) []T { return b.dense.Data().([]T) }
