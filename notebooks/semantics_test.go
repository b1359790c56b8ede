package notebooks_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// testNotebook returns a notebook of the given code cells with the right
// metadata.
func testNotebook(t *testing.T, cells ...string) *notebook {
	t.Helper()
	type jsonCell struct {
		CellType string   `json:"cell_type"`
		Source   []string `json:"source"`
	}
	doc := map[string]any{
		"nbformat": 4,
		"metadata": map[string]any{
			"kernelspec":    map[string]string{"name": "gophernotes", "display_name": "Go", "language": "go"},
			"language_info": map[string]string{"name": "go"},
		},
	}
	var cs []jsonCell
	for _, c := range cells {
		cs = append(cs, jsonCell{"code", []string{c}})
	}
	doc["cells"] = cs
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var nb notebook
	if err := json.Unmarshal(data, &nb); err != nil {
		t.Fatal(err)
	}
	return &nb
}

// TestConvertSemantics runs a notebook through the converter and checks
// what it prints against what the kernel shows for the same cells.
func TestConvertSemantics(t *testing.T) {
	t.Parallel()
	mod := thisModule(t)
	dir, _ := os.Getwd()
	nb := testNotebook(t,
		"import (\n\t\"fmt\"\n\t\"image\"\n\t\"errors\"\n\t_ \"./deps\"\n)",
		// a bare value is shown
		"x := 2\nx * 3",
		// a call without a result shows nothing; a function sees its arguments
		"func show(v int) { fmt.Println(\"show\", v) }\nshow(x)",
		// nil values show nothing, several values are joined by spaces
		"var e error\ne",
		"func pair() (int, string) { return 1, \"b\" }\npair()",
		"func fails() error { return errors.New(\"boom\") }\nfails()",
		// fmt.Println's own results, as the kernel shows them
		"fmt.Println(\"hi\")",
		// types and methods at package level, statements in order
		// (the kernel interprets a notebook type's methods: fmt does not see them)
		"type point struct{ X, Y int }\nfunc (p point) String() string { return fmt.Sprintf(\"(%d, %d)\", p.X, p.Y) }\np := point{1, 2}; p",
		"&p",
		"p.String()",
		// an image is shown as a PNG
		"image.NewRGBA(image.Rect(0, 0, 2, 3))",
		// an unused variable is fine, and ends with a statement
		"unused := 1\nx = 4",
		// an if statement with an initialiser (its semicolon is no cut)
		"if n, err := fmt.Sscan(\"5\", &x); err == nil && n == 1 {\n\tx++\n}\nx",
		// closures
		"f := func() { fmt.Println(\"literal\", x) }\nf()",
	)
	out, err := runNotebook(mod, dir, "semantics.ipynb", nb, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"6",
		"show 2",
		"1 b",
		"boom",
		"hi",
		"3 <nil>",
		"{1 2}",
		"&{1 2}",
		"(1, 2)",
		"[image/png 2x3]",
		"6",
		"literal 6",
		"",
	}, "\n")
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
}

// TestConvertRejects checks that the converter refuses what the kernel
// cannot run.
func TestConvertRejects(t *testing.T) {
	t.Parallel()
	mod := thisModule(t)
	dir, _ := os.Getwd()
	tests := []struct {
		name  string
		cells []string
		want  string
	}{
		{"generic function", []string{"func first[T any](s []T) T { return s[0] }"}, "generic function first"},
		{"generic type", []string{"type box[T any] struct{ v T }"}, "generic type box"},
		{"explicit instantiation", []string{"import \"slices\"", "slices.Max[[]int]([]int{1, 2})"}, "Max[[]int, int]"},
		{"inferred instantiation", []string{"import \"slices\"", "s := []int{2, 1}\nslices.Sort(s)"}, "Sort[[]int, int]"},
		{"generic type of a package", []string{"import \"sync/atomic\"", "var p atomic.Pointer[int]\np.Load()"}, "atomic.Pointer"},
		{"cgo", []string{"import \"C\""}, `import "C"`},
		{"function literal statement", []string{"func() {}()"}, "assign the function literal"},
		{"outside the module", []string{"import \"../../elsewhere\""}, "outside module"},
		{"compile error", []string{"y := undefinedName"}, "undefinedName"},
		{"runtime error", []string{"panic(\"stop\")"}, "stop"},
	}
	for _, tt := range tests {
		tt := tt
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := runNotebook(mod, dir, "bad.ipynb", testNotebook(t, tt.cells...), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestKernelspec checks that notebooks for another kernel are refused.
func TestKernelspec(t *testing.T) {
	tests := []struct {
		name, metadata, want string
	}{
		{"python", `{"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}, "language_info": {"name": "python"}}`, "kernelspec"},
		{"no kernelspec", `{"language_info": {"name": "go"}}`, "kernelspec"},
		{"other display name", `{"kernelspec": {"name": "gophernotes", "display_name": "Golang", "language": "go"}, "language_info": {"name": "go"}}`, "kernelspec"},
		{"no language_info", `{"kernelspec": {"name": "gophernotes", "display_name": "Go", "language": "go"}}`, "language_info"},
		{"right", `{"kernelspec": {"name": "gophernotes", "display_name": "Go", "language": "go"}, "language_info": {"name": "go"}}`, ""},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := dir + "/nb.ipynb"
			doc := `{"nbformat": 4, "nbformat_minor": 5, "cells": [], "metadata": ` + tt.metadata + `}`
			if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := readNotebook(path)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("readNotebook: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("readNotebook: error %v, want one about %s", err, tt.want)
			}
		})
	}
}
