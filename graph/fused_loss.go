package graph

import (
	"math"

	"github.com/gornn/gornn/graph/internal/vecmath"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// crossEntropyKernel is the mean cross-entropy of logits [N, C] against
// integer targets [N] (negative where ignored) as one op: its forward pass
// computes each counted row's softmax once, for the loss and for the
// gradient of the mean loss with respect to the logits,
//
//	(softmax(x) - (1-ε) onehot(y) - ε/C) / count,
//
// which its backward pass only scales by the loss's own gradient. Rows
// after the last counted one (a sequence's steps past the batch's padded
// length) are skipped.
type crossEntropyKernel[T float] struct {
	g         *Graph
	key       string
	shape     tensor.Shape // of the logits, [N, C]
	smoothing float64
	loss      G.Value
	dDense    *tensor.Dense
	d         []T // [N, C] the gradient of the mean loss
	scaled    bool
}

func newCrossEntropyKernel[T float](g *Graph, shape tensor.Shape, smoothing float64) *crossEntropyKernel[T] {
	k := &crossEntropyKernel[T]{g: g, key: g.kernelKey("cross_entropy"), shape: shape.Clone(), smoothing: smoothing, loss: scalarValue(g.Dtype(), 0)}
	g.workspace.reserve(k.key+"/d", shape.TotalSize())
	return k
}

func (k *crossEntropyKernel[T]) name() string                        { return "fused_cross_entropy" }
func (k *crossEntropyKernel[T]) outputShape() tensor.Shape           { return tensor.ScalarShape() }
func (k *crossEntropyKernel[T]) secondaryShapes() []tensor.Shape     { return nil }
func (k *crossEntropyKernel[T]) diffWRT() []bool                     { return []bool{true, false} }
func (k *crossEntropyKernel[T]) secondary(int) G.Value               { return nil }
func (k *crossEntropyKernel[T]) setSecondaryGrad(int, G.Value) error { return nil }
func (k *crossEntropyKernel[T]) inputGrad(int) G.Value               { return k.dDense }

func (k *crossEntropyKernel[T]) forward(inputs []G.Value) (G.Value, error) {
	x, err := valueData[T](inputs[0])
	if err != nil {
		return nil, errors.Wrap(err, "logits")
	}
	targets, err := intsOf(inputs[1])
	if err != nil {
		return nil, errors.Wrap(err, "targets")
	}
	classes := k.shape[1]
	rows, count := 0, 0
	for i, y := range targets {
		if y >= 0 {
			rows, count = i+1, count+1
		}
	}
	sharedTensorPrefix(k.g.workspace, k.key+"/d", rows*classes, &k.dDense, &k.d, k.shape...)
	k.scaled = false
	total := 0.0
	eps := k.smoothing
	for i, y := range targets[:rows] {
		d := k.d[i*classes : (i+1)*classes]
		if y < 0 {
			clear(d)
			continue
		}
		row := x[i*classes : (i+1)*classes]
		if y >= classes {
			return nil, errors.Errorf("row %d: target %d, want below %d", i, y, classes)
		}
		shift := row[0]
		for _, v := range row {
			shift = max(shift, v)
		}
		sum := expShifted(d, row, shift)
		lse := float64(shift) + math.Log(sum)
		loss := lse - float64(row[y])
		if eps > 0 {
			mean := 0.0
			for _, v := range row {
				mean += float64(v)
			}
			loss = (1-eps)*loss + eps*(lse-mean/float64(classes))
		}
		total += loss
		inv := 1 / (sum * float64(count))
		for c, e := range d {
			d[c] = T(float64(e)*inv - eps/float64(classes*count))
		}
		d[y] -= T((1 - eps) / float64(count))
	}
	if count > 0 {
		total /= float64(count)
	}
	setScalar(k.loss, total)
	return k.loss, nil
}

func (k *crossEntropyKernel[T]) backward(outGrad G.Value) error {
	scale, err := scalarFrom(outGrad)
	if err != nil {
		return errors.Wrap(err, "loss gradient")
	}
	if scale != 1 && !k.scaled {
		s := T(scale)
		for i := range k.d {
			k.d[i] *= s
		}
		k.scaled = true
	}
	return nil
}

// expShifted writes e^(x[c]-shift) into dst and returns their sum: in
// float32 with vecmath.ExpSum32 (AVX2 where the CPU has it), in float64
// with the math package.
func expShifted[T float](dst, x []T, shift T) float64 {
	if d32, ok := any(dst).([]float32); ok {
		copy(d32, any(x).([]float32))
		return float64(vecmath.ExpSum32(d32, float32(shift)))
	}
	sum := 0.0
	for c, v := range x {
		e := math.Exp(float64(v - shift))
		dst[c] = T(e)
		sum += e
	}
	return sum
}

// setScalar sets a scalar value made by scalarValue.
func setScalar(v G.Value, x float64) {
	switch s := v.(type) {
	case *G.F32:
		*s = G.F32(x)
	case *G.F64:
		*s = G.F64(x)
	}
}

// scalarFrom reads a scalar value (or a one-element tensor).
func scalarFrom(v G.Value) (float64, error) {
	switch s := v.(type) {
	case *G.F32:
		return float64(*s), nil
	case *G.F64:
		return float64(*s), nil
	case *tensor.Dense:
		if s.Shape().TotalSize() == 1 {
			return toFloat64s(s)[0], nil
		}
	}
	return 0, errors.Errorf("want a scalar, got %T", v)
}
