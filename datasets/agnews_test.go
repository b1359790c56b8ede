package datasets

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// agNewsOriginal is the original form: no header, every field quoted.
const agNewsOriginal = `"3","Oil Up #36;2","Prices rose\again on Monday."
"1","Talks Resume","Envoys met, as planned, in ""the capital""."
"4","Chip &lt;X&gt; Ships","A new chip#151;faster."
"2","Cup Final","Fans #39;cheered#39;."
`

// agNewsHeader is the header form of the shared test.csv: minimal quoting,
// CRLF line ends.
const agNewsHeader = "label,title,description\r\n" +
	"3,Oil Up #36;2,Prices rose\\again on Monday.\r\n" +
	"1,Talks Resume,\"Envoys met, as planned, in \"\"the capital\"\".\"\r\n" +
	"4,Chip &lt;X&gt; Ships,A new chip#151;faster.\r\n" +
	"2,Cup Final,Fans #39;cheered#39;.\r\n"

func TestLoadAGNewsBothForms(t *testing.T) {
	wantTexts := []string{
		"Oil Up $2 Prices rose again on Monday.",
		`Talks Resume Envoys met, as planned, in "the capital".`,
		"Chip <X> Ships A new chip—faster.",
		"Cup Final Fans 'cheered'.",
	}
	wantLabels := []int{2, 0, 3, 1}
	tests := []struct {
		name, content string
		firstLine     int
	}{
		{"original", agNewsOriginal, 1},
		{"header", agNewsHeader, 2},
		{"header with BOM", "\ufeff" + agNewsHeader, 2},
		{"original with LF and no final newline", strings.TrimSuffix(agNewsOriginal, "\n"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, t.TempDir(), "news.csv", tt.content)
			ds, err := Load(path, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := exampleTexts(ds); !slices.Equal(got, wantTexts) {
				t.Errorf("texts\n%q\nwant\n%q", got, wantTexts)
			}
			for i, ex := range ds.Examples {
				if ex.Label != wantLabels[i] || ex.Line != tt.firstLine+i {
					t.Errorf("example %d: label %d line %d, want %d and %d", i, ex.Label, ex.Line, wantLabels[i], tt.firstLine+i)
				}
			}
			if !slices.Equal(ds.Classes, []string{"World", "Sports", "Business", "Sci/Tech"}) {
				t.Errorf("classes %q", ds.Classes)
			}
		})
	}
}

