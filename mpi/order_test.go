package mpi

import "testing"

// TestChunk checks that the chunks of every rank cover n once, in order.
func TestChunk(t *testing.T) {
	for _, c := range []struct{ n, size int }{{10, 3}, {2, 4}, {0, 2}, {7, 1}, {1 << 20, 7}} {
		at := 0
		for r := range c.size {
			from, to := chunk(c.n, c.size, r)
			if from != at || to < from {
				t.Fatalf("n %d size %d rank %d: chunk [%d, %d), want it to start at %d", c.n, c.size, r, from, to, at)
			}
			at = to
		}
		if at != c.n {
			t.Errorf("n %d size %d: chunks end at %d", c.n, c.size, at)
		}
	}
}

// TestSumInOrder checks the order of the additions: 1e8 + 1 - 1e8 is 0
// in float32 when added left to right.
func TestSumInOrder(t *testing.T) {
	dst := make([]float32, 2)
	sumInOrder(dst, [][]float32{{1e8, 1}, {1, 2}, {-1e8, 3}})
	if dst[0] != 0 || dst[1] != 6 {
		t.Errorf("sum %v, want [0 6]", dst)
	}
}
