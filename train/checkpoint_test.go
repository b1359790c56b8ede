package train_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gornn/gornn/train"
)

// copyTree copies the folder src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// resealManifest rewrites the manifest of a checkpoint folder to match its
// files, as a writer that lost track of what it combined would.
func resealManifest(t *testing.T, dir string) {
	t.Helper()
	path := filepath.Join(dir, train.ManifestFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for _, f := range m["files"].([]any) {
		entry := f.(map[string]any)
		content, err := os.ReadFile(filepath.Join(dir, entry["name"].(string)))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(content)
		entry["size"], entry["sha256"] = len(content), hex.EncodeToString(sum[:])
	}
	data, _ = json.Marshal(m)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustRename(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCrashStates builds the run directories a crash at each point of an
// epoch's end can leave, by combining the directory after epoch 1 (one)
// and after epoch 2 (two) of a run, and checks that Resume either
// continues to the uninterrupted run's final weights, bit for bit, or
// refuses, saying why.
func TestCrashStates(t *testing.T) {
	data := smallData(t)
	cfg := train.Config{Epochs: 2, BatchSize: 8, Workers: 2, Seed: 4}
	root := t.TempDir()
	one, two := filepath.Join(root, "one"), filepath.Join(root, "two")

	whole := smallModel(t, data, 0.3)
	tr, err := train.New(whole, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(context.Background(), data.Train, nil); err != nil {
		t.Fatal(err)
	}
	first := cfg
	first.Epochs, first.OutDir = 1, one
	if tr, err = train.New(smallModel(t, data, 0.3), first); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(context.Background(), data.Train, nil); err != nil {
		t.Fatal(err)
	}
	copyTree(t, one, two)
	second := cfg
	second.OutDir = two
	if tr, err = train.New(smallModel(t, data, 0.3), second); err != nil {
		t.Fatal(err)
	}
	if err := tr.Resume(two); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(context.Background(), data.Train, nil); err != nil {
		t.Fatal(err)
	}
	mid := filepath.Join(root, "mid") // interrupted in epoch 2
	copyTree(t, one, mid)
	ctx, cancel := context.WithCancel(context.Background())
	second.OutDir = mid
	if tr, err = train.New(&stopper{Classifier: smallModel(t, data, 0.3), n: 5, cancel: cancel}, second); err != nil {
		t.Fatal(err)
	}
	if err := tr.Resume(mid); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(ctx, data.Train, nil); err != train.ErrInterrupted {
		t.Fatalf("Fit: %v, want ErrInterrupted", err)
	}
	metricsOne, err := os.ReadFile(filepath.Join(one, train.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	metricsTwo, err := os.ReadFile(filepath.Join(two, train.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	last := func(dir string) string { return filepath.Join(dir, train.LastDir) }
	best := func(dir string) string { return filepath.Join(dir, train.BestDir) }

	cases := []struct {
		name  string
		from  string           // the directory the crash left, before crash
		crash func(dir string) // what the crash left different
		want  string           // "" to resume exactly, or the refusal
	}{
		{"stopped after epoch 1", one, func(string) {}, ""},
		{"crash after the log line, before the checkpoint", one, func(dir string) {
			mustWrite(t, filepath.Join(dir, train.MetricsFile), string(metricsTwo))
		}, ""},
		{"crash inside the log line", one, func(dir string) {
			mustWrite(t, filepath.Join(dir, train.MetricsFile), string(metricsTwo[:len(metricsOne)+20]))
		}, ""},
		{"crash while writing the checkpoint", one, func(dir string) {
			copyTree(t, last(two), filepath.Join(dir, ".last.tmp-1"))
			os.Remove(filepath.Join(dir, ".last.tmp-1", train.ManifestFile))
			mustWrite(t, filepath.Join(dir, train.MetricsFile), string(metricsTwo))
		}, ""},
		{"crash between the checkpoint's renames", one, func(dir string) {
			mustRename(t, last(dir), filepath.Join(dir, ".last.old"))
			copyTree(t, last(two), filepath.Join(dir, ".last.tmp-1"))
			mustWrite(t, filepath.Join(dir, train.MetricsFile), string(metricsTwo))
		}, ""},
		{"crash before the best model", two, func(dir string) {
			os.RemoveAll(best(dir))
			copyTree(t, best(one), best(dir))
		}, ""},
		{"crash between the best model's renames", two, func(dir string) {
			mustRename(t, best(dir), filepath.Join(dir, ".best.tmp-2"))
			copyTree(t, best(one), filepath.Join(dir, ".best.old"))
			copyTree(t, best(one), filepath.Join(dir, ".last.old"))
		}, ""},
		{"stale temporary files", one, func(dir string) {
			mustWrite(t, filepath.Join(dir, ".metrics.jsonl.tmp-7"), "{")
			mustWrite(t, filepath.Join(dir, ".curves.png.tmp-8"), "")
		}, ""},

		{"no checkpoint", one, func(dir string) { os.RemoveAll(last(dir)) }, "no checkpoint"},
		{"checkpoint without manifest", one, func(dir string) {
			os.Remove(filepath.Join(last(dir), train.ManifestFile))
		}, "has no checkpoint.json"},
		{"model of another epoch", one, func(dir string) {
			copyTree(t, filepath.Join(last(two)), filepath.Join(dir, "x"))
			mustRename(t, filepath.Join(dir, "x", "model.safetensors"), filepath.Join(last(dir), "model.safetensors"))
		}, "last/model.safetensors has SHA-256"},
		{"truncated optimizer state", one, func(dir string) {
			path := filepath.Join(last(dir), train.OptimizerFile)
			content, _ := os.ReadFile(path)
			mustWrite(t, path, string(content[:len(content)/2]))
		}, "bytes, the manifest lists"},
		{"trainer state of another epoch", one, func(dir string) {
			copyTree(t, last(two), filepath.Join(dir, "x"))
			mustRename(t, filepath.Join(dir, "x", train.StateFile), filepath.Join(last(dir), train.StateFile))
			resealManifest(t, last(dir))
		}, "its manifest at epoch 1"},
		{"optimizer state of another epoch", one, func(dir string) {
			copyTree(t, last(two), filepath.Join(dir, "x"))
			mustRename(t, filepath.Join(dir, "x", train.OptimizerFile), filepath.Join(last(dir), train.OptimizerFile))
			resealManifest(t, last(dir))
		}, "the optimizer state has taken"},
		{"metrics log missing the epoch", one, func(dir string) {
			mustWrite(t, filepath.Join(dir, train.MetricsFile), "")
		}, "holds 0 finished epochs, the checkpoint 1"},
		{"metrics log of another run", one, func(dir string) {
			mustWrite(t, filepath.Join(dir, train.MetricsFile), strings.Replace(string(metricsOne), `"epoch":1`, `"epoch":1 `, 1))
		}, "are not those the checkpoint recorded"},
		{"interrupted in epoch 2", mid, func(string) {}, ""},
		{"best model of another epoch, rewritten from the last", one, func(dir string) {
			os.RemoveAll(best(dir))
			copyTree(t, best(two), best(dir))
		}, ""},
		{"best model of a later epoch", mid, func(dir string) {
			os.RemoveAll(best(dir))
			copyTree(t, best(two), best(dir))
		}, "best holds epoch 2, the run's best is epoch 1"},
		{"best model missing", mid, func(dir string) { os.RemoveAll(best(dir)) }, "best: no such file"},
		{"metrics log is a folder", one, func(dir string) {
			os.Remove(filepath.Join(dir, train.MetricsFile))
			os.Mkdir(filepath.Join(dir, train.MetricsFile), 0o755)
		}, "is a directory"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(root, "case", string(rune('a'+i)))
			copyTree(t, c.from, dir)
			c.crash(dir)
			os.RemoveAll(filepath.Join(dir, "x"))
			resumed := smallModel(t, data, 0.3)
			run := cfg
			run.OutDir = dir
			tr, err := train.New(resumed, run)
			if err != nil {
				t.Fatal(err)
			}
			err = tr.Resume(dir)
			if c.want != "" {
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("Resume: %v, want an error containing %q", err, c.want)
				}
				t.Log(err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			result, err := tr.Fit(context.Background(), data.Train, nil)
			if err != nil {
				t.Fatal(err)
			}
			sameBits(t, "resumed vs uninterrupted", weights(resumed), weights(whole))
			if len(result.Epochs) != 2 || result.Epochs[1].TrainLoss != mustMetrics(t, two)[1].TrainLoss {
				t.Errorf("resumed run reports %d epochs (%+v), want 2 like the uninterrupted one", len(result.Epochs), result.Epochs)
			}
			if logged := mustMetrics(t, dir); len(logged) != 2 {
				t.Errorf("metrics log holds %d epochs, want 2", len(logged))
			}
			for _, unit := range []string{train.LastDir, train.BestDir} {
				a, _ := os.ReadFile(filepath.Join(dir, unit, "model.safetensors"))
				b, _ := os.ReadFile(filepath.Join(two, unit, "model.safetensors"))
				if string(a) != string(b) {
					t.Errorf("%s/model.safetensors differs from the uninterrupted run's", unit)
				}
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), ".") {
					t.Errorf("%s left behind", e.Name())
				}
			}
		})
	}
}

func mustMetrics(t *testing.T, dir string) []train.EpochMetrics {
	t.Helper()
	epochs, err := train.ReadMetricsLog(filepath.Join(dir, train.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	return epochs
}

// TestResumeAfterEarlyStop resumes a run that had stopped early (a kill
// after its last checkpoint looks just like that): it must stay stopped.
func TestResumeAfterEarlyStop(t *testing.T) {
	data := smallData(t)
	cfg := train.Config{Epochs: 30, BatchSize: 16, LR: 1e-9, Patience: 1, OutDir: t.TempDir()}
	tr, err := train.New(smallModel(t, data, 0), cfg)
	if err != nil {
		t.Fatal(err)
	}
	first, err := tr.Fit(context.Background(), data.Train, data.Val)
	if err != nil {
		t.Fatal(err)
	}
	m := smallModel(t, data, 0)
	if tr, err = train.New(m, cfg); err != nil {
		t.Fatal(err)
	}
	if err := tr.Resume(cfg.OutDir); err != nil {
		t.Fatal(err)
	}
	before := weights(m)
	result, err := tr.Fit(context.Background(), data.Train, data.Val)
	if err != nil {
		t.Fatal(err)
	}
	if result.Stopped != "early stopping" || len(result.Epochs) != len(first.Epochs) {
		t.Errorf("resumed run: %s after %d epochs, want early stopping after %d", result.Stopped, len(result.Epochs), len(first.Epochs))
	}
	sameBits(t, "weights after resuming a stopped run", weights(m), before)
}

// TestFitRefusesAnotherRunsLog checks that a new run does not append to
// the metrics log of another run in its OutDir.
func TestFitRefusesAnotherRunsLog(t *testing.T) {
	data := smallData(t)
	cfg := train.Config{BatchSize: 16, OutDir: t.TempDir()}
	for i, want := range []string{"", "holds 1 epochs, the run has finished 0"} {
		tr, err := train.New(smallModel(t, data, 0), cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tr.Fit(context.Background(), data.Train, nil)
		if (want == "" && err != nil) || (want != "" && (err == nil || !strings.Contains(err.Error(), want))) {
			t.Errorf("run %d: error %v, want %q", i+1, err, want)
		}
	}
}

// TestResumeIntoAnotherDirectory refuses to continue a run in another
// OutDir, whose metrics log would not match, and resumes with no OutDir,
// writing nothing.
func TestResumeIntoAnotherDirectory(t *testing.T) {
	data := smallData(t)
	dir := t.TempDir()
	cfg := train.Config{BatchSize: 16, OutDir: dir}
	tr, err := train.New(smallModel(t, data, 0), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(context.Background(), data.Train, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		outDir, want string
	}{{t.TempDir(), "a run goes on in its own directory"}, {"", ""}, {dir + "/.", ""}} {
		cfg.OutDir = c.outDir
		tr, err := train.New(smallModel(t, data, 0), cfg)
		if err != nil {
			t.Fatal(err)
		}
		err = tr.Resume(dir)
		if (c.want == "" && err != nil) || (c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want))) {
			t.Errorf("OutDir %q: Resume: %v, want %q", c.outDir, err, c.want)
		}
	}
}
