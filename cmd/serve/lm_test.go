package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gornn/gornn/models"
)

// event is one Server-Sent Event.
type event struct {
	name, data string
}

// nextEvent reads the next event of a stream; false at its end.
func nextEvent(t testing.TB, lines *bufio.Scanner) (event, bool) {
	t.Helper()
	var e event
	for lines.Scan() {
		line := lines.Text()
		switch {
		case line == "" && e.name != "":
			return e, true
		case strings.HasPrefix(line, "event: "):
			e.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			e.data = strings.TrimPrefix(line, "data: ")
		}
	}
	if err := lines.Err(); err != nil {
		t.Fatalf("reading the stream: %v", err)
	}
	return e, false
}

// generateStream posts a streamed :generate request and returns its
// status, content type and events.
func generateStream(t testing.TB, url, body string) (int, string, []event) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var events []event
	lines := bufio.NewScanner(resp.Body)
	for e, ok := nextEvent(t, lines); ok; e, ok = nextEvent(t, lines) {
		events = append(events, e)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), events
}

// TestLanguageModelMatchesCommands checks that a language model's
// :predict answers what cmd/predict -json prints, and its :generate what
// cmd/generate -json prints for the same settings; and that a streamed
// generation sends, token by token, the same generation it answers
// without streaming.
func TestLanguageModelMatchesCommands(t *testing.T) {
	dir := saveLanguageModel(t, false)
	url, s := startServer(t, testConfig(t, dir))
	t.Run("predict", func(t *testing.T) {
		texts := testTexts(70, 5)
		want := commandLines(t, predictCommand, texts, "-model", dir, "-json")
		sameLines(t, predictions(t, url+"/v1/models/default:predict", instances(t, texts...)), want)
	})
	generations := []struct {
		name   string
		flags  []string
		fields map[string]any
	}{
		{"defaults", []string{"-prompt", ""}, map[string]any{}},
		{"greedy", []string{"-prompt", "the", "-temperature", "0", "-n", "30"}, map[string]any{"prompt": "the", "temperature": 0, "max_tokens": 30}},
		{"sampled", []string{"-prompt", "stocks <b>", "-temperature", "0.7", "-top-k", "12", "-top-p", "0.9", "-seed", "42", "-n", "60"},
			map[string]any{"prompt": "stocks <b>", "temperature": 0.7, "top_k": 12, "top_p": 0.9, "seed": 42, "max_tokens": 60}},
		{"large seed", []string{"-seed", "18446744073709551615", "-n", "20"}, map[string]any{"seed": uint64(18446744073709551615), "max_tokens": 20}},
	}
	tokens := 0
	for _, g := range generations {
		t.Run("generate "+g.name, func(t *testing.T) {
			want := commandLines(t, generateCommand, nil, append([]string{"-model", dir, "-json"}, g.flags...)...)
			status, answer := post(t, http.DefaultClient, url+"/v1/models/default:generate", jsonBody(t, g.fields))
			if status != 200 || len(want) != 1 || !sameJSON(answer, []byte(want[0])) {
				t.Fatalf("serve: %d %s\ncmd/generate: %s", status, answer, want)
			}
			var gen models.GenerationAnswer
			if err := json.Unmarshal(answer, &gen); err != nil {
				t.Fatal(err)
			}
			tokens += 2 * len(gen.Tokens) // streamed below too

			g.fields["stream"] = true
			status, contentType, events := generateStream(t, url+"/v1/models/default:generate", jsonBody(t, g.fields))
			if status != 200 || contentType != "text/event-stream" || len(events) != len(gen.Tokens)+1 {
				t.Fatalf("stream: %d %s, %d events, want %d tokens and done: %v", status, contentType, len(events), len(gen.Tokens), events)
			}
			var text strings.Builder
			for i, e := range events[:len(gen.Tokens)] {
				var tok tokenEvent
				if err := json.Unmarshal([]byte(e.data), &tok); err != nil || e.name != "token" || tok.Token != gen.Tokens[i].Token || tok.LogProb != gen.Tokens[i].LogProb {
					t.Errorf("event %d: %s %s (%v), want token %+v", i, e.name, e.data, err, gen.Tokens[i])
				}
				text.WriteString(tok.Text)
			}
			if done := events[len(events)-1]; done.name != "done" || done.data+"\n" != string(answer) || text.String() != gen.Text {
				t.Errorf("streamed %q, then %s %s\nwithout streaming: %s", text.String(), done.name, done.data, answer)
			}
		})
	}
	if got := metricValue(scrape(t, url), "gornn_serve_generated_tokens_total", "model", "default"); got != float64(tokens) {
		t.Errorf("gornn_serve_generated_tokens_total %v, want %d", got, tokens)
	}
	if n := s.streams.Load(); n != 0 {
		t.Errorf("%d streams open after they all ended", n)
	}
}

