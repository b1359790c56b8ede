package models

// Answer is a classifier's prediction for one text in the JSON form
// cmd/predict -json prints and cmd/serve answers:
//
//	{"text": "...", "label": "Sports", "probabilities": {"World": 0.01, ...}}
type Answer struct {
	Text          string             `json:"text"`
	Label         string             `json:"label"`
	Probabilities map[string]float64 `json:"probabilities"`
}

// Answer returns p, the classifier's prediction for text, as an Answer.
func (c *Classifier) Answer(text string, p Prediction) Answer {
	probs := make(map[string]float64, len(c.cfg.Labels))
	for j, label := range c.cfg.Labels {
		probs[label] = p.Probabilities[j]
	}
	return Answer{Text: text, Label: p.Label, Probabilities: probs}
}
