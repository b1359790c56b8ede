package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestServeWithoutPyTorch runs -serve with an interpreter that does not
// exist: gornn's server (cmd/serve, built by the command) runs alone on
// the built-in dataset, and the report says why PyTorch's did not.
func TestServeWithoutPyTorch(t *testing.T) {
	t.Setenv("GORNN_AG_NEWS", filepath.Join(t.TempDir(), "absent"))
	jsonOut := filepath.Join(t.TempDir(), "serve.json")
	var stdout, stderr bytes.Buffer
	args := []string{"-serve", "-python", filepath.Join(t.TempDir(), "no-python"), "-configs", "lstm", "-train-rows", "1:200",
		"-serve-requests", "20", "-serve-warmup", "4", "-concurrency", "1,4", "-repeats", "1", "-threads", "1", "-wait-idle", "0", "-json", jsonOut}
	if code := run(args, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit status %d: %s", code, stderr.String())
	}
	checkContains(t, "the output", stdout.String(), "## gornn vs PyTorch: serving", "PyTorch server not available: ", "no-python",
		"| lstm | 1 | ", "| lstm | 4 | ", "one 40-token text per request")
	var rep serveReport
	data, err := os.ReadFile(jsonOut)
	if err == nil {
		err = json.Unmarshal(data, &rep)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Runs) != 2 {
		t.Fatalf("%d runs, want 2 (gornn at 1 and 4 clients): %+v", len(rep.Runs), rep.Runs)
	}
	for _, r := range rep.Runs {
		if r.Side != "gornn" || r.Requests != 20 || len(r.LatencyMs) != 20 || len(r.ServerMs) != 20 || r.ServerMs[0] <= 0 || r.Seconds <= 0 {
			t.Errorf("run %+v", r)
		}
	}
}

// TestLoad checks the load generator against a stand-in server: every
// request is sent, the warm-up ones untimed, and the server's time read
// from its Server-Timing header; an error answer fails the load.
func TestLoad(t *testing.T) {
	var served atomic.Int64
	fail := atomic.Bool{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.Header().Set("Server-Timing", "app;dur=0.250")
		if fail.Load() {
			http.Error(w, `{"error": "no"}`, http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"predictions": []}`))
	}))
	defer ts.Close()
	bodies := [][]byte{[]byte(`{"instances": ["a"]}`), []byte(`{"instances": ["b"]}`)}
	run, err := load(ts.URL, bodies, 3, 5, 30)
	if err != nil {
		t.Fatal(err)
	}
	if served.Load() != 35 || run.Requests != 30 || len(run.LatencyMs) != 30 || run.ServerMs[29] != 0.25 || run.LatencyMs[0] <= 0 {
		t.Errorf("served %d, run %+v; want 35 served, 30 timed at 0.25 ms server time", served.Load(), run)
	}
	fail.Store(true)
	if _, err := load(ts.URL, bodies, 2, 0, 10); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("error %v, want the 503", err)
	}
}

func TestSameAnswers(t *testing.T) {
	answer := func(label string, p float64) []byte {
		return fmt.Appendf(nil, `{"predictions": [{"text": "x", "label": %q, "probabilities": {"a": %g, "b": 0.5}}]}`, label, p)
	}
	for _, c := range []struct {
		name string
		a, b []byte
		same bool
	}{
		{"equal", answer("a", 0.5), answer("a", 0.5), true},
		{"within 1e-4", answer("a", 0.5), answer("a", 0.50005), true},
		{"other label", answer("a", 0.5), answer("b", 0.5), false},
		{"other probability", answer("a", 0.5), answer("a", 0.6), false},
		{"not JSON", answer("a", 0.5), []byte("{"), false},
	} {
		if err := sameAnswers(c.a, c.b); (err == nil) != c.same {
			t.Errorf("%s: error %v, want same=%v", c.name, err, c.same)
		}
	}
}

func TestServeUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-serve", "-concurrency", "1,0"}, `-concurrency: "0" is not a positive number`},
		{[]string{"-serve", "-torch-workers", "two"}, `-torch-workers: "two" is not a positive number`},
		{[]string{"-serve", "-serve-requests", "0"}, "-serve-requests must be positive"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%q: exit status %d, stderr %q; want %d saying %q", c.args, code, stderr.String(), exitUsage, c.want)
		}
	}
}

// TestServeDefaults checks that -serve runs the latency configs, 1, 8 and
// 64 clients and PyTorch servers of 1 and -threads workers by default.
func TestServeDefaults(t *testing.T) {
	o, err := parse([]string{"-serve", "-threads", "2"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range o.configs {
		names = append(names, c.name)
	}
	if strings.Join(names, ",") != "lstm,bilstm" || len(o.serve.concurrency) != 3 || o.serve.concurrency[2] != 64 ||
		len(o.serve.torchWorkers) != 2 || o.serve.torchWorkers[1] != 2 || o.torch.TorchThreads != 1 {
		t.Errorf("configs %v, concurrency %v, torch workers %v, torch setting %v", names, o.serve.concurrency, o.serve.torchWorkers, o.torch)
	}
}
