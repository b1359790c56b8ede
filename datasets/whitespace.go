package datasets

import "strings"

// WhitespaceTokenizer splits a text at whitespace and control characters
// and keeps every other character, case included: the tokenizer of texts
// that are already tokenized, such as a pronunciation's phonemes.
const WhitespaceTokenizer = "whitespace"

// whitespace is the whitespace tokenizer.
type whitespace struct{}

// Name returns "whitespace".
func (whitespace) Name() string { return WhitespaceTokenizer }

// Tokenize returns the runs of text between whitespace and control
// characters (Python's str.split, which also splits at the control
// characters the other tokenizers treat as whitespace).
func (whitespace) Tokenize(text string) []string {
	return strings.FieldsFunc(text, isSeparator)
}
