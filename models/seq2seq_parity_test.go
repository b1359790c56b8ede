package models

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"testing"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/decode"
	"github.com/gornn/gornn/graph"
	"gorgonia.org/tensor"
)

// seq2seqFixture is one case of testdata/pytorch_seq2seq.json (see
// make_seq2seq_fixtures.py).
type seq2seqFixture struct {
	Name          string                  `json:"name"`
	Config        Seq2SeqConfig           `json:"config"`
	Source        []int                   `json:"source"`
	SourceLengths []int                   `json:"source_lengths"`
	TargetInput   []int                   `json:"target_input"`
	TargetLengths []int                   `json:"target_lengths"`
	Targets       []int                   `json:"targets"`
	Params        map[string]fixtureValue `json:"params"`
	Outputs       map[string]fixtureValue `json:"outputs"`
	Grads         map[string]fixtureValue `json:"grads"`
	BeamSources   [][]int                 `json:"beam_sources"`
	Beams         []struct {
		Width       int     `json:"width"`
		NBest       int     `json:"nbest"`
		Alpha       float64 `json:"alpha"`
		MaxLenRatio float64 `json:"max_len_ratio"`
		Outputs     [][]struct {
			Tokens  []int   `json:"tokens"`
			LogProb float64 `json:"log_prob"`
			Score   float64 `json:"score"`
		} `json:"outputs"`
	} `json:"beams"`
}

type fixtureValue struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

// The parity tolerances of float32 against PyTorch, as in package graph.
const (
	parityAbs = 1e-5
	parityRel = 1e-4
)

