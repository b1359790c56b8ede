package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	promodel "github.com/prometheus/common/model"
)

// Test models: small classifiers over the built-in dataset's vocabulary,
// one whose rows are independent of their batch and one padded (its
// results depend on the batch's padded length).
var (
	packedConfig = models.Config{Cell: graph.LSTM, EmbedDim: 8, HiddenSize: 6, Bidirectional: true, Pooling: graph.Max, Labels: []string{"negative", "positive"}}
	paddedConfig = models.Config{Cell: graph.RNNTanh, EmbedDim: 8, HiddenSize: 5, Padded: true, Pooling: graph.MeanAll, Labels: []string{"a", "b", "c"}}
)

// saveClassifier saves an untrained classifier of cfg, weights drawn from
// seed, into a new folder and returns it.
func saveClassifier(t testing.TB, cfg models.Config, seed uint64) string {
	t.Helper()
	ds := datasets.Builtin(50, 1)
	tok, err := datasets.NewTokenizer(datasets.BasicEnglishTokenizer)
	if err != nil {
		t.Fatal(err)
	}
	vocab, err := datasets.BuildVocab(ds, tok, datasets.VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := models.New(cfg, vocab, models.Options{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "model")
	if err := c.Save(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// testConfig returns a server configuration for dirs (NAME=DIR each) with
// the flags' defaults.
func testConfig(t testing.TB, dirs ...string) config {
	t.Helper()
	args := []string{}
	for _, d := range dirs {
		args = append(args, "-model", d)
	}
	cfg, code := parseFlags(args, io.Discard)
	if code >= 0 {
		t.Fatalf("flags %q: exit status %d", args, code)
	}
	return cfg
}

// startServer serves cfg on 127.0.0.1:0 until the test ends and returns
// its URL and server.
func startServer(t testing.TB, cfg config) (string, *server) {
	t.Helper()
	s, err := newServer(cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ts.Close()
		s.close()
	})
	return ts.URL, s
}

// post sends body to url and returns the status and answer.
func post(t testing.TB, client *http.Client, url, body string) (int, []byte) {
	t.Helper()
	resp, err := client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, answer
}

// instances returns the JSON request {"instances": texts}.
func instances(t testing.TB, texts ...string) string {
	t.Helper()
	body, err := json.Marshal(map[string][]string{"instances": texts})
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// recorded is a request and the answer it got alone.
type recorded struct {
	path, body string
	status     int
	answer     []byte
}

// record sends body to url alone and returns the request with its answer.
func record(t testing.TB, client *http.Client, url, body string) recorded {
	t.Helper()
	status, answer := post(t, client, url, body)
	return recorded{path: url, body: body, status: status, answer: answer}
}

// replay sends requests requests drawn from pool, from clients clients at
// once, and reports those whose answer differs, in any byte, from the one
// they got alone.
func replay(t *testing.T, client *http.Client, clients, requests int, pool []recorded) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, requests)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < requests; i += clients {
				r := pool[(i*7919)%len(pool)]
				resp, err := client.Post(r.path, "application/json", strings.NewReader(r.body))
				if err != nil {
					errs <- err
					return
				}
				var body bytes.Buffer
				_, err = body.ReadFrom(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != r.status || !bytes.Equal(body.Bytes(), r.answer) {
					errs <- fmt.Errorf("request %d to %s: %d %s (%v)\nalone: %d %s", i, r.path, resp.StatusCode, body.Bytes(), err, r.status, r.answer)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if n++; n <= 5 {
			t.Error(err)
		}
	}
	if n > 0 {
		t.Errorf("%d of %d requests went wrong", n, requests)
	}
}

// logBatches logs the batches each model of the server at url ran.
func logBatches(t *testing.T, url string) {
	t.Helper()
	for _, m := range scrape(t, url)["gornn_serve_batch_rows"].GetMetric() {
		h := m.GetHistogram()
		t.Logf("%s: %d batches of %.1f rows on average", m.GetLabel()[0].GetValue(), h.GetSampleCount(), h.GetSampleSum()/float64(h.GetSampleCount()))
	}
}

// scrape reads url's /metrics and parses it as Prometheus' text format.
func scrape(t testing.TB, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(promodel.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return families
}

// metricValue returns the value of the counter or gauge name whose labels
// include labels (name=value pairs), summed over its series; histograms
// give their sample count.
func metricValue(families map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := families[name]
	if f == nil {
		return 0
	}
	total := 0.0
series:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				found = found || (l.GetName() == labels[i] && l.GetValue() == labels[i+1])
			}
			if !found {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		case m.Histogram != nil:
			total += float64(m.Histogram.GetSampleCount())
		}
	}
	return total
}

// eventually polls cond until it holds, failing the test after a minute
// (a hang guard, not a timing assertion).
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s after a minute", what)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once
// (a server's log).
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testFormat is the format of the test kind's model directories: a model
// whose methods wait on a gate the test opens, so that requests stay in
// flight, and stream.
const testFormat = "gornn-test-gate/1"

func init() { kinds[testFormat] = loadGateModel }

// gates holds each gate model directory's gate, closed to let its "hold"
// calls answer.
var gates sync.Map // dir -> chan struct{}

// gateModelDir writes a gate model directory and returns it and its gate's
// opener.
func gateModelDir(t testing.TB) (dir string, open func()) {
	t.Helper()
	dir = t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, models.ConfigFile), []byte(`{"format": "`+testFormat+`"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	gate := make(chan struct{})
	gates.Store(dir, gate)
	var once sync.Once
	return dir, func() { once.Do(func() { close(gate) }) }
}

// gateModel is the test kind: "hold" answers {"held": n} once the gate
// opens (n: the instances); "stream" streams a "tick" event every
// millisecond until the client goes away.
type gateModel struct {
	gate chan struct{}
}

func loadGateModel(dir string, _ modelSetup) (model, error) {
	gate, ok := gates.Load(dir)
	if !ok {
		gate = make(chan struct{})
	}
	return &gateModel{gate: gate.(chan struct{})}, nil
}

func (g *gateModel) config() any { return nil }

func (g *gateModel) methods() map[string]method {
	return map[string]method{"hold": g.hold, "stream": g.stream}
}

func (g *gateModel) drain() {}

func (g *gateModel) close() {}

func (g *gateModel) hold(c *call) error {
	texts, err := c.decodeInstances()
	if err != nil {
		return err
	}
	select {
	case <-g.gate:
	case <-c.ctx.Done():
		return c.ctx.Err()
	}
	c.info.rows = len(texts)
	writeJSON(c.w, http.StatusOK, map[string]int{"held": len(texts)})
	return nil
}

func (g *gateModel) stream(c *call) error {
	st, err := c.reserveStream()
	if err != nil {
		return err
	}
	defer st.close()
	for i := 0; ; i++ {
		if err := st.send("tick", map[string]int{"n": i}); err != nil {
			return err
		}
		select {
		case <-time.After(time.Millisecond):
		case <-c.ctx.Done():
			return c.ctx.Err()
		}
	}
}
