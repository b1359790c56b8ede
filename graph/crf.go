package graph

import (
	"math"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// CRF is a linear-chain conditional random field over K tags, the output
// layer of a BiLSTM-CRF tagger (Lample et al. 2016; the layer of NCRF++,
// flair and pytorch-crf). It scores a tag path y_0..y_{n-1} of a row
// with emission scores e [n, K] (a Linear's BuildSeq over the recurrent
// outputs) as
//
//	score(y) = start[y_0] + Σ_t e[t, y_t] + Σ_{t≥1} trans[y_{t-1}, y_t] + end[y_{n-1}]
//
// and the probability of a path is exp(score(y)) / Z, Z summing over
// every path of the row's length. Its parameters, named as pytorch-crf's
// CRF module names them, are "<name>.transitions" [K, K] (trans[i, j]
// scores tag j after tag i), "<name>.start_transitions" [K] and
// "<name>.end_transitions" [K], initialised from U(-0.1, 0.1).
type CRF struct {
	Tags        int
	Transitions *Param
	Start       *Param
	End         *Param
}

// NewCRF declares a CRF over tags tags called name (e.g. "crf") in ps.
func NewCRF(ps *Params, name string, tags int) (*CRF, error) {
	if tags <= 0 {
		return nil, errors.Errorf("graph: CRF %q: %d tags, want at least 1", name, tags)
	}
	init := Uniform(0.1)
	c := &CRF{Tags: tags}
	var err error
	if c.Start, err = ps.Add(name+".start_transitions", tensor.Shape{tags}, init); err != nil {
		return nil, err
	}
	if c.End, err = ps.Add(name+".end_transitions", tensor.Shape{tags}, init); err != nil {
		return nil, err
	}
	if c.Transitions, err = ps.Add(name+".transitions", tensor.Shape{tags, tags}, init); err != nil {
		return nil, err
	}
	return c, nil
}

// NegLogLikelihood returns the CRF's loss: the negative log-likelihood of
// the gold tag paths, log Z - score(gold), summed over the rows and
// divided by the number of tags counted (Targets.Count), pytorch-crf's
// reduction="token_mean", so that it weighs batches and data-parallel
// workers by tokens like SequenceCrossEntropy. emissions are a sequence
// [T, B, K]; tags are the graph's token targets of the same token
// sequence, one tag in [0, K) for every real token of every row (a CRF
// scores whole paths, so none may be ignored). log Z comes from the
// forward algorithm in log space.
//
// A Fused graph computes it as one op whose forward pass also runs the
// backward algorithm, for the gradients: the tag marginals minus the gold
// path's indicators (forward-backward). A Composed graph builds the
// forward algorithm step by step from Gorgonia ops, the reference.
func (c *CRF) NegLogLikelihood(g *Graph, emissions *Seq, tags *Targets) (loss *G.Node, err error) {
	defer recoverTo(&err, "graph: building CRF "+c.Transitions.Name)
	if tags == nil || tags.seq == nil || tags.g != g {
		return nil, errors.New("graph: a CRF needs the graph's token targets (NewTokenTargets)")
	}
	if emissions.tokens != tags.seq {
		return nil, errors.Errorf("graph: the emissions are over another token sequence than tags %q's (%q)", tags.name, tags.seq.name)
	}
	if emissions.width != c.Tags {
		return nil, errors.Errorf("graph: emissions have %d features, want one per tag (%d)", emissions.width, c.Tags)
	}
	if err := tags.readBy(c.Tags); err != nil {
		return nil, err
	}
	trans, start, end := g.paramNode(c.Transitions), g.paramNode(c.Start), g.paramNode(c.End)
	if g.cfg.Impl == Fused {
		var k kernel
		steps := emissions.tokens.cfg.Steps
		if g.Dtype() == tensor.Float32 {
			k = newCRFKernel[float32](g, c.Tags, steps)
		} else {
			k = newCRFKernel[float64](g, c.Tags, steps)
		}
		return applyKernel(g, k, emissions.wholeNode(), emissions.tokens.layout, tags.node, trans, start, end).out, nil
	}
	return composedCRF(g, c.Tags, emissions, tags, trans, start, end), nil
}

// composedCRF is the reference NegLogLikelihood from Gorgonia ops:
//
//	α_0      = start + e_0                                   [B, K]
//	α_t[:,j] = logsumexp_i(α_{t-1}[:,i] + trans[i,j]) + e_t[:,j], held past each row's length
//	log Z    = logsumexp_j(α_{T-1}[:,j] + end[j])            [B]
//
// The gold scores are sums of the emissions and of the parameters
// weighted by per-batch inputs: the one-hot gold tags [T, B, K] and the
// counts of each start, end and transition of the gold paths, each
// divided by the number of tags. Each logsumexp subtracts its maximum,
// computed by an op without gradient (the gradient of a logsumexp does not
// depend on the shift), so that no exponential overflows.
func composedCRF(g *Graph, tags int, emissions *Seq, targets *Targets, trans, start, end *G.Node) *G.Node {
	batch, steps := g.cfg.Batch, emissions.Len()
	inv := func() float64 {
		if targets.count == 0 {
			return 0
		}
		return 1 / float64(targets.count)
	}
	// The gold path's indicators, each scaled by 1/count.
	onehot := g.newInput("crf_gold_tags", tensor.Shape{steps, batch, tags}, func(dst []float64) {
		clear(dst)
		for i, y := range targets.values() {
			if y >= 0 {
				dst[i*tags+y] = inv()
			}
		}
	})
	counts := g.newInput("crf_gold_transitions", tensor.Shape{tags, tags}, func(dst []float64) {
		clear(dst)
		forGoldPaths(targets, batch, func(prev, y int) {
			if prev >= 0 {
				dst[prev*tags+y] += inv()
			}
		}, nil, nil)
	})
	starts := g.newInput("crf_gold_starts", tensor.Shape{tags}, func(dst []float64) {
		clear(dst)
		forGoldPaths(targets, batch, nil, func(y int) { dst[y] += inv() }, nil)
	})
	ends := g.newInput("crf_gold_ends", tensor.Shape{tags}, func(dst []float64) {
		clear(dst)
		forGoldPaths(targets, batch, nil, nil, func(y int) { dst[y] += inv() })
	})
	rowWeights := g.newInput("crf_row_weights", tensor.Shape{batch}, func(dst []float64) {
		for b := range dst {
			dst[b] = inv()
		}
	})
	targets.inputs = append(targets.inputs, onehot, counts, starts, ends, rowWeights)

	gold := must(G.Sum(must(G.HadamardProd(emissions.wholeNode(), onehot.node))))
	gold = must(G.Add(gold, must(G.Sum(must(G.HadamardProd(trans, counts.node))))))
	gold = must(G.Add(gold, must(G.Sum(must(G.HadamardProd(start, starts.node))))))
	gold = must(G.Add(gold, must(G.Sum(must(G.HadamardProd(end, ends.node))))))

	transRows := must(G.Reshape(trans, tensor.Shape{1, tags, tags}))
	alpha := addRow(emissions.step(0), start)
	for t := 1; t < steps; t++ {
		// scores[b, i, j] = α[b, i] + trans[i, j]
		scores := must(G.BroadcastAdd(must(G.Reshape(alpha, tensor.Shape{batch, tags, 1})), transRows, []byte{2}, []byte{0}))
		next := must(G.Add(logSumExp(g, scores, 1), emissions.step(t)))
		keep, hold := emissions.tokens.stepMask(t, tags)
		alpha = must(G.Add(must(G.HadamardProd(keep, next)), must(G.HadamardProd(hold, alpha))))
	}
	logZ := logSumExp(g, addRow(alpha, end), 1) // [B]
	total := must(G.Sum(must(G.HadamardProd(logZ, rowWeights.node))))
	return must(G.Sub(total, gold))
}

// logSumExp returns log Σ exp(x) along axis (1 or 2) of x [B, K] or
// [B, K, K], shifted by the maximum along the axis (see maxKernel).
func logSumExp(g *Graph, x *G.Node, axis int) *G.Node {
	shape := x.Shape()
	var k kernel
	if g.Dtype() == tensor.Float32 {
		k = newMaxKernel[float32](shape, axis)
	} else {
		k = newMaxKernel[float64](shape, axis)
	}
	m := applyKernel(g, k, x).out // x's shape without axis
	kept := shape.Clone()
	kept[axis] = 1
	broadcast := []byte{byte(axis)}
	shifted := must(G.BroadcastSub(x, must(G.Reshape(m, kept)), nil, broadcast))
	return must(G.Add(must(G.Log(must(G.Sum(must(G.Exp(shifted)), axis)))), m))
}

// forGoldPaths calls, for every row of a batch's targets (time-major
// [T*B], -1 past each row's length), transition(prev, y) for every tag y
// after the first with the tag before it, first(y) for the row's first
// tag and last(y) for its last. Nil functions are not called.
func forGoldPaths(targets *Targets, batch int, transition func(prev, y int), first, last func(y int)) {
	ys := targets.values()
	steps := len(ys) / batch
	for b := 0; b < batch; b++ {
		prev := -1
		for t := 0; t < steps; t++ {
			y := ys[t*batch+b]
			if y < 0 {
				break
			}
			if prev < 0 && first != nil {
				first(y)
			}
			if prev >= 0 && transition != nil {
				transition(prev, y)
			}
			prev = y
		}
		if prev >= 0 && last != nil {
			last(prev)
		}
	}
}

// Constraints say which tag moves decoding may take: the data of a tag
// scheme's rules (an I-PER only after a B-PER or an I-PER, say), so that
// the rules are values and not code paths. A nil *Constraints allows
// every move.
type Constraints struct {
	Start   []bool   // [K] Start[j]: a row may begin with tag j
	Allowed [][]bool // [K][K] Allowed[i][j]: tag j may follow tag i
	End     []bool   // [K] End[i]: a row may end with tag i
}

// check reports constraints that do not fit k tags.
func (c *Constraints) check(k int) error {
	if c == nil {
		return nil
	}
	if len(c.Start) != k || len(c.End) != k || len(c.Allowed) != k {
		return errors.Errorf("graph: constraints over %d, %d and %d tags, want %d", len(c.Start), len(c.Allowed), len(c.End), k)
	}
	for i, row := range c.Allowed {
		if len(row) != k {
			return errors.Errorf("graph: constraints: row %d of Allowed has %d tags, want %d", i, len(row), k)
		}
	}
	return nil
}

// Decode returns the most likely tag path of each row (Viterbi) and its
// score, under the CRF's current parameters, taking only the moves
// constraints allows (nil: all). emissions are the values of an emission
// sequence as Values returns them: [steps, B, K] time-major, B =
// len(lengths); row b's path has lengths[b] tags. A row with no allowed
// path gets the best path ignoring the constraints, and a score of -Inf.
func (c *CRF) Decode(emissions []float64, steps int, lengths []int, constraints *Constraints) (paths [][]int, scores []float64, err error) {
	k, batch := c.Tags, len(lengths)
	if len(emissions) != steps*batch*k {
		return nil, nil, errors.Errorf("graph: CRF decode: %d emission scores, want %d steps x %d rows x %d tags", len(emissions), steps, batch, k)
	}
	if err := constraints.check(k); err != nil {
		return nil, nil, err
	}
	for b, n := range lengths {
		if n < 1 || n > steps {
			return nil, nil, errors.Errorf("graph: CRF decode: row %d has length %d, want 1..%d", b, n, steps)
		}
	}
	trans, start, end := c.Transitions.Values(), c.Start.Values(), c.End.Values()
	v := viterbi{k: k, trans: trans, start: start, end: end}
	paths, scores = make([][]int, batch), make([]float64, batch)
	for b, n := range lengths {
		row := func(t, j int) float64 { return emissions[(t*batch+b)*k+j] }
		paths[b], scores[b] = v.decode(row, n, constraints)
		if math.IsInf(scores[b], -1) && constraints != nil {
			paths[b], _ = v.decode(row, n, nil)
		}
	}
	return paths, scores, nil
}

// viterbi is the Viterbi algorithm over one CRF's parameters.
type viterbi struct {
	k                 int
	trans, start, end []float64
	delta, next       []float64
	back              []int
}

// decode returns the best path of n steps with emission scores e(t, j)
// and its score (-Inf when constraints allow no path).
func (v *viterbi) decode(e func(t, j int) float64, n int, cons *Constraints) ([]int, float64) {
	k := v.k
	inf := math.Inf(-1)
	v.delta, v.next = make([]float64, k), make([]float64, k)
	v.back = make([]int, n*k)
	for j := range k {
		v.delta[j] = v.start[j] + e(0, j)
		if cons != nil && !cons.Start[j] {
			v.delta[j] = inf
		}
	}
	for t := 1; t < n; t++ {
		for j := range k {
			best, arg := inf, -1
			for i := range k {
				if cons != nil && !cons.Allowed[i][j] {
					continue
				}
				if s := v.delta[i] + v.trans[i*k+j]; arg < 0 || s > best {
					best, arg = s, i
				}
			}
			v.next[j] = best + e(t, j)
			v.back[t*k+j] = max(arg, 0)
		}
		v.delta, v.next = v.next, v.delta
	}
	best, arg := inf, -1
	for j := range k {
		if cons != nil && !cons.End[j] {
			continue
		}
		if s := v.delta[j] + v.end[j]; arg < 0 || s > best {
			best, arg = s, j
		}
	}
	path := make([]int, n)
	path[n-1] = max(arg, 0)
	for t := n - 1; t > 0; t-- {
		path[t-1] = v.back[t*k+path[t]]
	}
	return path, best
}
