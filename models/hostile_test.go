//go:build unix

package models

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph/safetensors"
)

// hostileMemoryMargin is the most memory Load may allocate, above the sizes
// of the files it reads, for a model directory it rejects. Decoding a
// config.json of nearly MaxConfigBytes takes the most: about 5.3 MB for the
// 60000 labels case.
const hostileMemoryMargin = 6 << 20

// TestHostileModelDirectories loads generated model directories built to
// hurt: sizes that would take terabytes, links to /dev/zero, named pipes,
// non-finite weights, trailing JSON, duplicate labels. Each must give a
// clear error, without a panic or a hang, allocating little more than the
// files it reads (runtime.MemStats.TotalAlloc counts every allocation).
func TestHostileModelDirectories(t *testing.T) {
	good := t.TempDir()
	model, err := New(testConfig(), testVocab(t), Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := model.Save(good); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		spoil func(t *testing.T, dir string)
		want  []string
	}{
		{"hidden size of a billion", setConfig("hidden_size", 1_000_000_000), []string{"config.json", "hidden_size 1000000000 is over the limit of 65536"}},
		{"hidden size 5000", setConfig("hidden_size", 5000), []string{"model.safetensors", `tensor "rnn.weight_ih_l0" has shape [24 8], want [20000 8]`}},
		{"a million layers", setConfig("num_layers", 1_000_000), []string{"num_layers 1000000 is over the limit of 64"}},
		{"64 layers", setConfig("num_layers", 64), []string{`no tensor "rnn.weight_ih_l2"`}},
		{"vocabulary of 16M", setConfig("vocab_size", 1<<24), []string{`tensor "embedding.weight" has shape`, "want [16777216 8]"}},
		{"vocabulary over the limit", setConfig("vocab_size", 1<<24+1), []string{"vocab_size 16777217 is over the limit"}},
		{"too many parameters", func(t *testing.T, dir string) {
			setConfig("vocab_size", 1<<24)(t, dir)
			setConfig("embed_dim", 1<<16)(t, dir)
		}, []string{"over the limit of 1073741824"}},
		{"60000 labels in 1 MB", func(t *testing.T, dir string) {
			setLabels(60_000, "label%09d")(t, dir)
			if info, err := os.Stat(filepath.Join(dir, ConfigFile)); err != nil || info.Size() < MaxConfigBytes*9/10 {
				t.Fatalf("config.json is not near MaxConfigBytes: %v", err)
			}
		}, []string{`tensor "fc.weight" has shape [2 12], want [60000 12]`}},
		{"70000 labels", setLabels(70_000, "%d"), []string{"labels: 65537 or more, over the limit of 65536"}},
		{"num_classes of 70000", setConfig("num_classes", 70_000), []string{"num_classes 70000 is over the limit of 65536"}},
		{"2M labels", setLabels(2_000_000, "%d"), []string{"config.json is", "over the limit of 1048576"}},
		{"config over the size limit", sparse(ConfigFile, MaxConfigBytes+1), []string{"config.json is 1048577 bytes, over the limit"}},
		{"vocabulary over the size limit", sparse(VocabFile, datasets.MaxVocabFileBytes+1), []string{"vocab.txt is 1073741825 bytes, over the limit"}},
		{"config links to /dev/zero", link(ConfigFile, "/dev/zero"), []string{"config.json is a device"}},
		{"vocabulary links to /dev/zero", link(VocabFile, "/dev/zero"), []string{"vocab.txt is a device"}},
		{"weights link to /dev/zero", link(WeightsFile, "/dev/zero"), []string{"model.safetensors is a device"}},
		{"config is a named pipe", fifo(ConfigFile), []string{"config.json is a named pipe"}},
		{"vocabulary is a named pipe", fifo(VocabFile), []string{"vocab.txt is a named pipe"}},
		{"weights are a named pipe", fifo(WeightsFile), []string{"model.safetensors is a named pipe"}},
		{"vocabulary is another file", func(t *testing.T, dir string) {
			other := filepath.Join(t.TempDir(), "passwd")
			write(t, other, []byte("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"))
			link(VocabFile, other)(t, dir)
		}, []string{"vocab.txt:1:", `got "root:x:0:0:root:/root:/b"... (31 bytes)`}},
		{"vocabulary longer than vocab_size", func(t *testing.T, dir string) {
			appendTo(t, filepath.Join(dir, VocabFile), strings.Repeat("tok\n", 100_000))
		}, []string{"vocab_size=", "more than the"}},
		{"NaN weight", setWeight("rnn.weight_hh_l1_reverse", 5, float32(math.NaN())), []string{`tensor "rnn.weight_hh_l1_reverse" holds NaN at element 5`}},
		{"infinite weight", setWeight("fc.bias", 1, float32(math.Inf(-1))), []string{`tensor "fc.bias" holds -Inf at element 1`}},
		{"weights header of 100 MB", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, WeightsFile), binary.LittleEndian.AppendUint64(nil, 100_000_000))
		}, []string{"header length 100000000 exceeds the limit of 1048576"}},
		{"extra tensor", func(t *testing.T, dir string) {
			path := filepath.Join(dir, WeightsFile)
			f, err := safetensors.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			tensors := append(f.Tensors(), safetensors.FromFloat32s(strings.Repeat("x", 1000), []int{1}, []float32{0}))
			if err := safetensors.WriteFile(path, tensors, nil); err != nil {
				t.Fatal(err)
			}
		}, []string{`1 tensors config.json does not imply: "xxxxxxxxxxxxxxxxxxxxxxxx"... (1000 bytes)`}},
		{"trailing JSON", editConfig(func(s string) string { return s + `{"hidden_size": 7}` }), []string{"config.json:", "data after the JSON object"}},
		{"trailing garbage", editConfig(func(s string) string { return s + "x" }), []string{"data after the JSON object"}},
		{"duplicate labels", setConfig("labels", []string{"pos", "pos"}), []string{`labels[1] "pos" repeats labels[0]`}},
		{"empty label", setConfig("labels", []string{"pos", ""}), []string{`labels[1] "" is empty`}},
		{"control character in a label", setConfig("labels", []string{"pos", "n\x00g"}), []string{`labels[1] "n\x00g" holds a control character`}},
		{"long label", setConfig("labels", []string{"pos", strings.Repeat("n", 300)}), []string{"labels[1]", "is 300 bytes, over the limit of 256"}},
		{"long unknown field", editConfig(func(s string) string {
			return strings.Replace(s, "{", `{"`+strings.Repeat("z", 100_000)+`": 1, `, 1)
		}), []string{"config.json", `unknown field "zzzz`, "..."}},
		{"JSON syntax error", editConfig(func(s string) string { return strings.Replace(s, `"cell":`, `"cell"`, 1) }), []string{"config.json:3:"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, name := range []string{ConfigFile, VocabFile, WeightsFile} {
				data, err := os.ReadFile(filepath.Join(good, name))
				if err != nil {
					t.Fatal(err)
				}
				write(t, filepath.Join(dir, name), data)
			}
			c.spoil(t, dir)
			budget := hostileMemoryMargin + readableBytes(t, dir)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Load(dir, Options{})
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatalf("loaded, want an error containing %q", c.want)
			}
			for _, want := range c.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q, want it to contain %q", err, want)
				}
			}
			if len(err.Error()) > 1000 {
				t.Errorf("error of %d bytes", len(err.Error()))
			}
			if used := after.TotalAlloc - before.TotalAlloc; used > budget {
				t.Errorf("Load allocated %d bytes, over %d (the files it may read plus %d)", used, budget, hostileMemoryMargin)
			}
		})
	}
}

