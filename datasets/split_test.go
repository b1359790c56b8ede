package datasets

import (
	"reflect"
	"testing"
)

func TestSplitStratified(t *testing.T) {
	ds := &Dataset{Path: "p", Classes: []string{"a", "b", "c"}}
	for i := 0; i < 100; i++ { // 50 a, 30 b, 20 c
		label := 0
		if i >= 50 {
			label = 1
		}
		if i >= 80 {
			label = 2
		}
		ds.Examples = append(ds.Examples, Example{Text: "t", Label: label, Line: i + 1})
	}
	train, val, err := Split(ds, 0.2, 7)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := val.ClassCounts(), []int{10, 6, 4}; !reflect.DeepEqual(got, want) {
		t.Errorf("validation counts %v, want %v", got, want)
	}
	if got, want := train.ClassCounts(), []int{40, 24, 16}; !reflect.DeepEqual(got, want) {
		t.Errorf("training counts %v, want %v", got, want)
	}
	seen := make(map[int]int)
	for _, part := range []*Dataset{train, val} {
		last := 0
		for _, ex := range part.Examples {
			seen[ex.Line]++
			if ex.Line <= last {
				t.Errorf("examples not in source order: line %d after %d", ex.Line, last)
			}
			last = ex.Line
		}
	}
	if len(seen) != 100 {
		t.Errorf("%d distinct examples in the parts, want 100", len(seen))
	}

	train2, val2, _ := Split(ds, 0.2, 7)
	if !reflect.DeepEqual(train, train2) || !reflect.DeepEqual(val, val2) {
		t.Error("same seed, different split")
	}
	_, val3, _ := Split(ds, 0.2, 8)
	if reflect.DeepEqual(val, val3) {
		t.Error("seeds 7 and 8 give the same split")
	}
}

func TestSplitErrors(t *testing.T) {
	ds := &Dataset{Path: "p", Classes: []string{"a", "b"}, Examples: []Example{
		{Label: 0}, {Label: 0}, {Label: 0}, {Label: 1}, {Label: 1},
	}}
	tests := []struct {
		name     string
		ds       *Dataset
		fraction float64
		want     string
	}{
		{"fraction 0", ds, 0, "validation fraction 0, want 0 < f < 1"},
		{"fraction 1", ds, 1, "want 0 < f < 1"},
		{"fraction NaN", ds, nanFloat(), "want 0 < f < 1"},
		{"class would have no validation example", ds, 0.1, `class "a" has 3 examples, too few for a validation fraction of 0.1`},
		{"class would have no training example", ds, 0.9, `class "a" has 3 examples`},
		{"empty class", &Dataset{Path: "p", Classes: []string{"a", "b"}, Examples: []Example{{Label: 0}, {Label: 0}}}, 0.5, `class "b" has 0 examples`},
		{"bad label", &Dataset{Path: "p", Classes: []string{"a"}, Examples: []Example{{Label: 2, Line: 4}}}, 0.5, "p:4: label 2 is not a class index"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Split(tt.ds, tt.fraction, 1)
			wantError(t, err, tt.want)
		})
	}
}

func nanFloat() float64 {
	zero := 0.0
	return zero / zero
}
