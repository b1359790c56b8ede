package graph

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A kernel is one fused computation: a forward pass from its inputs to a
// primary output (and optional secondary outputs, such as a recurrent
// layer's final states), and a backward pass from the gradients of those
// outputs to the gradients of its differentiable inputs. Kernels own every
// buffer they return and reuse them across runs; they never keep a
// reference to a Gorgonia-owned value beyond one call, because the tape
// machine may reuse that memory.
//
// applyKernel wires a kernel into a graph as Gorgonia ops, so that
// gorgonia.Grad differentiates through it:
//
//	out   = kernelOp(inputs...)             forward
//	s_i   = secondaryOp_i(out)              secondary output i
//	dout += secondaryGradOp_i(ds_i)         records ds_i, contributes zeros
//	b     = backwardOp(dout)                runs backward once
//	dx_j  = inputGradOp_j(b)                gradient of input j
//
// The backward op reads the total gradient of out, which Gorgonia sums over
// all consumers of out including the secondary-gradient ops, so it always
// runs after every secondary gradient has been recorded.
type kernel interface {
	// name identifies the kernel in error messages and graph dumps.
	name() string
	// outputShape is the shape of the primary output.
	outputShape() tensor.Shape
	// secondaryShapes are the shapes of the secondary outputs.
	secondaryShapes() []tensor.Shape
	// diffWRT says which inputs get a gradient.
	diffWRT() []bool
	// forward computes the outputs; it also clears the recorded secondary
	// gradients.
	forward(inputs []G.Value) (G.Value, error)
	// secondary returns secondary output i of the last forward.
	secondary(i int) G.Value
	// setSecondaryGrad records the gradient of secondary output i.
	setSecondaryGrad(i int, grad G.Value) error
	// backward computes the gradients of the inputs from the gradient of
	// the primary output and the recorded secondary gradients.
	backward(outGrad G.Value) error
	// inputGrad returns the gradient of input i computed by backward.
	inputGrad(i int) G.Value
}

// kernelNodes are the nodes of an applied kernel.
type kernelNodes struct {
	out       *G.Node
	secondary []*G.Node
	base      *kernelBase
}

// applyKernel adds k to the graph over the inputs.
func applyKernel(g *Graph, k kernel, inputs ...*G.Node) kernelNodes {
	base := &kernelBase{k: k, id: g.uniqueName(k.name()), dtype: g.Dtype()}
	for _, in := range inputs {
		base.inShapes = append(base.inShapes, in.Shape().Clone())
		base.inTypes = append(base.inTypes, in.Type())
	}
	out := must(G.ApplyOp(&kernelOp{base}, inputs...))
	nodes := kernelNodes{out: out, base: base}
	for i := range k.secondaryShapes() {
		nodes.secondary = append(nodes.secondary, must(G.ApplyOp(&secondaryOp{base, i}, out)))
	}
	return nodes
}

// kernelBase is what the ops of one applied kernel share.
type kernelBase struct {
	k        kernel
	id       string
	dtype    tensor.Dtype
	inShapes []tensor.Shape
	inTypes  []hm.Type
	zeros    *tensor.Dense // the secondary ops' contribution to dout
	done     G.Value       // the backward op's token value
	grads    G.Nodes       // the gradient node of each input (nil where none), once differentiated
}

func (b *kernelBase) tensorType(shape tensor.Shape) hm.Type {
	if shape.IsScalar() {
		return b.dtype
	}
	return G.TensorType{Dims: shape.Dims(), Of: b.dtype}
}

// ReturnsPtr, CallsExtern and OverwritesInput are the same for every op of a
// kernel: each returns a value the kernel owns and writes no input.
func (b *kernelBase) ReturnsPtr() bool     { return false }
func (b *kernelBase) CallsExtern() bool    { return false }
func (b *kernelBase) OverwritesInput() int { return -1 }

func (b *kernelBase) hashOf(role string) uint32 {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s/%s", b.id, role)
	return h.Sum32()
}

// kernelOp is the forward op.
type kernelOp struct{ *kernelBase }

