package datasets

import (
	"slices"
	"strings"
	"testing"
)

func TestLoadCSV(t *testing.T) {
	testLoad(t, "data.csv", []loadCase{
		{
			name:    "string labels sorted",
			content: "text,label\nfine day,pos\nawful day,neg\nok,pos\n",
			texts:   []string{"fine day", "awful day", "ok"}, labels: []int{1, 0, 1}, lines: []int{2, 3, 4},
			classes: []string{"neg", "pos"},
		},
		{
			name:    "quoting: commas, doubled quotes, line breaks",
			content: "label,text\na,\"x, y\"\nb,\"say \"\"hi\"\"\"\na,\"two\nlines\"\nb,after\n",
			texts:   []string{"x, y", `say "hi"`, "two\nlines", "after"}, labels: []int{0, 1, 0, 1}, lines: []int{2, 3, 4, 6},
			classes: []string{"a", "b"},
		},
		{
			name:    "CRLF and BOM",
			content: "\ufefflabel,text\r\na,one\r\nb,\"two\r\nlines\"\r\n",
			texts:   []string{"one", "two\nlines"}, labels: []int{0, 1}, lines: []int{2, 3},
			classes: []string{"a", "b"},
		},
		{
			name:    "1-based integer labels kept",
			content: "label,text\n2,b\n1,a\n3,c\n",
			texts:   []string{"b", "a", "c"}, labels: []int{1, 0, 2}, lines: []int{2, 3, 4},
			classes: []string{"1", "2", "3"},
		},
		{
			name:    "0-based integer labels kept",
			content: "label,text\n1,b\n0,a\n",
			texts:   []string{"b", "a"}, labels: []int{1, 0}, lines: []int{2, 3},
			classes: []string{"0", "1"},
		},
		{
			name:    "integer labels sorted numerically",
			content: "label,text\n10,a\n9,b\n+9,c\n",
			texts:   []string{"a", "b", "c"}, labels: []int{1, 0, 0}, lines: []int{2, 3, 4},
			classes: []string{"9", "10"},
		},
		{
			name:    "several text columns by name",
			content: "id,title,body,label\n1,Hi,there,x\n2,Bye,now,y\n",
			opts:    LoadOptions{TextCols: []string{"title", "body"}},
			texts:   []string{"Hi there", "Bye now"}, labels: []int{0, 1}, lines: []int{2, 3},
			classes: []string{"x", "y"},
		},
		{
			name:    "columns by index with header",
			content: "c0,c1\nyes,some text\nno,other\n",
			opts:    LoadOptions{LabelCol: "0", TextCols: []string{"1"}},
			texts:   []string{"some text", "other"}, labels: []int{1, 0}, lines: []int{2, 3},
			classes: []string{"no", "yes"},
		},
		{
			name:    "no header",
			content: "some text,yes\nother,no\n",
			opts:    LoadOptions{NoHeader: true, LabelCol: "1", TextCols: []string{"0"}},
			texts:   []string{"some text", "other"}, labels: []int{1, 0}, lines: []int{1, 2},
			classes: []string{"no", "yes"},
		},
		{
			name:    "given classes fix the order",
			content: "label,text\npos,a\nneg,b\n",
			opts:    LoadOptions{Classes: []string{"pos", "neg", "neutral"}},
			texts:   []string{"a", "b"}, labels: []int{0, 1}, lines: []int{2, 3},
			classes: []string{"pos", "neg", "neutral"},
		},
		{
			name:    "blank lines are not rows; label spaces trimmed",
			content: "label,text\n\n a ,x\n\nb,y\n",
			texts:   []string{"x", "y"}, labels: []int{0, 1}, lines: []int{3, 5},
			classes: []string{"a", "b"},
		},
	})
}

// checkDataset compares ds with the wanted texts, labels, lines and classes.
func checkDataset(t *testing.T, ds *Dataset, texts []string, labels, lines []int, classes []string) {
	t.Helper()
	var gotLabels, gotLines []int
	for _, ex := range ds.Examples {
		gotLabels = append(gotLabels, ex.Label)
		gotLines = append(gotLines, ex.Line)
	}
	if got := exampleTexts(ds); !slices.Equal(got, texts) {
		t.Errorf("texts %q, want %q", got, texts)
	}
	if !slices.Equal(gotLabels, labels) {
		t.Errorf("labels %v, want %v", gotLabels, labels)
	}
	if !slices.Equal(gotLines, lines) {
		t.Errorf("lines %v, want %v", gotLines, lines)
	}
	if !slices.Equal(ds.Classes, classes) {
		t.Errorf("classes %q, want %q", ds.Classes, classes)
	}
}

func TestLoadTSV(t *testing.T) {
	content := "\ufeffsentence\tlabel\r\nit 's a \"charming\" film\t1\r\n\r\nflat, dull\t0\r\nlast\t1"
	ds, err := Load(writeFile(t, t.TempDir(), "data.tsv", content), LoadOptions{TextCols: []string{"sentence"}})
	if err != nil {
		t.Fatal(err)
	}
	checkDataset(t, ds, []string{`it 's a "charming" film`, "flat, dull", "last"}, []int{1, 0, 1}, []int{2, 4, 5}, []string{"0", "1"})
}

