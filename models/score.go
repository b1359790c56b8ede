package models

import (
	"math"

	"github.com/gornn/gornn/datasets"
)

// TextScore is how well a language model predicts one text.
type TextScore struct {
	// Tokens are the tokens predicted: the text's tokens, then EOSToken.
	// Each is predicted from the start token and the tokens before it.
	Tokens []string
	// LogProbs are the natural log-probabilities of Tokens, [len(Tokens)].
	LogProbs []float64
	// Perplexity is e to the mean negative log-probability.
	Perplexity float64
	// Unknown counts the text's tokens not in the vocabulary, read (and
	// predicted) as <unk>.
	Unknown int
}

// Score returns, for each text, the log-probability the model gives each
// of its tokens and its perplexity. A text is read as one document, from
// zero states: the start token (BOSToken, or EOSToken for a stream
// model), then its tokens, each predicting the next, the last predicting
// EOSToken. An empty text scores EOSToken alone. Each text's scores are
// the same, bit for bit, whatever the other texts of the call. Score is
// safe for concurrent use (see LanguageModel).
func (m *LanguageModel) Score(texts []string) ([]TextScore, error) {
	scores := make([]TextScore, len(texts))
	ids := make([][]int, len(texts))
	for i, text := range texts {
		tokens := m.tokenizer.Tokenize(text)
		ids[i] = append([]int{m.start}, m.vocab.Encode(tokens)...)
		for j, id := range ids[i][1:] {
			if id == datasets.UnkID && tokens[j] != datasets.UnkToken {
				scores[i].Unknown++
			}
		}
		scores[i].Tokens = append(tokens, m.cfg.EOSToken)
	}
	err := m.scoring.inChunks(len(texts), m.opts.PredictBatch, "texts", func(slot *inferenceSlot, from, to int) error {
		return m.scoreBatch(slot, ids[from:to], scores[from:to])
	})
	if err != nil {
		return nil, err
	}
	return scores, nil
}

// scoreBatch fills the log-probabilities and perplexities of scores from
// one Predict run, on slot's network, over the rows seqs (start token
// included).
func (m *LanguageModel) scoreBatch(slot *inferenceSlot, seqs [][]int, scores []TextScore) error {
	batch, err := datasets.PadBatch(seqs, 0)
	if err != nil {
		return err
	}
	net, err := m.predictNetwork(slot, batch.Size, batch.Steps)
	if err != nil {
		return err
	}
	if err := net.SetBatch(batch); err != nil {
		return err
	}
	if err := net.Run(); err != nil {
		return err
	}
	logits, err := logitsOf(net.logitsNode)
	if err != nil {
		return err
	}
	for r, seq := range seqs {
		s := &scores[r]
		s.LogProbs = make([]float64, len(seq))
		sum := 0.0
		for t := range seq {
			next := m.eos
			if t+1 < len(seq) {
				next = seq[t+1]
			}
			s.LogProbs[t] = logits.row(t*batch.Size + r).logProb(next)
			sum += s.LogProbs[t]
		}
		s.Perplexity = math.Exp(-sum / float64(len(seq)))
	}
	return nil
}

// Perplexity returns each text's perplexity under the model (see Score).
// It is safe for concurrent use.
func (m *LanguageModel) Perplexity(texts []string) ([]float64, error) {
	scores, err := m.Score(texts)
	if err != nil {
		return nil, err
	}
	ppl := make([]float64, len(scores))
	for i, s := range scores {
		ppl[i] = s.Perplexity
	}
	return ppl, nil
}
