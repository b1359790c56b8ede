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
	data := make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(v))
	}
	return Tensor{Name: name, Dtype: F32, Shape: append([]int(nil), shape...), Data: data}
}

// FromFloat64s returns an F64 tensor holding a copy of values. Write rejects
// it if len(values) is not the product of shape.
func FromFloat64s(name string, shape []int, values []float64) Tensor {
	data := make([]byte, 8*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint64(data[8*i:], math.Float64bits(v))
	}
	return Tensor{Name: name, Dtype: F64, Shape: append([]int(nil), shape...), Data: data}
}

// FromInt64s returns an I64 tensor holding a copy of values. Write rejects
// it if len(values) is not the product of shape.
func FromInt64s(name string, shape []int, values []int64) Tensor {
	data := make([]byte, 8*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint64(data[8*i:], uint64(v))
	}
	return Tensor{Name: name, Dtype: I64, Shape: append([]int(nil), shape...), Data: data}
}

// Elements returns the number of elements of t's shape (1 for a scalar).
func (t Tensor) Elements() int {
	n, _ := elements(t.Shape)
	return n
}

// Float32s decodes an F32 tensor's data.
func (t Tensor) Float32s() ([]float32, error) {
	if err := t.check(F32); err != nil {
		return nil, err
	}
	out := make([]float32, len(t.Data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return out, nil
}

// Float64s decodes an F64 tensor's data.
func (t Tensor) Float64s() ([]float64, error) {
	if err := t.check(F64); err != nil {
		return nil, err
	}
	out := make([]float64, len(t.Data)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(t.Data[8*i:]))
	}
	return out, nil
}

// Int64s decodes an I64 tensor's data.
func (t Tensor) Int64s() ([]int64, error) {
	if err := t.check(I64); err != nil {
		return nil, err
	}
	out := make([]int64, len(t.Data)/8)
	for i := range out {
		out[i] = int64(binary.LittleEndian.Uint64(t.Data[8*i:]))
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
