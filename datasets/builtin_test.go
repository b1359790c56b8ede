package datasets

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestBuiltinShape(t *testing.T) {
	ds := Builtin(3001, 42)
	if len(ds.Examples) != 3001 || !slices.Equal(ds.Classes, []string{"negative", "positive"}) || ds.Path != "builtin" {
		t.Fatalf("got %d examples, classes %q, path %q", len(ds.Examples), ds.Classes, ds.Path)
	}
	if counts := ds.ClassCounts(); counts[0] != 1501 || counts[1] != 1500 {
		t.Errorf("class counts %v, want [1501 1500]", counts)
	}
	if err := ds.CheckTrainable(); err != nil {
		t.Error(err)
	}
	tok, _ := NewTokenizer("basic_english")
	words := make(map[string]bool)
	shortest, longest := math.MaxInt, 0
	for i, ex := range ds.Examples {
		if ex.Line != i+1 {
			t.Fatalf("example %d has line %d", i, ex.Line)
		}
		tokens := tok.Tokenize(ex.Text)
		if strings.Join(tokens, " ") != ex.Text {
			t.Errorf("%q does not tokenize to itself", ex.Text)
		}
		shortest, longest = min(shortest, len(tokens)), max(longest, len(tokens))
		for _, token := range tokens {
			words[token] = true
		}
	}
	t.Logf("%d words, sentences of %d..%d tokens; e.g. %q (%s), %q (%s)", len(words), shortest, longest,
		ds.Examples[0].Text, ds.Classes[ds.Examples[0].Label], ds.Examples[1].Text, ds.Classes[ds.Examples[1].Label])
	if shortest < 5 || longest > 20 || len(words) < 100 || len(words) > 300 {
		t.Errorf("%d words, lengths %d..%d: want 100..300 words and 5..20 tokens", len(words), shortest, longest)
	}
}

func TestBuiltinDeterministic(t *testing.T) {
	if !reflect.DeepEqual(Builtin(500, 1), Builtin(500, 1)) {
		t.Error("same seed, different data")
	}
	if reflect.DeepEqual(Builtin(500, 1), Builtin(500, 2)) {
		t.Error("seeds 1 and 2 give the same data")
	}
	if ds := Builtin(0, 1); len(ds.Examples) != 0 || len(ds.Classes) != 2 {
		t.Errorf("Builtin(0) = %+v", ds)
	}
	if ds := Builtin(-5, 1); len(ds.Examples) != 0 {
		t.Errorf("Builtin(-5) has %d examples", len(ds.Examples))
	}
}

// TestBuiltinDefeatsBagOfWords trains multinomial naive Bayes, which sees
// word counts only, on a built-in training split and checks that it cannot
// do much better than chance on the held-out part.
func TestBuiltinDefeatsBagOfWords(t *testing.T) {
	train, val, err := Split(Builtin(6000, 11), 0.25, 11)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := NewTokenizer("basic_english")
	model := trainNaiveBayes(train, tok)
	trainAcc, valAcc := model.accuracy(train, tok), model.accuracy(val, tok)
	t.Logf("naive Bayes on bag of words: train accuracy %.3f, held-out accuracy %.3f (%d/%d examples)",
		trainAcc, valAcc, len(train.Examples), len(val.Examples))
	const ceiling = 0.65
	if valAcc > ceiling {
		t.Errorf("bag of words reaches %.3f on held-out data, want <= %.2f: word order must decide the label", valAcc, ceiling)
	}
}

// naiveBayes is a multinomial naive Bayes text classifier with add-one
// smoothing.
type naiveBayes struct {
	logPrior []float64            // [C]
	logProb  []map[string]float64 // [C] log P(word | class)
	logOOV   []float64            // [C] log P(unseen word | class)
}

func trainNaiveBayes(ds *Dataset, tok Tokenizer) *naiveBayes {
	classes := len(ds.Classes)
	counts := make([]map[string]int, classes)
	totals := make([]int, classes)
	vocabulary := make(map[string]bool)
	for c := range counts {
		counts[c] = make(map[string]int)
	}
	for _, ex := range ds.Examples {
		for _, word := range tok.Tokenize(ex.Text) {
			counts[ex.Label][word]++
			totals[ex.Label]++
			vocabulary[word] = true
		}
	}
	model := &naiveBayes{logPrior: make([]float64, classes), logProb: make([]map[string]float64, classes), logOOV: make([]float64, classes)}
	for c, n := range ds.ClassCounts() {
		model.logPrior[c] = math.Log(float64(n) / float64(len(ds.Examples)))
		denominator := float64(totals[c] + len(vocabulary) + 1)
		model.logProb[c] = make(map[string]float64, len(vocabulary))
		for word := range vocabulary {
			model.logProb[c][word] = math.Log(float64(counts[c][word]+1) / denominator)
		}
		model.logOOV[c] = math.Log(1 / denominator)
	}
	return model
}

func (m *naiveBayes) predict(tokens []string) int {
	best, bestScore := 0, math.Inf(-1)
	for c, prior := range m.logPrior {
		score := prior
		for _, word := range tokens {
			if p, ok := m.logProb[c][word]; ok {
				score += p
			} else {
				score += m.logOOV[c]
			}
		}
		if score > bestScore {
			best, bestScore = c, score
		}
	}
	return best
}

func (m *naiveBayes) accuracy(ds *Dataset, tok Tokenizer) float64 {
	correct := 0
	for _, ex := range ds.Examples {
		if m.predict(tok.Tokenize(ex.Text)) == ex.Label {
			correct++
		}
	}
	return float64(correct) / float64(len(ds.Examples))
}
