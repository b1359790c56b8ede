package notebooks_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gornn/gornn/datasets"
)

// The size knobs every notebook reads, and the values the test runs them
// with: a few hundred rows (of AG News, or of the built-in dataset when
// AG News is absent) and one epoch.
const (
	rowsEnv    = "GORNN_NOTEBOOK_ROWS"
	epochsEnv  = "GORNN_NOTEBOOK_EPOCHS"
	testRows   = "300"
	testEpochs = "1"
)

// The lesson's notebooks, which must exist. Any other .ipynb file here is
// checked and run too.
var lesson = []string{
	"01-rnn-classifier.ipynb",
	"02-lstm-packed.ipynb",
	"03-bidirectional-multilayer.ipynb",
	"04-inference-and-interop.ipynb",
}

// runTimeout bounds one notebook's program.
const runTimeout = 5 * time.Minute

// TestNotebooks runs every notebook of this folder as a Go program with the
// gophernotes kernel's semantics (see convert_test.go), at the test's
// sizes, and fails on a wrong kernelspec, a notebook not saved from a
// complete run, code the kernel cannot run, a compile error or a runtime
// error (a failed check panics, as in the kernel).
func TestNotebooks(t *testing.T) {
	mod := thisModule(t)
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	names, err := filepath.Glob("*.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, name := range names {
		have[name] = true
	}
	for _, name := range lesson {
		if !have[name] {
			t.Errorf("notebook %s is missing", name)
		}
	}
	// The data each notebook runs on: AG News where it is, and always the
	// built-in dataset, which a clean clone has.
	type data struct {
		name string
		env  []string
	}
	datas := []data{{"builtin", []string{"GORNN_AG_NEWS=" + filepath.Join(t.TempDir(), "absent")}}}
	if _, ok := datasets.AGNewsDir(); ok {
		datas = append(datas, data{"ag_news", nil})
	}
	for _, name := range names {
		name := name
		t.Run(strings.TrimSuffix(name, ".ipynb"), func(t *testing.T) {
			t.Parallel()
			nb, err := readNotebook(name)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkSaved(name, nb); err != nil {
				t.Error(err)
			}
			for _, d := range datas {
				d := d
				t.Run(d.name, func(t *testing.T) {
					t.Parallel()
					env := append([]string{rowsEnv + "=" + testRows, epochsEnv + "=" + testEpochs}, d.env...)
					out, err := runNotebook(mod, dir, name, nb, env)
					if err != nil {
						t.Fatal(err)
					}
					t.Logf("%s output:\n%s", name, out)
				})
			}
		})
	}
}

// checkSaved checks that the notebook was saved from one run top to
// bottom: every code cell executed, in order, none of them failed.
func checkSaved(name string, nb *notebook) error {
	var problems []string
	n := 0
	for i, c := range nb.Cells {
		if c.CellType != "code" {
			continue
		}
		n++
		if c.ExecutionCount == nil || *c.ExecutionCount != n {
			problems = append(problems, fmt.Sprintf("cell %d: execution_count %s, want %d", i+1, count(c.ExecutionCount), n))
		}
		for _, o := range c.Outputs {
			if o.OutputType == "error" {
				problems = append(problems, fmt.Sprintf("cell %d: saved error %s: %s", i+1, o.EName, o.EValue))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s was not saved from a complete run top to bottom (run it with the gophernotes kernel, see README.md):\n\t%s",
			name, strings.Join(problems, "\n\t"))
	}
	return nil
}

func count(n *int) string {
	if n == nil {
		return "null"
	}
	return fmt.Sprint(*n)
}

// runNotebook converts the notebook name (in folder dir), builds it and
// runs it in dir with env added, returning its output.
func runNotebook(mod module, dir, name string, nb *notebook, env []string) (string, error) {
	prog, err := newProgram(name, dir, nb, mod)
	if err != nil {
		return "", err
	}
	ex, err := exports(mod.root, prog.importPaths())
	if err != nil {
		return "", err
	}
	if err := prog.check(ex); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp("", "gornn-notebook-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	bin, err := build(mod, tmp, strings.TrimSuffix(name, ".ipynb"), prog.source())
	if err != nil {
		return "", fmt.Errorf("%s: %v", name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Dir = dir // the kernel runs in the notebook's folder
	// os.TempDir() is tmp, removed afterwards, for what a notebook saves.
	cmd.Env = append(append(os.Environ(), "TMPDIR="+tmp), env...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("still running after %v", runTimeout)
	}
	if err != nil {
		return "", fmt.Errorf("%s: %v\n%s", name, err, tail(out, 60))
	}
	return string(out), nil
}

// build compiles a generated program as package notebooks/_nbprog/<stem>
// of the module, through an overlay: nothing is written to the module's
// folders.
func build(mod module, tmp, stem string, src []byte) (string, error) {
	mainFile := filepath.Join(tmp, "main.go")
	if err := os.WriteFile(mainFile, src, 0o644); err != nil {
		return "", err
	}
	pkgDir := filepath.Join(mod.root, "notebooks", "_nbprog", stem)
	overlay, err := json.Marshal(map[string]map[string]string{"Replace": {filepath.Join(pkgDir, "main.go"): mainFile}})
	if err != nil {
		return "", err
	}
	overlayFile := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(overlayFile, overlay, 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(tmp, "notebook")
	cmd := exec.Command("go", "build", "-overlay", overlayFile, "-o", bin, "./notebooks/_nbprog/"+stem)
	cmd.Dir = mod.root
	if out, err := cmd.CombinedOutput(); err != nil {
		// Keep the program for reading the errors against.
		kept := filepath.Join(os.TempDir(), "gornn-notebook-"+stem+".go")
		os.WriteFile(kept, src, 0o644)
		return "", fmt.Errorf("go build: %v (program kept in %s)\n%s", err, kept, out)
	}
	return bin, nil
}

// thisModule finds the module root above the working directory and its
// module path.
func thisModule(t *testing.T) module {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		f, err := os.Open(filepath.Join(dir, "go.mod"))
		if err == nil {
			lines := bufio.NewScanner(f)
			for lines.Scan() {
				if fields := strings.Fields(lines.Text()); len(fields) == 2 && fields[0] == "module" {
					f.Close()
					return module{root: dir, path: strings.Trim(fields[1], `"`)}
				}
			}
			f.Close()
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// tail returns the last n lines of out.
func tail(out []byte, n int) string {
	lines := bytes.Split(bytes.TrimRight(out, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = append([][]byte{[]byte("...")}, lines[len(lines)-n:]...)
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// TestPyTorchSnippet checks that the PyTorch code notebook 04 shows is the
// script it runs, load_in_pytorch.py.
func TestPyTorchSnippet(t *testing.T) {
	const name, script = "04-inference-and-interop.ipynb", "load_in_pytorch.py"
	nb, err := readNotebook(name)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, c := range nb.Cells {
		text := string(c.Source)
		if c.CellType != "markdown" || !strings.Contains(text, "```python\n") {
			continue
		}
		found++
		_, block, _ := strings.Cut(text, "```python\n")
		block, _, _ = strings.Cut(block, "```")
		if block != string(want) {
			t.Errorf("the python block of %s differs from %s", name, script)
		}
	}
	if found != 1 {
		t.Errorf("%s has %d python blocks, want 1", name, found)
	}
}
