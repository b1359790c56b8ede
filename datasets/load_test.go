package datasets

import (
	"testing"
)

func TestDetectFormat(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, file, content string
		opts                LoadOptions
		want                Format
	}{
		{"AG News header", "a.csv", "label,title,description\n1,t,d\n", LoadOptions{}, FormatAGNews},
		{"AG News original", "b.csv", "\"3\",\"t\",\"d\"\n", LoadOptions{}, FormatAGNews},
		{"AG News with BOM", "c.csv", "\ufeff\"4\",\"t\",\"d\"\n", LoadOptions{}, FormatAGNews},
		{"label 5 is not AG News", "d.csv", "\"5\",\"t\",\"d\"\n", LoadOptions{}, FormatCSV},
		{"two columns", "e.csv", "label,text\n1,x\n", LoadOptions{}, FormatCSV},
		{"columns chosen", "f.csv", "label,title,description\n1,t,d\n", LoadOptions{TextCols: []string{"title"}}, FormatCSV},
		{"no header", "g.csv", "\"3\",\"t\",\"d\"\n", LoadOptions{NoHeader: true}, FormatCSV},
		{"malformed first row", "h.csv", "\"3\",\"t\n", LoadOptions{}, FormatCSV},
		{"empty csv", "i.csv", "", LoadOptions{}, FormatCSV},
		{"tsv", "j.TSV", "", LoadOptions{}, FormatTSV},
		{"jsonl", "k.jsonl", "", LoadOptions{}, FormatJSONL},
		{"json", "l.json", "", LoadOptions{}, FormatJSONL},
		{"explicit", "m.txt", "", LoadOptions{Format: FormatTSV}, FormatTSV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, err := tt.opts.withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			got, err := detectFormat(writeFile(t, dir, tt.file, tt.content), opts)
			if err != nil || got != tt.want {
				t.Errorf("detectFormat = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	opts, _ := LoadOptions{}.withDefaults()
	if got, err := detectFormat(dir, opts); got != FormatDir || err != nil {
		t.Errorf("folder: %q, %v", got, err)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	csvPath := writeFile(t, dir, "d.csv", "label,text\na,b\n")
	tests := []struct {
		name, path string
		opts       LoadOptions
		want       []string
	}{
		{"missing file", dir + "/nope.csv", LoadOptions{}, []string{"load", "nope.csv"}},
		{"unknown extension", writeFile(t, dir, "d.txt", "x"), LoadOptions{}, []string{"d.txt", "cannot tell the format", "LoadOptions.Format"}},
		{"unknown format", csvPath, LoadOptions{Format: "xml"}, []string{`unknown format "xml"`}},
		{"negative MaxLineBytes", csvPath, LoadOptions{MaxLineBytes: -1}, []string{"MaxLineBytes is -1"}},
		{"empty text column", csvPath, LoadOptions{TextCols: []string{" "}}, []string{"TextCols holds an empty column name"}},
		{"duplicate classes", csvPath, LoadOptions{Classes: []string{"a", "a"}}, []string{"Classes must be distinct"}},
		{"dir format on a file", csvPath, LoadOptions{Format: FormatDir}, []string{"d.csv"}},
		{"all rows skipped", writeFile(t, dir, "bad.csv", "label,text\na\nb\n"), LoadOptions{Lenient: true}, []string{"bad.csv: no examples (2 rows skipped)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, err := Load(tt.path, tt.opts)
			if ds != nil {
				t.Errorf("got a dataset with the error")
			}
			wantError(t, err, tt.want...)
		})
	}
}

func TestCheckTrainable(t *testing.T) {
	tests := []struct {
		name string
		ds   *Dataset
		want string // "" for no error
	}{
		{"two classes", &Dataset{Path: "p", Classes: []string{"a", "b"}, Examples: []Example{{Label: 0}, {Label: 1}}}, ""},
		{"empty", &Dataset{Path: "p", Classes: []string{"a", "b"}}, "p: no examples to train on"},
		{"one class", &Dataset{Path: "p", Classes: []string{"a", "b"}, Examples: []Example{{Label: 1, Line: 1}, {Label: 1, Line: 2}}},
			`p: all 2 examples are of class "b"; training needs at least two classes`},
		{"label out of range", &Dataset{Path: "p", Classes: []string{"a"}, Examples: []Example{{Label: 3, Line: 7}}},
			"p:7: label 3 is not a class index (have 1 classes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.ds.CheckTrainable()
			if tt.want == "" {
				if err != nil {
					t.Errorf("got %v", err)
				}
				return
			}
			wantError(t, err, tt.want)
		})
	}
}

func TestSlice(t *testing.T) {
	ds := Builtin(10, 1)
	part, err := ds.Slice(2, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(part.Examples) != 3 || part.Examples[0] != ds.Examples[2] || part.Path != ds.Path {
		t.Errorf("Slice(2, 5) = %+v", part)
	}
	for _, bad := range [][2]int{{-1, 2}, {3, 2}, {0, 11}} {
		_, err := ds.Slice(bad[0], bad[1])
		wantError(t, err, "out of range for 10 examples")
	}
}