func (op *kernelOp) Arity() int { return len(op.inShapes) }
func (op *kernelOp) Type() hm.Type {
	types := append(append([]hm.Type(nil), op.inTypes...), op.tensorType(op.k.outputShape()))
	return hm.NewFnType(types...)
}
func (op *kernelOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.k.outputShape().Clone(), nil
}
func (op *kernelOp) Do(inputs ...G.Value) (G.Value, error) {
	v, err := op.k.forward(inputs)
	return v, errors.Wrap(err, op.id)
}
func (op *kernelOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s/forward", op.id) }
func (op *kernelOp) Hashcode() uint32      { return op.hashOf("forward") }
func (op *kernelOp) String() string        { return op.id }
func (op *kernelOp) DiffWRT(n int) []bool  { return op.k.diffWRT() }

// SymDiff returns the gradient nodes of the inputs: one backward op over
// the output's gradient, and one extraction op per differentiable input.
func (op *kernelOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	back, err := G.ApplyOp(&backwardOp{op.kernelBase}, grad)
	if err != nil {
		return nil, errors.Wrap(err, op.id)
	}
	grads := make(G.Nodes, len(inputs))
	for i, diff := range op.k.diffWRT() {
		if !diff {
			continue
		}
		if grads[i], err = G.ApplyOp(&inputGradOp{op.kernelBase, i}, back); err != nil {
			return nil, errors.Wrap(err, op.id)
		}
	}
	op.grads = grads
	return grads, nil
}

// secondaryOp extracts secondary output i; its input is the primary output,
// which orders it after the forward op.
type secondaryOp struct {
	*kernelBase
	i int
}

func (op *secondaryOp) Arity() int { return 1 }
func (op *secondaryOp) Type() hm.Type {
	return hm.NewFnType(op.tensorType(op.k.outputShape()), op.tensorType(op.k.secondaryShapes()[op.i]))
}
func (op *secondaryOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.k.secondaryShapes()[op.i].Clone(), nil
}
func (op *secondaryOp) Do(...G.Value) (G.Value, error) { return op.k.secondary(op.i), nil }
func (op *secondaryOp) WriteHash(h hash.Hash)          { fmt.Fprintf(h, "%s/secondary%d", op.id, op.i) }
func (op *secondaryOp) Hashcode() uint32               { return op.hashOf(fmt.Sprint("secondary", op.i)) }
func (op *secondaryOp) String() string                 { return fmt.Sprintf("%s.secondary%d", op.id, op.i) }
func (op *secondaryOp) DiffWRT(int) []bool             { return []bool{true} }
func (op *secondaryOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	n, err := G.ApplyOp(&secondaryGradOp{op.kernelBase, op.i}, grad)
	return G.Nodes{n}, errors.Wrap(err, op.id)
}

// secondaryGradOp records the gradient of secondary output i and returns
// zeros of the primary output's shape, its contribution to that gradient.
type secondaryGradOp struct {
	*kernelBase
	i int
}

func (op *secondaryGradOp) Arity() int { return 1 }
func (op *secondaryGradOp) Type() hm.Type {
	return hm.NewFnType(op.tensorType(op.k.secondaryShapes()[op.i]), op.tensorType(op.k.outputShape()))
}
func (op *secondaryGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.k.outputShape().Clone(), nil
}
func (op *secondaryGradOp) Do(inputs ...G.Value) (G.Value, error) {
	if err := op.k.setSecondaryGrad(op.i, inputs[0]); err != nil {
		return nil, errors.Wrap(err, op.id)
	}
	// Downstream ops may have written into the zeros last run.
	if op.zeros == nil {
		op.zeros = tensor.New(tensor.Of(op.dtype), tensor.WithShape(op.k.outputShape().Clone()...))
	} else {
		op.zeros.Zero()
	}
	return op.zeros, nil
}
func (op *secondaryGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s/secondarygrad%d", op.id, op.i) }
func (op *secondaryGradOp) Hashcode() uint32      { return op.hashOf(fmt.Sprint("secondarygrad", op.i)) }
func (op *secondaryGradOp) String() string        { return fmt.Sprintf("%s.secondarygrad%d", op.id, op.i) }

// backwardOp runs the kernel's backward pass and returns a scalar token.
type backwardOp struct{ *kernelBase }

func (op *backwardOp) Arity() int { return 1 }
func (op *backwardOp) Type() hm.Type {
	return hm.NewFnType(op.tensorType(op.k.outputShape()), op.dtype)
}
func (op *backwardOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.ScalarShape(), nil
}
func (op *backwardOp) Do(inputs ...G.Value) (G.Value, error) {
	if err := op.k.backward(inputs[0]); err != nil {
		return nil, errors.Wrap(err, op.id)
	}
	if op.done == nil {
		op.done = scalarValue(op.dtype, 0)
	}
	return op.done, nil
}
func (op *backwardOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s/backward", op.id) }
func (op *backwardOp) Hashcode() uint32      { return op.hashOf("backward") }
func (op *backwardOp) String() string        { return op.id + ".backward" }

// inputGradOp returns the gradient of input i computed by the backward op.
type inputGradOp struct {
	*kernelBase
	i int
}

func (op *inputGradOp) Arity() int { return 1 }
func (op *inputGradOp) Type() hm.Type {
	return hm.NewFnType(op.dtype, op.inTypes[op.i])
}
func (op *inputGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.inShapes[op.i].Clone(), nil
}
func (op *inputGradOp) Do(...G.Value) (G.Value, error) { return op.k.inputGrad(op.i), nil }
func (op *inputGradOp) WriteHash(h hash.Hash)          { fmt.Fprintf(h, "%s/inputgrad%d", op.id, op.i) }
func (op *inputGradOp) Hashcode() uint32               { return op.hashOf(fmt.Sprint("inputgrad", op.i)) }
func (op *inputGradOp) String() string                 { return fmt.Sprintf("%s.inputgrad%d", op.id, op.i) }
