package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// buildDir holds the binaries the tests build; TestMain removes it.
var buildDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gornn-serve-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildCommand returns a function that builds cmd/NAME once and returns
// the binary's path.
func buildCommand(name string) func() (string, error) {
	return sync.OnceValues(func() (string, error) {
		bin := filepath.Join(buildDir, name)
		out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "github.com/gornn/gornn/cmd/"+name).CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("building cmd/%s: %v\n%s", name, err, out)
		}
		return bin, nil
	})
}

// predictCommand builds cmd/predict once and returns the binary's path.
var predictCommand = buildCommand("predict")

// testTexts returns n texts of 0 to 40 words, drawn from seed.
func testTexts(n int, seed uint64) []string {
	words := strings.Fields("the match was not good at all but the food was very good and the film was bad , zzz unknownword !")
	rng := rand.New(rand.NewPCG(seed, 1))
	texts := make([]string, n)
	for i := range texts {
		k := rng.IntN(41)
		picked := make([]string, k)
		for j := range picked {
			picked[j] = words[rng.IntN(len(words))]
		}
		texts[i] = strings.Join(picked, " ")
	}
	return texts
}

// TestPredictMatchesCmdPredict checks that :predict answers, byte for
// byte, what cmd/predict -json prints for the same texts, for a model
// whose rows are independent of their batch and for a padded one, over
// more texts than one of Predict's batches.
func TestPredictMatchesCmdPredict(t *testing.T) {
	bin, err := predictCommand()
	if err != nil {
		t.Fatal(err)
	}
	texts := testTexts(70, 3)
	for _, cfg := range []struct {
		name string
		dir  string
	}{{"packed", saveClassifier(t, packedConfig, 2)}, {"padded", saveClassifier(t, paddedConfig, 2)}} {
		t.Run(cfg.name, func(t *testing.T) {
			cmd := exec.Command(bin, "-model", cfg.dir, "-json")
			cmd.Stdin = strings.NewReader(strings.Join(texts, "\n") + "\n")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("cmd/predict: %v", err)
			}
			want := strings.Split(strings.TrimSpace(string(out)), "\n")
			url, _ := startServer(t, testConfig(t, cfg.dir))
			status, body := post(t, http.DefaultClient, url+"/v1/models/default:predict", instances(t, texts...))
			if status != 200 {
				t.Fatalf("%d %s", status, body)
			}
			var answer struct {
				Predictions []json.RawMessage `json:"predictions"`
			}
			if err := json.Unmarshal(body, &answer); err != nil {
				t.Fatal(err)
			}
			if len(answer.Predictions) != len(want) {
				t.Fatalf("%d predictions, cmd/predict printed %d", len(answer.Predictions), len(want))
			}
			for i, got := range answer.Predictions {
				if string(got) != want[i] {
					t.Errorf("text %d:\nserve   %s\npredict %s", i, got, want[i])
				}
			}
		})
	}
}

// TestConcurrentClients sends 2,000 mixed requests from 64 clients at once
// to two models (one padded) and checks that each gets exactly the answer
// it gets alone, and the mixed-in bad requests their errors. Run it under
// -race. The client timeout only guards against a hang.
func TestConcurrentClients(t *testing.T) {
	const clients, requests, distinct = 64, 2000, 200
	cfg := testConfig(t, "packed="+saveClassifier(t, packedConfig, 4), "padded="+saveClassifier(t, paddedConfig, 4))
	cfg.batching.maxBatch = 16
	cfg.limits.maxTokens = 38
	url, _ := startServer(t, cfg)
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}

	rng := rand.New(rand.NewPCG(5, 5))
	pool := make([]recorded, distinct)
	for i := range pool {
		model := []string{"packed", "padded"}[i%2]
		path, body := url+"/v1/models/"+model+":predict", ""
		switch i % 10 {
		case 7:
			body = `{"instances": ["unfinished`
		case 8:
			path = url + "/v1/models/nope:predict"
			body = instances(t, "x")
		default:
			body = instances(t, testTexts(1+rng.IntN(6), uint64(i))...)
		}
		pool[i] = record(t, client, path, body)
	}
	statuses := map[int]int{}
	for _, r := range pool {
		statuses[r.status]++
	}
	if statuses[200] == 0 || statuses[400] == 0 || statuses[404] == 0 || statuses[422] == 0 {
		t.Fatalf("the requests alone answered %v: want some 200, 400, 404 and 422", statuses)
	}
	replay(t, client, clients, requests, pool)
	logBatches(t, url)
}