func TestLoadDelimitedBadRows(t *testing.T) {
	tests := []struct {
		name, file, content string
		opts                LoadOptions
		want                string
	}{
		{"field count", "d.csv", "label,text\na,x\nb\n", LoadOptions{}, "d.csv:3: got 1 fields, want 2 (label,text)"},
		{"empty label", "d.csv", "label,text\na,x\n ,y\n", LoadOptions{}, `d.csv:3: field "label": empty label`},
		{"empty text", "d.csv", "label,text\na,x\nb,\"  \"\n", LoadOptions{}, `d.csv:3: field "text": empty text`},
		{"invalid UTF-8 text", "d.csv", "label,text\na,x\nb,\xc3\x28\n", LoadOptions{}, `d.csv:3: field "text": invalid UTF-8`},
		{"invalid UTF-8 label", "d.csv", "label,text\na,x\n\xff,y\n", LoadOptions{}, `d.csv:3: field "label": invalid UTF-8`},
		{"label not in given classes", "d.csv", "label,text\na,x\nc,y\n", LoadOptions{Classes: []string{"a", "b"}},
			`d.csv:3: field "label": "c" is not a class (want one of a, b)`},
		{"multiline row keeps its start line", "d.csv", "label,text\na,\"x\ny\"\nb\n", LoadOptions{}, "d.csv:4: got 1 fields"},
		{"bare quote", "d.csv", "label,text\na,x\"y\n", LoadOptions{}, `d.csv:2: malformed CSV at column 4: bare " in non-quoted-field`},
		{"unclosed quote spans lines", "d.csv", "label,text\na,\"x\nb,y\n", LoadOptions{}, "d.csv:2: malformed CSV at line 3, column 5 (row spans lines 2-3)"},
		{"overlong line", "d.csv", "label,text\na," + strings.Repeat("y", 30) + "\n", LoadOptions{MaxLineBytes: 20}, "d.csv:2: line 2 is longer than 20 bytes"},
		{"overlong line in a multiline row", "d.csv", "label,text\na,\"x\n" + strings.Repeat("y", 30) + "\"\n", LoadOptions{MaxLineBytes: 20}, "d.csv:2: line 3 is longer than 20 bytes"},
		{"tsv field count", "d.tsv", "label\ttext\na\tx\ty\n", LoadOptions{}, "d.tsv:2: got 3 fields, want 2"},
		{"tsv overlong line", "d.tsv", "label\ttext\na\t" + strings.Repeat("y", 30) + "\n", LoadOptions{MaxLineBytes: 20}, "d.tsv:2: line 2 is longer than 20 bytes"},
		{"headerless field count from first row", "d.csv", "x,a\ny\n", LoadOptions{NoHeader: true, LabelCol: "1", TextCols: []string{"0"}},
			`d.csv:2: got 1 fields, want 2 (column 0,column 1)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeFile(t, t.TempDir(), tt.file, tt.content), tt.opts)
			wantError(t, err, tt.want)
		})
	}
}

func TestLoadDelimitedFileErrors(t *testing.T) {
	tests := []struct {
		name, content string
		opts          LoadOptions
		want          string
	}{
		{"empty file", "", LoadOptions{}, "d.csv: empty file"},
		{"header only", "label,text\n", LoadOptions{}, "d.csv: no examples (0 rows skipped)"},
		{"missing column", "label,body\na,x\n", LoadOptions{}, `d.csv: column "text" is not in the header (label,body) and is not an index below 2`},
		{"index out of range", "a,b\n", LoadOptions{NoHeader: true, LabelCol: "0", TextCols: []string{"5"}}, `column "5": want a 0-based index below 2 (the file has no header)`},
		{"name without header", "a,b\n", LoadOptions{NoHeader: true}, `column "label": want a 0-based index`},
		{"label is text", "label,text\na,b\n", LoadOptions{TextCols: []string{"label"}}, `column "label" is both the label and a text column`},
		{"malformed header", "label,\"text\n", LoadOptions{}, "d.csv:1: malformed CSV"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.Format = FormatCSV
			_, err := Load(writeFile(t, t.TempDir(), "d.csv", tt.content), opts)
			wantError(t, err, tt.want)
		})
	}
}

func TestLoadDelimitedLenient(t *testing.T) {
	content := "label,text\n" +
		"a,one\n" +
		"b\n" +
		"c,\n" +
		"a,\"multi\nline\"\n" +
		"b,x\"y\n" +
		"b,two\n"
	ds, err := Load(writeFile(t, t.TempDir(), "d.csv", content), LoadOptions{Lenient: true, Classes: []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	checkDataset(t, ds, []string{"one", "multi\nline", "two"}, []int{0, 0, 1}, []int{2, 5, 8}, []string{"a", "b"})
	var lines []int
	for _, row := range ds.Skipped {
		lines = append(lines, row.Line)
	}
	if !slices.Equal(lines, []int{3, 4, 7}) {
		t.Errorf("skipped lines %v (%+v), want [3 4 7]", lines, ds.Skipped)
	}
	if total := len(ds.Examples) + len(ds.Skipped); total != 6 {
		t.Errorf("%d rows accounted for, want 6", total)
	}
}
