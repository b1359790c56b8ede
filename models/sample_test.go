package models

import (
	"math"
	"slices"
	"testing"
)

// TestCandidates checks top-k and top-p on fixed distributions: top-p
// keeps exactly the smallest set of most likely tokens whose mass (after
// top-k, renormalised) reaches p.
func TestCandidates(t *testing.T) {
	probs := []float64{0.1, 0.4, 0.05, 0.3, 0.15}
	cases := []struct {
		name string
		topK int
		topP float64
		want []int
	}{
		{"everything", 0, 0, []int{0, 1, 2, 3, 4}},
		{"p = 1 keeps everything", 0, 1, []int{0, 1, 2, 3, 4}},
		{"p below the top token", 0, 0.3, []int{1}},
		{"p exactly the top token", 0, 0.4, []int{1}},
		{"p just over the top token", 0, 0.41, []int{1, 3}},
		{"p exactly two tokens (0.4 + 0.3)", 0, 0.7, []int{1, 3}},
		{"p just over two tokens", 0, 0.7000001, []int{1, 3, 4}},
		{"p 0.95 needs all but the last", 0, 0.95, []int{1, 3, 4, 0}},
		{"p 0.99 needs all", 0, 0.99, []int{1, 3, 4, 0, 2}},
		{"top-k 2", 2, 0, []int{1, 3}},
		{"top-k larger than V", 9, 0, []int{0, 1, 2, 3, 4}},
		// After top-k 3 the mass is 0.85: 0.4/0.85 < 0.5 <= 0.7/0.85.
		{"top-k then top-p, renormalised", 3, 0.5, []int{1, 3}},
		{"top-k then top-p keeping all k", 3, 0.9, []int{1, 3, 4}},
	}
	for _, c := range cases {
		got := candidates(nil, probs, c.topK, c.topP)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	// Ties keep the lower id first, so top-k 1 is greedy's choice.
	if got := candidates(nil, []float64{0.2, 0.4, 0.4}, 1, 0); !slices.Equal(got, []int{1}) {
		t.Errorf("tie: %v, want [1]", got)
	}
}

// TestSamplingFrequencies draws 100,000 tokens from fixed logits at
// temperature 1 and checks the empirical frequencies with a chi-square
// test: the statistic must stay below the 0.999 quantile of chi-square
// with V-1 degrees of freedom. The draws are seeded, so the test is
// deterministic; the bound says a correct sampler passes for all but one
// seed in a thousand.
func TestSamplingFrequencies(t *testing.T) {
	logits := []float64{1, 2, 0.5, -1, 3, 0}
	exps, _ := expShifted(nil, logits)
	cases := []struct {
		name     string
		sampling Sampling
		exps     []float64 // Generate's exponentials, or nil
		critical float64   // chi-square 0.999 quantile, V-1 degrees of freedom
	}{
		{"temperature 1", Sampling{Temperature: 1}, nil, 20.515},                        // 5 degrees of freedom
		{"temperature 1 from the exponentials", Sampling{Temperature: 1}, exps, 20.515}, // 5
		{"temperature 2", Sampling{Temperature: 2}, nil, 20.515},                        // 5
		{"top-k 3", Sampling{Temperature: 1, TopK: 3}, exps, 13.816},                    // 2
		{"top-p 0.8", Sampling{Temperature: 1, TopP: 0.8}, nil, 10.828},                 // 1
	}
	const draws = 100_000
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSampler(c.sampling, 42)
			probs := softmaxTemperature(nil, logits, c.sampling.Temperature)
			kept := candidates(nil, probs, c.sampling.TopK, c.sampling.TopP)
			mass := 0.0
			for _, id := range kept {
				mass += probs[id]
			}
			counts := make([]int, len(logits))
			for range draws {
				counts[s.pick(logits, c.exps)]++
			}
			chi2 := 0.0
			for id, n := range counts {
				if !slices.Contains(kept, id) {
					if n > 0 {
						t.Fatalf("token %d drawn %d times, but it is outside the candidates %v", id, n, kept)
					}
					continue
				}
				expected := draws * probs[id] / mass
				chi2 += (float64(n) - expected) * (float64(n) - expected) / expected
			}
			if chi2 > c.critical {
				t.Errorf("chi-square %.2f over %d tokens, above %.3f: counts %v", chi2, len(kept), c.critical, counts)
			}
		})
	}
}

func TestSoftmaxTemperature(t *testing.T) {
	p := softmaxTemperature(nil, []float64{0, math.Log(3)}, 1)
	if math.Abs(p[0]-0.25) > 1e-15 || math.Abs(p[1]-0.75) > 1e-15 {
		t.Errorf("softmax(0, log 3) = %v, want [0.25 0.75]", p)
	}
	// A huge logit does not overflow.
	if p := softmaxTemperature(nil, []float64{1e4, 0}, 0.01); p[0] != 1 || p[1] != 0 {
		t.Errorf("softmax of a huge logit: %v", p)
	}
}
