package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRoutes checks every route and every error status, each with its
// JSON error, then that /metrics parses and counts them.
func TestRoutes(t *testing.T) {
	gateDir, open := gateModelDir(t)
	defer open()
	cfg := testConfig(t, saveClassifier(t, packedConfig, 1), "gate="+gateDir)
	cfg.maxBody = 2048
	cfg.limits = limits{maxInstances: 3, maxTokens: 12}
	url, s := startServer(t, cfg)
	predict := "/v1/models/default:predict"
	long := strings.Repeat("good ", 13)
	checkCalls(t, url, []callCase{
		{"liveness", "GET", "/healthz", "", 200, `"status":"ok"`},
		{"liveness by POST", "POST", "/healthz", "", 405, `POST \"/healthz\": want GET`},
		{"readiness", "GET", "/readyz", "", 200, `"models":["default","gate"]`},
		{"metrics", "GET", "/metrics", "", 200, "gornn_serve_requests_total"},
		{"list", "GET", "/v1/models", "", 200, `"name":"default","format":"gornn-classifier/1"`},
		{"list by POST", "POST", "/v1/models", "{}", 405, "want GET"},
		{"status", "GET", "/v1/models/default", "", 200, `"state":"AVAILABLE"`},
		{"status has the config", "GET", "/v1/models/default", "", 200, `"labels":["negative","positive"]`},
		{"status of an unknown model", "GET", "/v1/models/nope", "", 404, `no model \"nope\" (serving default, gate)`},
		{"predict", "POST", predict, `{"instances": ["the match was good", ""]}`, 200, `{"predictions":[{"text":"the match was good","label":`},
		{"predict by GET", "GET", predict, "", 405, "want POST"},
		{"unknown model", "POST", "/v1/models/nope:predict", `{"instances": ["x"]}`, 404, `no model \"nope\"`},
		{"unknown method", "POST", "/v1/models/default:generate", `{}`, 404, `has no method \"generate\" (it has predict)`},
		{"unknown route", "GET", "/v2/anything", "", 404, `no route \"/v2/anything\"`},
		{"malformed JSON", "POST", predict, `{"instances": [`, 400, "truncated JSON"},
		{"not JSON", "POST", predict, `instances`, 400, "invalid JSON at byte 1"},
		{"wrong type", "POST", predict, `{"instances": "text"}`, 400, "instances is a JSON string, want a list"},
		{"wrong element type", "POST", predict, `{"instances": ["a", {"b": 1}]}`, 400, `instances[1] is \"{\\\"b\\\": 1}\", want a string`},
		{"unknown field", "POST", predict, `{"instances": ["a"], "inputs": 1}`, 400, `unknown field \"inputs\"`},
		{"data after the object", "POST", predict, `{"instances": ["a"]} {}`, 400, "data after the JSON object"},
		{"no instances", "POST", predict, `{"instances": []}`, 400, "at least one text"},
		{"empty body", "POST", predict, ``, 400, "empty, want a JSON object"},
		{"too many instances", "POST", predict, `{"instances": ["a", "b", "c", "d"]}`, 422, "4 instances, over the limit of 3"},
		{"too many tokens", "POST", predict, instances(t, "ok", long), 422, "instances[1] has 13 tokens, over the limit of 12"},
		{"body too large", "POST", predict, instances(t, strings.Repeat("a", 3000)), 413, "request body of 3018 bytes, over the limit of 2048"},
		{"method of another kind", "POST", "/v1/models/gate:predict", `{}`, 404, "(it has hold, stream)"},
	})

	t.Run("request id", func(t *testing.T) {
		for _, c := range []struct{ sent, kept string }{{"client-42", "client-42"}, {"a b", ""}} {
			req, _ := http.NewRequest("GET", url+"/healthz", nil)
			req.Header.Set("X-Request-Id", c.sent)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.Header.Get("X-Request-Id"); (c.kept != "" && got != c.kept) || (c.kept == "" && (got == c.sent || got == "")) {
				t.Errorf("sent X-Request-Id %q, got back %q", c.sent, got)
			}
		}
	})

	t.Run("body too large without a length", func(t *testing.T) {
		// A chunked body has no Content-Length: the limit stops the read.
		body := io.MultiReader(strings.NewReader(`{"instances": ["`), strings.NewReader(strings.Repeat("a", 4000)), strings.NewReader(`"]}`))
		resp, err := http.Post(url+predict, "application/json", body)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		answer, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 413 || !strings.Contains(string(answer), "over the limit of 2048 bytes") {
			t.Errorf("%d %s, want 413", resp.StatusCode, answer)
		}
	})

	t.Run("metrics count the requests", func(t *testing.T) {
		families := scrape(t, url)
		checks := []struct {
			labels []string
			want   float64
		}{
			{[]string{"model", "default", "route", "predict", "status", "200"}, 1},
			{[]string{"model", "default", "route", "predict", "status", "400"}, 8},
			{[]string{"model", "default", "route", "predict", "status", "422"}, 2},
			{[]string{"model", "default", "route", "predict", "status", "413"}, 2},
			{[]string{"model", "", "route", "call", "status", "404"}, 1},
			{[]string{"route", "healthz", "status", "200"}, 3},
		}
		for _, c := range checks {
			if got := metricValue(families, "gornn_serve_requests_total", c.labels...); got != c.want {
				t.Errorf("gornn_serve_requests_total%v = %v, want %v", c.labels, got, c.want)
			}
		}
		if got := metricValue(families, "gornn_serve_batch_rows", "model", "default"); got != 1 {
			t.Errorf("%v batches observed, want 1", got)
		}
		for _, name := range []string{"gornn_serve_request_duration_seconds", "gornn_serve_in_flight_requests", "gornn_serve_streams", "gornn_serve_model_version", "go_goroutines"} {
			if families[name] == nil {
				t.Errorf("no metric %s", name)
			}
		}
	})

	t.Run("busy", func(t *testing.T) {
		cfg.maxInFlight = 2
		url, s := startServer(t, cfg)
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if status, body := post(t, http.DefaultClient, url+"/v1/models/gate:hold", instances(t, "x")); status != 200 {
					t.Errorf("held request: %d %s", status, body)
				}
			}()
		}
		eventually(t, "2 requests in flight", func() bool { return s.inFlight.Load() == 2 })
		status, body := post(t, http.DefaultClient, url+predict, instances(t, "one too many"))
		if status != 503 || !strings.Contains(string(body), "2 requests in flight, the limit") {
			t.Errorf("third request: %d %s, want 503", status, body)
		}
		open()
		wg.Wait()
	})

	t.Run("draining", func(t *testing.T) {
		s.draining.Store(true)
		defer s.draining.Store(false)
		resp, err := http.Get(url + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 503 {
			t.Errorf("/readyz while draining: %d, want 503", resp.StatusCode)
		}
	})
}