// readableBytes sums the sizes of the regular files of dir that are within
// Load's size limits, the most Load may read.
func readableBytes(t *testing.T, dir string) uint64 {
	var total uint64
	for name, limit := range map[string]int64{ConfigFile: MaxConfigBytes, VocabFile: datasets.MaxVocabFileBytes, WeightsFile: math.MaxInt64} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err == nil && info.Mode().IsRegular() && info.Size() <= limit {
			total += uint64(info.Size())
		}
	}
	return total
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendTo(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(text)
		f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
}

// editConfig changes the text of config.json.
func editConfig(change func(string) string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		path := filepath.Join(dir, ConfigFile)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		write(t, path, []byte(change(string(data))))
	}
}

// setConfig sets one field of config.json.
func setConfig(field string, value any) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		path := filepath.Join(dir, ConfigFile)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var cfg map[string]any
		if err := json.Unmarshal(data, &cfg); err != nil {
			t.Fatal(err)
		}
		cfg[field] = value
		if data, err = json.Marshal(cfg); err != nil {
			t.Fatal(err)
		}
		write(t, path, data)
	}
}

// setLabels gives config.json n labels named by format and their index.
func setLabels(n int, format string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		labels := make([]string, n)
		for i := range labels {
			labels[i] = fmt.Sprintf(format, i)
		}
		setConfig("labels", labels)(t, dir)
		setConfig("num_classes", n)(t, dir)
	}
}

// sparse replaces the file name with a sparse file of size bytes.
func sparse(name string, size int64) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if err := os.Truncate(filepath.Join(dir, name), size); err != nil {
			t.Fatal(err)
		}
	}
}

// link replaces the file name with a symbolic link to target.
func link(name, target string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		path := filepath.Join(dir, name)
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, path); err != nil {
			t.Fatal(err)
		}
	}
}

// fifo replaces the file name with a named pipe that nothing writes to.
func fifo(name string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		path := filepath.Join(dir, name)
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mkfifo(path, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// setWeight sets element i of the tensor called name in model.safetensors.
func setWeight(name string, i int, value float32) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		path := filepath.Join(dir, WeightsFile)
		f, err := safetensors.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		tensors := f.Tensors()
		for k, tensor := range tensors {
			if tensor.Name == name {
				values, err := tensor.Float32s()
				if err != nil {
					t.Fatal(err)
				}
				values[i] = value
				tensors[k] = safetensors.FromFloat32s(name, tensor.Shape, values)
			}
		}
		if err := safetensors.WriteFile(path, tensors, f.Metadata); err != nil {
			t.Fatal(err)
		}
	}
}
