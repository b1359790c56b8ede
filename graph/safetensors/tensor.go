package safetensors

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/pkg/errors"
)

// Tensor is one named tensor of a file: its dtype, its shape (empty for a
// scalar) and its row-major little-endian data, len(Data) = elements × size.
type Tensor struct {
	Name  string
	Dtype Dtype
	Shape []int
	Data  []byte
}

// FromFloat32s returns an F32 tensor holding a copy of values. Write rejects
// it if len(values) is not the product of shape.
func FromFloat32s(name string, shape []int, values []float32) Tensor {
	return encode(name, F32, shape, values, func(b []byte, v float32) { binary.LittleEndian.PutUint32(b, math.Float32bits(v)) })
}

// FromFloat64s returns an F64 tensor holding a copy of values. Write rejects
// it if len(values) is not the product of shape.
func FromFloat64s(name string, shape []int, values []float64) Tensor {
	return encode(name, F64, shape, values, func(b []byte, v float64) { binary.LittleEndian.PutUint64(b, math.Float64bits(v)) })
}

// FromInt64s returns an I64 tensor holding a copy of values. Write rejects
// it if len(values) is not the product of shape.
func FromInt64s(name string, shape []int, values []int64) Tensor {
	return encode(name, I64, shape, values, func(b []byte, v int64) { binary.LittleEndian.PutUint64(b, uint64(v)) })
}

// encode returns a tensor of dtype with a copy of shape, whose data holds
// values, each written by put into the element's bytes.
func encode[T any](name string, dtype Dtype, shape []int, values []T, put func([]byte, T)) Tensor {
	size := dtype.Size()
	data := make([]byte, size*len(values))
	for i, v := range values {
		put(data[size*i:], v)
	}
	return Tensor{Name: name, Dtype: dtype, Shape: append([]int(nil), shape...), Data: data}
}

// Elements returns the number of elements of t's shape (1 for a scalar).
func (t Tensor) Elements() int {
	n, _ := elements(t.Shape)
	return n
}

// Float32s decodes an F32 tensor's data.
func (t Tensor) Float32s() ([]float32, error) {
	return decode(t, F32, func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) })
}

// Float64s decodes an F64 tensor's data.
func (t Tensor) Float64s() ([]float64, error) {
	return decode(t, F64, func(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) })
}

// Int64s decodes an I64 tensor's data.
func (t Tensor) Int64s() ([]int64, error) {
	return decode(t, I64, func(b []byte) int64 { return int64(binary.LittleEndian.Uint64(b)) })
}

// decode checks that t is a tensor of dtype want and converts each element
// of its data with value, which gets the element's bytes first.
func decode[T any](t Tensor, want Dtype, value func([]byte) T) ([]T, error) {
	if err := t.check(want); err != nil {
		return nil, err
	}
	size := want.Size()
	out := make([]T, len(t.Data)/size)
	for i := range out {
		out[i] = value(t.Data[size*i:])
	}
	return out, nil
}

// check reports whether t has dtype want and a consistent shape and length.
func (t Tensor) check(want Dtype) error {
	if t.Dtype != want {
		return errors.Errorf("safetensors: tensor %q is %s, not %s", t.Name, t.Dtype, want)
	}
	return errors.Wrap(t.validate(), "safetensors")
}

// validate reports whether t's dtype is known and its data length matches
// its shape.
func (t Tensor) validate() error {
	size := t.Dtype.Size()
	if size == 0 {
		return errors.Errorf("tensor %q: unknown dtype %q", t.Name, t.Dtype)
	}
	n, err := elements(t.Shape)
	if err != nil {
		return errors.Wrapf(err, "tensor %q", t.Name)
	}
	hi, lo := bits.Mul64(uint64(n), uint64(size))
	if hi != 0 || lo != uint64(len(t.Data)) {
		return errors.Errorf("tensor %q: shape %v of %s needs %d×%d bytes, has %d",
			t.Name, t.Shape, t.Dtype, n, size, len(t.Data))
	}
	return nil
}

// elements returns the product of shape, or an error for a negative
// dimension or a product that overflows int.
func elements(shape []int) (int, error) {
	n := uint64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, errors.Errorf("negative dimension in shape %v", shape)
		}
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > math.MaxInt {
			return 0, errors.Errorf("shape %v has more than %d elements", shape, math.MaxInt)
		}
		n = lo
	}
	return int(n), nil
}
