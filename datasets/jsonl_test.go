package datasets

import (
	"strings"
	"testing"
)

func TestLoadJSONL(t *testing.T) {
	testLoad(t, "data.jsonl", []loadCase{
		{
			name:    "string labels",
			content: `{"text": "good", "label": "pos"}` + "\n" + `{"label": "neg", "text": "bad", "extra": [1, 2]}` + "\n",
			texts:   []string{"good", "bad"}, labels: []int{1, 0}, lines: []int{1, 2}, classes: []string{"neg", "pos"},
		},
		{
			name:    "integer labels, BOM, CRLF, blank lines",
			content: "\ufeff{\"text\": \"a\", \"label\": 1}\r\n\r\n{\"text\": \"b\", \"label\": 0}\r\n   \n{\"text\": \"c\\u00e9\\n\", \"label\": 1}",
			texts:   []string{"a", "b", "cé\n"}, labels: []int{1, 0, 1}, lines: []int{1, 3, 5}, classes: []string{"0", "1"},
		},
		{
			name:    "string and integer labels mixed",
			content: `{"text": "a", "label": "2"}` + "\n" + `{"text": "b", "label": 10}` + "\n",
			texts:   []string{"a", "b"}, labels: []int{0, 1}, lines: []int{1, 2}, classes: []string{"2", "10"},
		},
		{
			name:    "configured keys",
			content: `{"title": "Hi", "body": "there", "y": "x"}` + "\n",
			opts:    LoadOptions{LabelCol: "y", TextCols: []string{"title", "body"}},
			texts:   []string{"Hi there"}, labels: []int{0}, lines: []int{1}, classes: []string{"x"},
		},
		{
			name:    "given classes",
			content: `{"text": "a", "label": "neg"}` + "\n",
			opts:    LoadOptions{Classes: []string{"pos", "neg"}},
			texts:   []string{"a"}, labels: []int{1}, lines: []int{1}, classes: []string{"pos", "neg"},
		},
	})
}

func TestLoadJSONLBadRows(t *testing.T) {
	tests := []struct {
		name, row string
		opts      LoadOptions
		want      string
	}{
		{"not JSON", `{"text": "a",`, LoadOptions{}, "d.jsonl:2: invalid JSON: unexpected end of JSON input"},
		{"not an object", `["a", 1]`, LoadOptions{}, `d.jsonl:2: want a JSON object, got "[\"a\", 1]"`},
		{"null", `null`, LoadOptions{}, `d.jsonl:2: want a JSON object, got "null"`},
		{"missing label", `{"text": "a"}`, LoadOptions{}, `d.jsonl:2: field "label": missing`},
		{"missing text", `{"label": "a"}`, LoadOptions{}, `d.jsonl:2: field "text": missing`},
		{"float label", `{"text": "a", "label": 1.5}`, LoadOptions{}, `d.jsonl:2: field "label": want a string or an integer, got "1.5"`},
		{"bool label", `{"text": "a", "label": true}`, LoadOptions{}, `d.jsonl:2: field "label": want a string or an integer, got "true"`},
		{"empty label", `{"text": "a", "label": " "}`, LoadOptions{}, `d.jsonl:2: field "label": empty label`},
		{"number text", `{"text": 3, "label": "a"}`, LoadOptions{}, `d.jsonl:2: field "text": want a string, got "3"`},
		{"null text", `{"text": null, "label": "a"}`, LoadOptions{}, `d.jsonl:2: field "text": want a string, got "null"`},
		{"empty text", `{"text": "\t", "label": "a"}`, LoadOptions{}, `d.jsonl:2: field "text": empty text`},
		{"invalid UTF-8", "{\"text\": \"\xff\", \"label\": \"a\"}", LoadOptions{}, "d.jsonl:2: invalid UTF-8"},
		{"label not a class", `{"text": "x", "label": "c"}`, LoadOptions{Classes: []string{"a"}}, `d.jsonl:2: field "label": "c" is not a class (want one of a)`},
		{"overlong", `{"text": "` + strings.Repeat("x", 60) + `", "label": "a"}`, LoadOptions{MaxLineBytes: 40}, "d.jsonl:2: line 2 is longer than 40 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			content := `{"text": "ok", "label": "a"}` + "\n" + tt.row + "\n"
			_, err := Load(writeFile(t, t.TempDir(), "d.jsonl", content), tt.opts)
			wantError(t, err, tt.want)
			opts := tt.opts
			opts.Lenient = true
			ds, err := Load(writeFile(t, t.TempDir(), "d.jsonl", content), opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(ds.Examples) != 1 || len(ds.Skipped) != 1 || ds.Skipped[0].Line != 2 {
				t.Errorf("lenient: %d examples, skipped %+v; want 1 and line 2", len(ds.Examples), ds.Skipped)
			}
		})
	}
}