// TestLanguageModelRoutes checks a language model's routes, limits and
// errors.
func TestLanguageModelRoutes(t *testing.T) {
	cfg := testConfig(t, "lm="+saveLanguageModel(t, false))
	cfg.limits = limits{maxInstances: 3, maxTokens: 12}
	url, _ := startServer(t, cfg)
	predict, generate := "/v1/models/lm:predict", "/v1/models/lm:generate"
	checkCalls(t, url, []callCase{
		{"status", "GET", "/v1/models/lm", "", 200, `"methods":["generate","predict"]`},
		{"status has the config", "GET", "/v1/models/lm", "", 200, `"format":"gornn-lm/1"`},
		{"predict", "POST", predict, `{"instances": ["go", ""]}`, 200, `{"predictions":[{"text":"go","perplexity":`},
		{"the end-of-text token", "POST", predict, `{"instances": [""]}`, 200, `"tokens":[{"token":"\u003ceos\u003e","logprob":`},
		{"too many tokens", "POST", predict, instances(t, "go", "thirteen char"), 422, "instances[1] has 13 tokens, over the limit of 12"},
		{"too many instances", "POST", predict, instances(t, "a", "b", "c", "d"), 422, "4 instances, over the limit of 3"},
		{"generate", "POST", generate, `{"prompt": "the", "max_tokens": 3}`, 200, `{"prompt":"the","text":`},
		{"settings left out", "POST", generate, `{}`, 200, `"seed":1}`},
		{"max_tokens 0", "POST", generate, `{"max_tokens": 0}`, 400, "max_tokens 0: want at least 1"},
		{"max_tokens over the limit", "POST", generate, `{"max_tokens": 13}`, 422, "max_tokens 13, over the limit of 12"},
		{"prompt over the limit", "POST", generate, `{"prompt": "thirteen char"}`, 422, "the prompt has 13 tokens, over the limit of 12"},
		{"prompt unknown", "POST", generate, `{"prompt": "日本"}`, 422, `the prompt \"日本\" has no char token in the vocabulary`},
		{"negative temperature", "POST", generate, `{"temperature": -1}`, 400, "temperature -1 must be a number"},
		{"top_p over 1", "POST", generate, `{"top_p": 1.5}`, 400, "top-p 1.5 not in (0, 1]"},
		{"negative top_k", "POST", generate, `{"top_k": -2}`, 400, "top-k -2 must not be negative"},
		{"negative seed", "POST", generate, `{"seed": -1}`, 400, "seed is a JSON number -1, want a number"},
		{"stream of the wrong type", "POST", generate, `{"stream": "yes"}`, 400, "stream is a JSON string, want true or false"},
		{"unknown field", "POST", generate, `{"prompt": "a", "stop": "."}`, 400, `unknown field \"stop\"`},
		{"instances", "POST", generate, `{"instances": ["a"]}`, 400, `unknown field \"instances\"`},
		{"malformed", "POST", generate, `{"prompt": `, 400, "truncated JSON"},
		{"generate by GET", "GET", generate, "", 405, "want POST"},
	})
}

