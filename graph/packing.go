package graph

import "slices"

// packing lays out the real tokens of a batch the way PyTorch's packed
// sequences do: the rows sorted by length, longest first (ties in row
// order), and step t holding the first sizes[t] of them, the rows longer
// than t. The fused recurrent kernels compute only these tokens, so padding
// costs nothing, in either direction: the rows still running at any step
// are a prefix of the sorted rows.
type packing struct {
	order   []int // order[i] is the batch row at sorted position i
	sizes   []int // sizes[t] is the number of rows longer than t
	offsets []int // offsets[t] is the packed index of step t's first token; offsets[T] counts the tokens
}

// set computes the packing of rows of the given lengths padded to steps,
// reusing its slices.
func (p *packing) set(lengths []int, steps int) {
	p.order = p.order[:0]
	for b := range lengths {
		p.order = append(p.order, b)
	}
	slices.SortStableFunc(p.order, func(a, b int) int { return lengths[b] - lengths[a] })
	p.sizes = p.sizes[:0]
	p.offsets = append(p.offsets[:0], 0)
	n := len(lengths)
	for t := 0; t < steps; t++ {
		for n > 0 && lengths[p.order[n-1]] <= t {
			n--
		}
		p.sizes = append(p.sizes, n)
		p.offsets = append(p.offsets, p.offsets[t]+n)
	}
}

// tokens returns the number of real tokens.
func (p *packing) tokens() int { return p.offsets[len(p.offsets)-1] }
