package metrics

import "math"

// Tokens accumulates a per-token task (a language model, a tagger under
// its softmax, a decoder under teacher forcing): the summed loss and the
// number of tokens it is summed over, and how many tokens were predicted
// right. Its scores are "accuracy", "perplexity" = e^(mean loss) and, when
// PerChar is set (a character-level model), "bits_per_char" = mean loss /
// ln 2.
type Tokens struct {
	LossSum float64 `json:"loss_sum"`
	Tokens  int     `json:"tokens"`
	Correct int     `json:"correct"`
	PerChar bool    `json:"per_char"`
}

// Add counts a batch: its mean loss over tokens tokens, correct of them
// predicted right.
func (t *Tokens) Add(meanLoss float64, tokens, correct int) {
	t.LossSum += meanLoss * float64(tokens)
	t.Tokens += tokens
	t.Correct += correct
}

// Scores returns the token accuracy, the perplexity and, per character,
// the bits per character.
func (t *Tokens) Scores() Scores {
	if t.Tokens == 0 {
		return Scores{}
	}
	mean := t.LossSum / float64(t.Tokens)
	s := Scores{"accuracy": float64(t.Correct) / float64(t.Tokens), "perplexity": math.Exp(mean)}
	if t.PerChar {
		s["bits_per_char"] = mean / math.Ln2
	}
	return s
}
