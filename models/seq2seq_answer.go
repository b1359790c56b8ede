package models

// TranslationAnswer is a Seq2Seq's translation of one text in the JSON
// form cmd/predict -json prints and cmd/serve answers: the source's
// tokens, those outside its vocabulary (read as <unk>), and each output's
// text, tokens, score, log-probability and attention matrix ([output
// tokens + <eos>][source tokens]).
type TranslationAnswer struct {
	Text    string         `json:"text"`
	Source  []string       `json:"source"`
	Unknown []UnknownToken `json:"unknown"`
	Outputs []OutputAnswer `json:"outputs"`
}

// UnknownToken is a source token outside the vocabulary, at Position.
type UnknownToken struct {
	Position int    `json:"position"`
	Token    string `json:"token"`
}

// OutputAnswer is one output of a TranslationAnswer.
type OutputAnswer struct {
	Text      string      `json:"text"`
	Tokens    []string    `json:"tokens"`
	Score     float64     `json:"score"`
	LogProb   float64     `json:"log_prob"`
	Attention [][]float64 `json:"attention"`
}

// Answer returns tr, the translation of text, as a TranslationAnswer.
func (tr Translation) Answer(text string) TranslationAnswer {
	a := TranslationAnswer{Text: text, Source: tr.Source, Unknown: []UnknownToken{}}
	for _, p := range tr.Unknown {
		a.Unknown = append(a.Unknown, UnknownToken{p, tr.Source[p]})
	}
	for _, o := range tr.Outputs {
		a.Outputs = append(a.Outputs, OutputAnswer{o.Text, o.Tokens, o.Score, o.LogProb, o.Attention})
	}
	return a
}