// TestTimeout checks that a request past -timeout gets a 504.
func TestTimeout(t *testing.T) {
	cfg := testConfig(t, saveClassifier(t, packedConfig, 1))
	cfg.timeout = time.Nanosecond
	url, _ := startServer(t, cfg)
	status, body := post(t, http.DefaultClient, url+"/v1/models/default:predict", instances(t, "too late"))
	if status != 504 || !strings.Contains(string(body), "timed out after 1ns") {
		t.Errorf("%d %s, want 504", status, body)
	}
}

// TestStreams checks the streamed answers every streaming kind uses:
// events arrive as sent, a client that goes away stops its stream, and
// past -max-streams open streams a request gets a 429.
func TestStreams(t *testing.T) {
	gateDir, _ := gateModelDir(t)
	cfg := testConfig(t, "gate="+gateDir)
	cfg.maxStreams = 1
	url, s := startServer(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "POST", url+"/v1/models/gate:stream", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, ct)
	}
	events := bufio.NewScanner(resp.Body)
	for n := 0; n < 3; {
		if !events.Scan() {
			t.Fatalf("stream ended: %v", events.Err())
		}
		if line := events.Text(); strings.HasPrefix(line, "data: ") {
			if line != `data: {"n":`+strconv.Itoa(n)+`}` {
				t.Fatalf("event %d: %q", n, line)
			}
			n++
		}
	}
	status, body := post(t, http.DefaultClient, url+"/v1/models/gate:stream", "{}")
	if status != 429 || !strings.Contains(string(body), "1 streams open, the limit") {
		t.Errorf("second stream: %d %s, want 429", status, body)
	}
	cancel()
	resp.Body.Close()
	eventually(t, "the stream to stop after the client went away", func() bool { return s.streams.Load() == 0 })
}