// TestGenerateStreamStops checks that a client that goes away stops its
// generation, and that past -max-streams open streams a stream gets a
// 429, with a model that never ends a text by itself.
func TestGenerateStreamStops(t *testing.T) {
	cfg := testConfig(t, "lm="+saveLanguageModel(t, true))
	cfg.maxStreams = 1
	cfg.limits.maxTokens = models.MaxGenerateTokens
	url, s := startServer(t, cfg)
	generate := url + "/v1/models/lm:generate"
	endless := `{"prompt": "the", "max_tokens": ` + strconv.Itoa(models.MaxGenerateTokens) + `, "stream": true}`

	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "POST", generate, strings.NewReader(endless))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(resp.Body)
	for range 3 {
		if e, ok := nextEvent(t, lines); !ok || e.name != "token" {
			t.Fatalf("event %+v (%v), want a token", e, ok)
		}
	}
	status, body := post(t, http.DefaultClient, generate, endless)
	if status != 429 || !strings.Contains(string(body), "1 streams open, the limit") {
		t.Errorf("a second stream: %d %s, want 429", status, body)
	}
	if status, body := post(t, http.DefaultClient, generate, `{"prompt": "the", "max_tokens": 5}`); status != 200 {
		t.Errorf("a generation without streaming beside the stream: %d %s", status, body)
	}
	cancel()
	resp.Body.Close()
	eventually(t, "the stream to stop after the client went away", func() bool { return s.streams.Load() == 0 })
	families := scrape(t, url)
	n := metricValue(families, "gornn_serve_generated_tokens_total")
	t.Logf("%v tokens generated before the generation stopped", n)
	if n >= models.MaxGenerateTokens {
		t.Errorf("%v tokens generated: the generation ran on after the client went away", n)
	}
	if n := metricValue(families, "gornn_serve_requests_total", "route", "generate", "status", "499"); n != 1 {
		t.Errorf("%v generations logged as cut off by the client (499), want 1", n)
	}
}

// TestGenerateTimeout checks -timeout on :generate: an answer not started
// is a 504, a stream started ends with an "error" event saying why.
func TestGenerateTimeout(t *testing.T) {
	cfg := testConfig(t, "lm="+saveLanguageModel(t, true))
	cfg.limits.maxTokens = models.MaxGenerateTokens
	cfg.timeout = time.Nanosecond
	url, _ := startServer(t, cfg)
	for _, body := range []string{`{"max_tokens": 5}`, `{"max_tokens": 5, "stream": true}`} {
		if status, answer := post(t, http.DefaultClient, url+"/v1/models/lm:generate", body); status != 504 || !strings.Contains(string(answer), "timed out after 1ns") {
			t.Errorf("%s: %d %s, want 504", body, status, answer)
		}
	}

	// 50 ms is ample for the stream to start (the first token comes
	// within a millisecond) and short of its 100,000 tokens (this model
	// makes about 100 a millisecond); were it slower to start, it would
	// get the 504 instead.
	cfg.timeout = 50 * time.Millisecond
	url, _ = startServer(t, cfg)
	endless := `{"max_tokens": ` + strconv.Itoa(models.MaxGenerateTokens) + `, "stream": true}`
	resp, err := http.Post(url+"/v1/models/lm:generate", "application/json", strings.NewReader(endless))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == 504 {
		t.Skip("the stream timed out before it started")
	}
	lines := bufio.NewScanner(resp.Body)
	last, n := event{}, 0
	for e, ok := nextEvent(t, lines); ok; e, ok = nextEvent(t, lines) {
		last, n = e, n+1
	}
	if rest, _ := io.ReadAll(resp.Body); last.name != "error" || last.data != `{"error":"timed out after 50ms (-timeout)"}` || len(rest) > 0 {
		t.Errorf("the stream's last event of %d: %+v, then %q; want the timeout's error", n, last, rest)
	}
}