func loadSeq2SeqFixtures(t *testing.T) []seq2seqFixture {
	t.Helper()
	data, err := os.ReadFile("testdata/pytorch_seq2seq.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []seq2seqFixture `json:"cases"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	return file.Cases
}

// seqVocabOfSize returns a sequence-to-sequence vocabulary of n tokens.
func seqVocabOfSize(t testing.TB, n int) *datasets.Vocab {
	t.Helper()
	var tokens []string
	for i := 4; i < n; i++ {
		for range n - i { // decreasing counts keep the order
			tokens = append(tokens, fmt.Sprint("t", i))
		}
	}
	v, err := datasets.SeqVocabFromTokens([][]string{tokens}, "", datasets.VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// model returns the case's model with its weights, built by impl.
func (c seq2seqFixture) model(t *testing.T, impl graph.Impl) *Seq2Seq {
	t.Helper()
	m, err := NewSeq2Seq(c.Config, seqVocabOfSize(t, c.Config.SrcVocabSize), seqVocabOfSize(t, c.Config.TgtVocabSize), Options{Impl: impl})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(m.params.List()), len(c.Params); got != want {
		t.Fatalf("%d parameters, the fixture has %d", got, want)
	}
	for name, v := range c.Params {
		if err := m.params.SetValues(name, tensor.Shape(v.Shape), v.Data); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func (c seq2seqFixture) batch() datasets.Batch {
	second := &datasets.Batch{IDs: c.TargetInput, Lengths: c.TargetLengths, Targets: c.Targets, Size: len(c.TargetLengths), Steps: len(c.TargetInput) / len(c.TargetLengths)}
	return datasets.Batch{IDs: c.Source, Lengths: c.SourceLengths, Second: second, Size: len(c.SourceLengths), Steps: len(c.Source) / len(c.SourceLengths)}
}

func compareValues(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > parityAbs+parityRel*math.Abs(want[i]) || math.IsNaN(got[i]) {
			t.Errorf("%s: element %d = %.8g, want %.8g", what, i, got[i], want[i])
			return
		}
	}
}

// TestSeq2SeqParity checks, against PyTorch 1.13 in float32 and for each
// attention score, the teacher-forced logits, the loss (label smoothing
// included) and every parameter's gradient; and, through the decoding
// path (Start, then Step fed the reference tokens), the encoder outputs
// and every step's attention weights and log-probabilities. Both
// implementations.
func TestSeq2SeqParity(t *testing.T) {
	for _, c := range loadSeq2SeqFixtures(t) {
		for _, impl := range []graph.Impl{graph.Composed, graph.Fused} {
			t.Run(impl.String()+"/"+c.Name, func(t *testing.T) {
				m := c.model(t, impl)
				b := c.batch()
				net, err := m.Network(b, graph.Train, 0)
				if err != nil {
					t.Fatal(err)
				}
				check := func(err error) {
					t.Helper()
					if err != nil {
						t.Fatalf("%+v", err)
					}
				}
				check(net.SetBatch(b))
				net.SetRNG(graph.NewRNG(1))
				check(net.Run())
				check(net.AccumulateGrads(1))
				loss, _, err := net.Loss()
				check(err)
				compareValues(t, "loss", []float64{loss}, c.Outputs["loss"].Data)
				logits, err := graph.Values(net.(*s2sNetwork).tf.logits)
				check(err)
				rows, steps, v := b.Size, b.Second.Steps, c.Config.TgtVocabSize
				want := c.Outputs["logits"].Data // [B, T, V]
				for r := 0; r < rows; r++ {
					for s := 0; s < b.Second.Lengths[r]; s++ {
						compareValues(t, fmt.Sprintf("logits row %d step %d", r, s), logits[(s*rows+r)*v:(s*rows+r+1)*v], want[(r*steps+s)*v:(r*steps+s+1)*v])
					}
				}
				for _, p := range m.params.List() {
					compareValues(t, "grad "+p.Name, p.Gradients(), c.Grads[p.Name].Data)
				}
				c.checkSteps(t, m)
			})
		}
	}
}

// checkSteps runs the decoding path over the fixture's batch, feeding the
// reference tokens, and compares the encoder outputs, the attention
// weights and the log-probabilities of every step.
func (c seq2seqFixture) checkSteps(t *testing.T, m *Seq2Seq) {
	b := c.batch()
	sources := sourcesOf(b)
	state, err := m.Start(sources)
	if err != nil {
		t.Fatal(err)
	}
	enc := state.(*s2sState).enc
	rows, srcSteps, width := b.Size, b.Steps, m.cfg.memoryWidth()
	memory := c.Outputs["memory"].Data // [B, S, De]
	for r := 0; r < rows; r++ {
		for s := 0; s < b.Lengths[r]; s++ {
			compareValues(t, fmt.Sprintf("memory row %d step %d", r, s), enc.memory[(s*rows+r)*width:(s*rows+r+1)*width], memory[(r*srcSteps+s)*width:(r*srcSteps+s+1)*width])
		}
	}
	steps, v := b.Second.Steps, c.Config.TgtVocabSize
	weights, logits := c.Outputs["weights"].Data, c.Outputs["logits"].Data
	for s := 0; s < steps; s++ {
		tokens := make([]int, rows)
		for r := range tokens {
			tokens[r] = b.Second.IDs[r*steps+s]
		}
		out, err := m.Step(state, tokens)
		if err != nil {
			t.Fatal(err)
		}
		for r := 0; r < rows; r++ {
			if s >= b.Second.Lengths[r] {
				continue
			}
			want := slices.Clone(logits[(r*steps+s)*v : (r*steps+s+1)*v])
			logSoftmaxRows(want, v)
			compareValues(t, fmt.Sprintf("log-probabilities row %d step %d", r, s), out.LogProbs[r*v:(r+1)*v], want)
			compareValues(t, fmt.Sprintf("attention row %d step %d", r, s), out.Attention[r*out.SourceSteps:r*out.SourceSteps+srcSteps], weights[(r*steps+s)*srcSteps:(r*steps+s+1)*srcSteps])
		}
		state = out.Next
	}
}

// TestSeq2SeqBeamParity runs greedy decoding and beam search over the
// fixtures' weights and compares the n-best outputs and their
// log-probabilities and scores with the fixture script's own plain beam
// search.
func TestSeq2SeqBeamParity(t *testing.T) {
	for _, c := range loadSeq2SeqFixtures(t) {
		for _, impl := range []graph.Impl{graph.Composed, graph.Fused} {
			m := c.model(t, impl)
			for _, beam := range c.Beams {
				t.Run(fmt.Sprintf("%v/%s/width=%d", impl, c.Name, beam.Width), func(t *testing.T) {
					lists, err := m.Decode(c.BeamSources, decode.Beam{Width: beam.Width, NBest: beam.NBest, Alpha: beam.Alpha, MaxLenRatio: beam.MaxLenRatio})
					if err != nil {
						t.Fatal(err)
					}
					for i, list := range lists {
						want := beam.Outputs[i]
						if len(list) != len(want) {
							t.Fatalf("source %d: %d outputs, want %d", i, len(list), len(want))
						}
						for j, h := range list {
							w := want[j]
							if !slices.Equal(h.Tokens, w.Tokens) && !(len(h.Tokens) == 0 && len(w.Tokens) == 0) {
								t.Errorf("source %d output %d: %v, want %v", i, j, h.Tokens, w.Tokens)
							}
							compareValues(t, fmt.Sprintf("source %d output %d log-probability and score", i, j), []float64{h.LogProb, h.Score}, []float64{w.LogProb, w.Score})
						}
					}
				})
			}
		}
	}
}
