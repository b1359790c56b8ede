package graph

import (
	"fmt"

	"gorgonia.org/tensor"
)

// Workspace holds the scratch memory of fused kernels: the activations a
// recurrent layer keeps from its forward pass for its backward pass, and
// the gradients kernels return. Graphs that never
// run at the same time, such as the graphs one worker uses for different
// padded lengths and modes, can share one, so that this memory is that of
// the largest batch seen rather than one copy per graph.
//
// Graphs sharing a workspace must run one at a time, and AccumulateGrads
// must follow a training graph's Run before another graph of the workspace
// runs; the values of a graph's sequence nodes are valid until another
// graph of its workspace runs. A nil Config.Workspace gives a graph a
// workspace of its own.
type Workspace struct {
	buffers  map[string]any // []float32 or []float64
	reserved map[string]int // the largest size any graph's kernel may ask of a buffer
	grads    map[string]*gradBuffer
}

// NewWorkspace returns an empty workspace.
func NewWorkspace() *Workspace {
	return &Workspace{buffers: map[string]any{}, reserved: map[string]int{}, grads: map[string]*gradBuffer{}}
}

// reserve records that the buffer called key may be asked for n elements,
// so that it is allocated once for the largest graph rather than regrown.
func (ws *Workspace) reserve(key string, n int) {
	ws.reserved[key] = max(ws.reserved[key], n)
}

// buffer returns the workspace's buffer called key, holding n elements; it
// reallocates (without keeping the contents) only when it is too small,
// then to the reserved size or a quarter more than n. Kernels drop their
// references to buffers after each run, so a buffer that moves leaves
// garbage the collector can reclaim.
func buffer[T float](ws *Workspace, key string, n int) []T {
	buf, _ := ws.buffers[key].([]T)
	if cap(buf) < n {
		buf = make([]T, max(n+n/4, ws.reserved[key]))
		ws.buffers[key] = buf
	}
	return buf[:n]
}

// rowGrad returns the row-tracked gradient buffer called key, of p's
// shape.
func (ws *Workspace) rowGrad(key string, p *Param) *gradBuffer {
	b, ok := ws.grads[key]
	if !ok {
		b = newGradBuffer(p)
		ws.grads[key] = b
	}
	return b
}

// kernelKey returns a name for the next fused kernel of kind in g, the same
// in every graph of one model, so that graphs sharing a workspace share the
// buffers of corresponding kernels.
func (g *Graph) kernelKey(kind string) string {
	g.kernelCounts[kind]++
	return fmt.Sprintf("%s%d", kind, g.kernelCounts[kind])
}

// sharedTensor points *dense and *data at a zeroed tensor of shape held in
// the workspace's buffer called key: the memory of a kernel's output or
// input gradient, which Gorgonia reads, shared by the graphs of the
// workspace. The tensor header is rebuilt only when the buffer moves.
// Every use zeroes it, since another graph may have written it. Kernels
// reserve these buffers' sizes when they are built.
func sharedTensor[T float](ws *Workspace, key string, dense **tensor.Dense, data *[]T, shape ...int) {
	sharedTensorDirty(ws, key, dense, data, shape...)
	clear(*data)
}

// sharedTensorPrefix is sharedTensor for a kernel that writes every one of
// the first n elements (the batch's real steps): it zeroes only the rest.
// It zeroes the rest at every use, whatever was written there before:
// the tape machine may write into a value a kernel returned (an in-place
// op downstream), so that memory holds no promise.
func sharedTensorPrefix[T float](ws *Workspace, key string, n int, dense **tensor.Dense, data *[]T, shape ...int) {
	sharedTensorDirty(ws, key, dense, data, shape...)
	clear((*data)[n:])
}

// sharedTensorDirty is sharedTensor without the zeroing, for a kernel that
// overwrites every element (a weight gradient).
func sharedTensorDirty[T float](ws *Workspace, key string, dense **tensor.Dense, data *[]T, shape ...int) {
	buf := buffer[T](ws, key, tensor.Shape(shape).TotalSize())
	if *dense == nil || &(*data)[0] != &buf[0] {
		*dense = tensor.New(tensor.WithShape(shape...), tensor.WithBacking(buf))
		*data = buf
	}
}
