package mpi

// chunk returns the elements from, to-1 of n that rank r of size owns in a
// reduce-scatter: n split into size nearly equal runs, in rank order.
func chunk(n, size, r int) (from, to int) { return n * r / size, n * (r + 1) / size }

// sumInOrder sets dst to the elementwise sum of parts, added in order
// ((parts[0] + parts[1]) + parts[2] ...), the order that makes every
// rank's sum the same bits. Every part has dst's length.
func sumInOrder(dst []float32, parts [][]float32) {
	copy(dst, parts[0])
	for _, p := range parts[1:] {
		p = p[:len(dst)]
		for i, v := range p {
			dst[i] += v
		}
	}
}