func TestLoadAGNewsTitlesOnly(t *testing.T) {
	path := writeFile(t, t.TempDir(), "news.csv", agNewsOriginal)
	ds, err := Load(path, LoadOptions{TitlesOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Oil Up $2", "Talks Resume", "Chip <X> Ships", "Cup Final"}
	if got := exampleTexts(ds); !slices.Equal(got, want) {
		t.Errorf("texts %q, want %q", got, want)
	}
}

func TestLoadAGNewsMultilineField(t *testing.T) {
	content := "\"1\",\"A\",\"two\nlines\"\r\n\"2\",\"B\",\"three\r\nmore\r\nlines\"\r\n\"3\",\"C\",\"one\"\r\n"
	ds, err := Load(writeFile(t, t.TempDir(), "news.csv", content), LoadOptions{Format: FormatAGNews})
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, ex := range ds.Examples {
		lines = append(lines, ex.Line)
	}
	if !slices.Equal(lines, []int{1, 3, 6}) {
		t.Errorf("lines %v, want [1 3 6]", lines)
	}
	if ds.Examples[1].Text != "B three\nmore\nlines" {
		t.Errorf("text %q", ds.Examples[1].Text)
	}
}

func TestLoadAGNewsBadRows(t *testing.T) {
	tests := []struct {
		name, row string
		want      string
	}{
		{"label out of range", `"7","t","d"`, `news.csv:2: field "label": "7" is not a class (want 1..4)`},
		{"label zero", `"0","t","d"`, `news.csv:2: field "label": "0" is not a class (want 1..4)`},
		{"label not an integer", `"x","t","d"`, `news.csv:2: field "label": "x" is not an integer (want 1..4)`},
		{"empty label", `"","t","d"`, `news.csv:2: field "label": empty label`},
		{"too few fields", `"1","t"`, `news.csv:2: got 2 fields, want 3 (label,title,description)`},
		{"too many fields", `"1","t","d","e"`, `news.csv:2: got 4 fields, want 3`},
		{"empty text", `"1",""," \ "`, `news.csv:2: field "title+description": empty text`},
		{"invalid UTF-8", "\"1\",\"t\xff\",\"d\"", `news.csv:2: field "title": invalid UTF-8`},
		{"bare quote", `"1",t"x,"d"`, `news.csv:2: malformed CSV at column`},
		{"unclosed quote", `"1","t,"d`, `news.csv:2: malformed CSV`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			content := `"1","good","row"` + "\n" + tt.row + "\n" + `"2","good","row"` + "\n"
			_, err := Load(writeFile(t, t.TempDir(), "news.csv", content), LoadOptions{Format: FormatAGNews})
			wantError(t, err, tt.want)
			var rowErr *RowError
			if !errors.As(err, &rowErr) || rowErr.Line != 2 {
				t.Errorf("error %v is not a *RowError of line 2", err)
			}
		})
	}
}

func TestLoadAGNewsLenient(t *testing.T) {
	content := "label,title,description\n" +
		"1,a,b\n" +
		"9,bad,label\n" +
		"2,c,d\n" +
		"3,too,many,fields\n" +
		"4,e,f\n"
	ds, err := Load(writeFile(t, t.TempDir(), "news.csv", content), LoadOptions{Lenient: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Examples) != 3 {
		t.Errorf("%d examples, want 3", len(ds.Examples))
	}
	want := []SkippedRow{
		{Line: 3, Reason: `field "label": "9" is not a class (want 1..4)`},
		{Line: 5, Reason: "got 4 fields, want 3 (label,title,description)"},
	}
	if !slices.Equal(ds.Skipped, want) {
		t.Errorf("skipped %+v, want %+v", ds.Skipped, want)
	}
}

func TestLoadAGNewsOverlongLine(t *testing.T) {
	long := strings.Repeat("x", 100)
	content := "\"1\",\"a\",\"b\"\n" +
		"\"2\",\"" + long + "\",\"c\"\n" +
		"\"3\",\"quote \"\"" + long + "\"\" cut\",\"c\"\n" +
		"\"4\",\"d\",\"e\"\n"
	path := writeFile(t, t.TempDir(), "news.csv", content)
	_, err := Load(path, LoadOptions{Format: FormatAGNews, MaxLineBytes: 50})
	wantError(t, err, "news.csv:2: line 2 is longer than 50 bytes (MaxLineBytes)")

	ds, err := Load(path, LoadOptions{Format: FormatAGNews, MaxLineBytes: 50, Lenient: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := exampleTexts(ds); !slices.Equal(got, []string{"a b", "d e"}) {
		t.Errorf("texts %q", got)
	}
	if len(ds.Skipped) != 2 || ds.Skipped[0].Line != 2 || ds.Skipped[1].Line != 3 {
		t.Errorf("skipped %v", ds.Skipped)
	}
}

func TestCleanAGNewsText(t *testing.T) {
	tests := []struct{ in, want string }{
		{`a\b`, "a b"},
		{`a\\b`, "a  b"},
		{"#36;10", "$10"},
		{"it#39;s", "it's"},
		{"&#39;&#x41;&#X42;", "'AB"},
		{"#038; &amp; &lt;&gt; &quot;q&quot; &apos; &nbsp;", "& & <> \"q\" ' \u00a0"},
		{"#145;a#146; #147;b#148; #151; #8212;", "‘a’ “b” — —"},
		{"#129; #157;", "\u0081 \u009d"},
		{"&amp;lt;", "&lt;"},
		{"#; #x; &#; &#xZZ; &bogus; & # #36 #0; #99999999; #55296;", "#; #x; &#; &#xZZ; &bogus; & # #36 #0; #99999999; #55296;"},
		{"plain text", "plain text"},
	}
	for _, tt := range tests {
		if got := cleanAGNewsText(tt.in); got != tt.want {
			t.Errorf("cleanAGNewsText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
