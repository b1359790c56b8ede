package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	gmetrics "github.com/gornn/gornn/metrics"
	"github.com/gornn/gornn/models"
	"gorgonia.org/tensor"
)

// The test models of the other kinds than the classifier: untrained, small,
// saved into a new folder whose path the helper returns.

// saveTagger saves an IOB2 tagger with character features over the words
// of testTexts, with a CRF when crf.
func saveTagger(t testing.TB, crf bool) string {
	t.Helper()
	words := strings.Fields("the match was not good at all but the food was very good")
	vocab, err := datasets.VocabFromTokens([][]string{words}, datasets.VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var letters [][]string
	for _, w := range words {
		letters = append(letters, strings.Split(w, ""))
	}
	chars, err := datasets.VocabFromTokens(letters, datasets.VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tags, err := datasets.NewTagSet([]string{"B-LOC", "B-PER", "I-LOC", "I-PER", "O"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := models.TaggerConfig{Cell: graph.LSTM, EmbedDim: 6, HiddenSize: 5, CRF: crf, Scheme: gmetrics.IOB2, Constrained: crf, CharDim: 3, CharHidden: 2, MaxWordChars: 8}
	m, err := models.NewTagger(cfg, vocab, tags, chars, models.Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	return save(t, m)
}

// saveLanguageModel saves a character LSTM language model over the
// built-in dataset's characters; an endless one never ends a text (its
// end-of-text token can never be drawn), so that it generates as many
// tokens as asked.
func saveLanguageModel(t testing.TB, endless bool) string {
	t.Helper()
	corpus := datasets.CorpusOf(datasets.Builtin(30, 1))
	tok, err := datasets.NewTokenizer(datasets.CharTokenizer)
	if err != nil {
		t.Fatal(err)
	}
	vocab, err := datasets.BuildCorpusVocab(corpus, tok, []string{datasets.BOSToken, datasets.EOSToken}, datasets.VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := models.NewLanguageModel(models.LMConfig{Cell: graph.LSTM, EmbedDim: 6, HiddenSize: 5, BOSToken: datasets.BOSToken}, vocab, models.LMOptions{Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	if endless {
		bias := make([]float64, vocab.Len())
		bias[vocab.ID(datasets.EOSToken)] = -1e4 // exp underflows to 0
		if err := m.Params().SetValues("decoder.bias", tensor.Shape{vocab.Len()}, bias); err != nil {
			t.Fatal(err)
		}
	}
	return save(t, m)
}

// saveSeq2Seq saves a letters-to-phonemes model with additive attention
// and a source limit of 8 letters.
func saveSeq2Seq(t testing.TB) string {
	t.Helper()
	p := &datasets.Parallel{Path: "words", Pairs: []datasets.Pair{{Source: "cat", Target: "K AE T"}, {Source: "dog", Target: "D AO G", Group: 1}, {Source: "bird", Target: "B ER D", Group: 2}}}
	chars, _ := datasets.NewTokenizer(datasets.CharTokenizer)
	phonemes, _ := datasets.NewTokenizer(datasets.WhitespaceTokenizer)
	src, tgt, err := datasets.BuildParallelVocabs(p, chars, phonemes, datasets.VocabOptions{}, datasets.VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := models.Seq2SeqConfig{Cell: graph.LSTM, EmbedDim: 4, EncoderHidden: 5, Bidirectional: true, InputFeeding: true, MaxSourceLen: 8}
	m, err := models.NewSeq2Seq(cfg, src, tgt, models.Options{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	return save(t, m)
}

// save saves m into a new folder and returns it.
func save(t testing.TB, m interface{ Save(dir string) error }) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "model")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// testWords returns n words of 1 to 8 letters, drawn from seed, some with
// a capital letter (outside the test seq2seq model's vocabulary).
func testWords(n int, seed uint64) []string {
	rng := rand.New(rand.NewPCG(seed, 2))
	words := make([]string, n)
	for i := range words {
		b := make([]byte, 1+rng.IntN(8))
		for j := range b {
			b[j] = "abcdgiortAT"[rng.IntN(11)]
		}
		words[i] = string(b)
	}
	return words
}

// jsonBody returns v as JSON.
func jsonBody(t testing.TB, v any) string {
	t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// generateCommand builds cmd/generate once and returns the binary's path.
var generateCommand = buildCommand("generate")

// commandLines runs a command built by build with args, texts one a line
// on its standard input, and returns its output lines.
func commandLines(t testing.TB, build func() (string, error), texts []string, args ...string) []string {
	t.Helper()
	bin, err := build()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(strings.Join(texts, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %q: %v", filepath.Base(bin), args, err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
}

// predictions posts body to url, a :predict route, and returns the
// predictions of its 200 answer.
func predictions(t testing.TB, url, body string) []json.RawMessage {
	t.Helper()
	status, answer := post(t, http.DefaultClient, url, body)
	if status != 200 {
		t.Fatalf("%d %s", status, answer)
	}
	var response predictResponse[json.RawMessage]
	if err := json.Unmarshal(answer, &response); err != nil {
		t.Fatal(err)
	}
	return response.Predictions
}

// sameJSON reports whether a and b are the same JSON value: the same
// strings and the same numbers (a float64 prints so that it parses back
// to the same bits), whatever the escaping (cmd/predict and
// cmd/generate leave "<" as it is, the server writes \u003c).
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// sameLines checks each prediction against the command's line of the
// same index.
func sameLines(t *testing.T, got []json.RawMessage, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d predictions, the command printed %d lines", len(got), len(want))
	}
	for i := range got {
		if !sameJSON(got[i], []byte(want[i])) {
			t.Errorf("text %d:\nserve   %s\ncommand %s", i, got[i], want[i])
		}
	}
}

// callCase is a request and what its answer must be.
type callCase struct {
	name, method, path, body string
	status                   int
	want                     string // in the answer
}

// checkCalls sends each case's request to url and checks its answer's
// status and text, that an error is {"error": ...} JSON, that a 405 says
// what is allowed, and that every answer has its Server-Timing and
// X-Request-Id headers.
func checkCalls(t *testing.T, url string, cases []callCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, url+c.path, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != c.status || !strings.Contains(string(body), c.want) {
				t.Errorf("%s %s %s: %d %s\nwant %d with %s", c.method, c.path, c.body, resp.StatusCode, body, c.status, c.want)
			}
			if c.status >= 400 {
				var e errorBody
				if err := json.Unmarshal(body, &e); err != nil || e.Error == "" || resp.Header.Get("Content-Type") != "application/json" {
					t.Errorf("error answer %q (%s) is not {\"error\": ...} JSON", body, resp.Header.Get("Content-Type"))
				}
			}
			if !strings.HasPrefix(resp.Header.Get("Server-Timing"), "app;dur=") || resp.Header.Get("X-Request-Id") == "" {
				t.Errorf("headers %v: want Server-Timing and X-Request-Id", resp.Header)
			}
			if c.status == 405 && resp.Header.Get("Allow") == "" {
				t.Error("405 without an Allow header")
			}
		})
	}
}

// TestKindsConcurrentClients sends 600 mixed requests from 24 clients at
// once to a tagger, a language model (scores, generations and streamed
// generations) and a sequence-to-sequence model, and checks that each
// gets exactly the answer it gets alone, byte for byte. Run it under
// -race. The client timeout only guards against a hang.
func TestKindsConcurrentClients(t *testing.T) {
	const clients, requests, distinct = 24, 600, 60
	cfg := testConfig(t, "tag="+saveTagger(t, true), "lm="+saveLanguageModel(t, false), "s2s="+saveSeq2Seq(t))
	cfg.batching.maxBatch = 8
	url, _ := startServer(t, cfg)
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}

	rng := rand.New(rand.NewPCG(6, 6))
	pool := make([]recorded, distinct)
	for i := range pool {
		var path, body string
		switch i % 6 {
		case 0:
			path, body = "tag:predict", instances(t, testTexts(1+rng.IntN(5), uint64(i))...)
		case 1:
			path, body = "lm:predict", instances(t, testTexts(1+rng.IntN(5), uint64(i))...)
		case 2:
			path, body = "s2s:predict", instances(t, testWords(1+rng.IntN(5), uint64(i))...)
		case 3:
			path, body = "s2s:predict", jsonBody(t, map[string]any{"instances": testWords(1+rng.IntN(3), uint64(i)), "beam": 3, "nbest": 2, "alpha": 0.6})
		case 4:
			path, body = "lm:generate", fmt.Sprintf(`{"prompt": "the", "max_tokens": %d, "seed": %d, "top_k": 5}`, 1+rng.IntN(30), i)
		case 5:
			path, body = "lm:generate", fmt.Sprintf(`{"prompt": "a", "max_tokens": %d, "seed": %d, "stream": true}`, 1+rng.IntN(30), i)
		}
		if pool[i] = record(t, client, url+"/v1/models/"+path, body); pool[i].status != 200 {
			t.Fatalf("%s %s alone: %d %s", path, body, pool[i].status, pool[i].answer)
		}
	}
	replay(t, client, clients, requests, pool)
	logBatches(t, url)
}
