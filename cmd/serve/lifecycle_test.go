package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/gornn/gornn/models"
)

// running is a server started by run, as the command runs, in this
// process: the tests send it real signals.
type running struct {
	url  string
	log  *syncBuffer
	code chan int
}

// startRun runs the command with args (plus -addr 127.0.0.1:0) until the
// test stops it with a signal.
func startRun(t *testing.T, args ...string) *running {
	t.Helper()
	r := &running{log: &syncBuffer{}, code: make(chan int, 1)}
	addr := make(chan string, 1)
	go func() {
		r.code <- run(append(args, "-addr", "127.0.0.1:0"), r.log, func(a string) { addr <- a })
	}()
	select {
	case a := <-addr:
		r.url = "http://" + a
	case code := <-r.code:
		t.Fatalf("exit status %d before listening:\n%s", code, r.log)
	}
	return r
}

// signal sends sig to this process, where the running server catches it.
func (r *running) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(os.Getpid(), sig); err != nil {
		t.Fatal(err)
	}
}

// stop sends SIGTERM and returns the exit status.
func (r *running) stop(t *testing.T) int {
	t.Helper()
	r.signal(t, syscall.SIGTERM)
	return <-r.code
}

// version returns the served version of model name.
func (r *running) version(t *testing.T, name string) string {
	t.Helper()
	resp, err := http.Get(r.url + "/v1/models/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st modelStatus
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st.VersionStatus[0].Version
}

// TestReload checks SIGHUP: a directory that fails to load leaves the old
// model serving, and a good one replaces it.
func TestReload(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	if err := os.Rename(saveClassifier(t, packedConfig, 1), dir); err != nil {
		t.Fatal(err)
	}
	r := startRun(t, "-model", "m="+dir)
	predict := func() string {
		status, body := post(t, http.DefaultClient, r.url+"/v1/models/m:predict", instances(t, "the match was good", "bad"))
		if status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		return string(body)
	}
	reloads := func(result string) float64 {
		return metricValue(scrape(t, r.url), "gornn_serve_reloads_total", "result", result)
	}
	before := predict()

	if err := os.WriteFile(filepath.Join(dir, models.ConfigFile), []byte("{broken"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.signal(t, syscall.SIGHUP)
	eventually(t, "the failed reload", func() bool { return reloads("failed") == 1 })
	if got := predict(); got != before || r.version(t, "m") != "1" {
		t.Errorf("after a failed reload: version %s answering %s\nwant version 1 answering %s", r.version(t, "m"), got, before)
	}
	if !strings.Contains(r.log.String(), `"msg":"reload failed: the old model keeps serving","model":"m","version":1`) {
		t.Errorf("the failed reload is not logged:\n%s", r.log)
	}

	other := saveClassifier(t, packedConfig, 2)
	for _, f := range []string{models.ConfigFile, models.VocabFile, models.WeightsFile} {
		data, err := os.ReadFile(filepath.Join(other, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r.signal(t, syscall.SIGHUP)
	eventually(t, "the second reload", func() bool { return reloads("ok") == 1 })
	if got := predict(); got == before || r.version(t, "m") != "2" {
		t.Errorf("after reloading other weights: version %s answering %s, as before", r.version(t, "m"), got)
	}
	if code := r.stop(t); code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0:\n%s", code, r.log)
	}
}

// TestShutdown checks SIGTERM with requests in flight: they finish, with
// their answers, and the command exits 0; with -shutdown-timeout too
// short for them, it cuts them off and exits 1.
func TestShutdown(t *testing.T) {
	for _, tc := range []struct {
		name    string
		finish  bool
		timeout string
		code    int
	}{
		{"requests finish", true, "1m", 0},
		{"requests cut off", false, "10ms", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const inFlight = 4
			gateDir, open := gateModelDir(t)
			defer open()
			r := startRun(t, "-model", "gate="+gateDir, "-model", "default="+saveClassifier(t, packedConfig, 1), "-shutdown-timeout", tc.timeout)
			var wg sync.WaitGroup
			answers := make([]string, inFlight)
			for i := range answers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					resp, err := http.Post(r.url+"/v1/models/gate:hold", "application/json", strings.NewReader(instances(t, "x", "y")))
					if err != nil {
						answers[i] = "error"
						return
					}
					defer resp.Body.Close()
					body, _ := io.ReadAll(resp.Body)
					answers[i] = resp.Status + " " + strings.TrimSpace(string(body))
				}()
			}
			eventually(t, "the requests in flight", func() bool {
				return metricValue(scrape(t, r.url), "gornn_serve_in_flight_requests") == inFlight
			})
			r.signal(t, syscall.SIGTERM)
			eventually(t, "the shutdown to start", func() bool { return strings.Contains(r.log.String(), `"msg":"shutting down"`) })
			if tc.finish {
				open()
			}
			code := <-r.code
			wg.Wait()
			if code != tc.code {
				t.Errorf("exit status %d, want %d:\n%s", code, tc.code, r.log)
			}
			for i, a := range answers {
				if finished := a == `200 OK {"held":2}`; finished != tc.finish {
					t.Errorf("request %d in flight: %s", i, a)
				}
			}
			if _, err := http.Get(r.url + "/healthz"); err == nil {
				t.Error("the server still answers after exiting")
			}
		})
	}
}

// TestCommandLine checks the exit statuses of bad command lines and of
// model directories that do not load.
func TestCommandLine(t *testing.T) {
	good := saveClassifier(t, packedConfig, 1)
	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, models.ConfigFile), []byte(`{"format": "gornn-classifier/1", "hidden_size": -1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	unknown := t.TempDir()
	if err := os.WriteFile(filepath.Join(unknown, models.ConfigFile), []byte(`{"format": "gornn-something/9"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no model", nil, 2, "-model is required"},
		{"two defaults", []string{"-model", good, "-model", good}, 2, `model name "default" given twice`},
		{"bad name", []string{"-model", "a/b=" + good}, 2, `model name "a/b"`},
		{"bad limit", []string{"-model", good, "-max-batch", "0"}, 2, "must be positive"},
		{"argument", []string{"-model", good, "text"}, 2, `unexpected argument "text"`},
		{"unknown flag", []string{"-colour"}, 2, "-colour"},
		{"broken directory", []string{"-model", broken}, 1, "config.json: models: vocab_size 0"},
		{"unknown format", []string{"-model", unknown}, 1, `format \"gornn-something/9\", which serve does not know`},
		{"bad address", []string{"-model", good, "-addr", "127.0.0.1:-1"}, 1, "listening"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stderr syncBuffer
			code := run(c.args, &stderr, func(string) { t.Error("listening") })
			if code != c.code || !strings.Contains(stderr.String(), c.want) {
				t.Errorf("exit status %d, stderr:\n%s\nwant %d and %q", code, stderr.String(), c.code, c.want)
			}
		})
	}
}
