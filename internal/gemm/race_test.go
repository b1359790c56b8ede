//go:build race

package gemm

// raceEnabled: sync.Pool drops objects at random under the race detector,
// so allocation counts are not meaningful.
const raceEnabled = true
