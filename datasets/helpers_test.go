package datasets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFile writes content to name under dir and returns the path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// exampleTexts returns the texts of ds.
func exampleTexts(ds *Dataset) []string {
	texts := make([]string, len(ds.Examples))
	for i, ex := range ds.Examples {
		texts[i] = ex.Text
	}
	return texts
}

// wantError fails t unless err is non-nil and its message contains every
// part.
func wantError(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", parts)
	}
	for _, part := range parts {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not contain %q", err, part)
		}
	}
}

// realAGNewsTest returns the path of the shared AG News test.csv or skips t.
func realAGNewsTest(t testing.TB) string {
	t.Helper()
	dir, ok := AGNewsDir()
	path := filepath.Join(dir, "test.csv")
	if _, err := os.Stat(path); !ok || err != nil {
		t.Skipf("AG News not found at %s: skipping", path)
	}
	return path
}

// loadCase is a file that Load reads without error and what it must give.
type loadCase struct {
	name    string
	content string
	opts    LoadOptions
	texts   []string
	labels  []int
	lines   []int
	classes []string
}

// testLoad runs each case as a subtest, the content in a file called name.
func testLoad(t *testing.T, name string, cases []loadCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ds, err := Load(writeFile(t, t.TempDir(), name, c.content), c.opts)
			if err != nil {
				t.Fatal(err)
			}
			checkDataset(t, ds, c.texts, c.labels, c.lines, c.classes)
		})
	}
}
