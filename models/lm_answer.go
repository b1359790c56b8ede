package models

// TokenLogProb is a token and its natural log-probability under a
// language model, in JSON answers.
type TokenLogProb struct {
	Token   string  `json:"token"`
	LogProb float64 `json:"logprob"`
}

// ScoreAnswer is a language model's score of one text in the JSON form
// cmd/predict -json prints and cmd/serve answers:
//
//	{"text": "...", "perplexity": 7.9, "tokens": [{"token": "a", "logprob": -2.1}, ...], "unknown": 0}
//
// with the log-probability of each of the text's tokens, then of the
// end-of-text token, and the count of tokens outside the vocabulary.
type ScoreAnswer struct {
	Text       string         `json:"text"`
	Perplexity float64        `json:"perplexity"`
	Tokens     []TokenLogProb `json:"tokens"`
	Unknown    int            `json:"unknown"`
}

// Answer returns s, the score of text, as a ScoreAnswer.
func (s TextScore) Answer(text string) ScoreAnswer {
	tokens := make([]TokenLogProb, len(s.Tokens))
	for j, token := range s.Tokens {
		tokens[j] = TokenLogProb{token, s.LogProbs[j]}
	}
	return ScoreAnswer{Text: text, Perplexity: s.Perplexity, Tokens: tokens, Unknown: s.Unknown}
}

// GenerationAnswer is a generation in the JSON form cmd/generate -json
// prints and cmd/serve answers:
//
//	{"prompt": "...", "text": "...", "tokens": [{"token", "logprob"}, ...], "stopped": "length", "seed": 1}
type GenerationAnswer struct {
	Prompt  string         `json:"prompt"`
	Text    string         `json:"text"`
	Tokens  []TokenLogProb `json:"tokens"`
	Stopped string         `json:"stopped"`
	Seed    uint64         `json:"seed"`
}

// Answer returns g, generated after prompt from seed, as a
// GenerationAnswer.
func (g *Generation) Answer(prompt string, seed uint64) GenerationAnswer {
	tokens := make([]TokenLogProb, len(g.Tokens))
	for j, t := range g.Tokens {
		tokens[j] = TokenLogProb{t.Token, t.LogProb}
	}
	return GenerationAnswer{Prompt: prompt, Text: g.Text, Tokens: tokens, Stopped: g.Stopped, Seed: seed}
}
