package main

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/models"
	"github.com/pkg/errors"
)

// The -serve mode compares model servers: gornn's cmd/serve against a
// FastAPI + uvicorn server running the same weights in PyTorch
// (torch_serve.py), both on loopback, driven by the same Go load
// generator. For each config (lstm and bilstm by default) and each side,
// one server process serves the model's initial weights; at each
// concurrency, that many clients, each on its own keep-alive connection,
// send one 40-token text per request in a closed loop: a warm-up, then
// the timed requests. The report gives requests/s, the client's p50 and
// p99 latency, and the servers' own time per request (their
// Server-Timing header).

//go:embed torch_serve.py
var torchServeScript []byte

// serveTexts is how many distinct 40-token texts the clients cycle
// through.
const serveTexts = 256

// serveOptions are the flags of -serve.
type serveOptions struct {
	on           bool
	concurrency  []int
	requests     int
	warmup       int
	bin          string
	torchWorkers []int // uvicorn worker processes, one PyTorch side each
}

// addServeFlags declares the flags of -serve on fs.
func addServeFlags(fs *flag.FlagSet, o *serveOptions, concurrency, torchWorkers *string) {
	fs.BoolVar(&o.on, "serve", false, "compare model servers instead: cmd/serve against FastAPI + uvicorn + PyTorch (torch_serve.py) on loopback, "+
		"one "+strconv.Itoa(latencyTokens)+"-token text per request, lstm and bilstm by default")
	fs.StringVar(concurrency, "concurrency", "1,8,64", "-serve: comma-separated numbers of concurrent clients")
	fs.IntVar(&o.requests, "serve-requests", 2000, "-serve: timed requests per concurrency, after the warm-up")
	fs.IntVar(&o.warmup, "serve-warmup", 200, "-serve: untimed requests per concurrency before the timed ones")
	fs.StringVar(&o.bin, "serve-bin", "", "-serve: the cmd/serve binary (default: built from this module with the go command)")
	fs.StringVar(torchWorkers, "torch-workers", "", "-serve: comma-separated uvicorn worker process counts, each run as a PyTorch server of its own, the fastest reported "+
		"(default: 1 and -threads); each worker runs torch on the -torch-setting's TORCH threads (default 1)")
}

// checkServe validates the -serve flags once parsed; without -configs
// (configsGiven false), -serve runs the configs of the latency mode.
func checkServe(o *options, concurrency, torchWorkers string, configsGiven bool) error {
	if !o.serve.on {
		return nil
	}
	if torchWorkers == "" {
		torchWorkers = strings.Join(slices.Compact([]string{"1", strconv.Itoa(o.threads)}), ",")
	}
	var err error
	if o.serve.concurrency, err = positiveList("-concurrency", concurrency); err != nil {
		return err
	}
	if o.serve.torchWorkers, err = positiveList("-torch-workers", torchWorkers); err != nil {
		return err
	}
	if o.serve.requests < 1 || o.serve.warmup < 0 {
		return errors.New("-serve-requests must be positive, -serve-warmup not negative")
	}
	if o.torch == nil {
		s := torchSetting{OpenBLAS: variantSystem, BLASThreads: 1, TorchThreads: 1}
		o.torch = &s
	}
	if !configsGiven {
		o.configs = slices.DeleteFunc(slices.Clone(o.configs), func(c benchConfig) bool { return !c.latency })
	}
	return nil
}

// positiveList parses flag's comma-separated positive numbers.
func positiveList(flag, list string) ([]int, error) {
	var out []int
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return nil, errors.Errorf("%s: %q is not a positive number", flag, s)
		}
		out = append(out, n)
	}
	return out, nil
}

// serverSide is one server the comparison runs: gornn's, or PyTorch's
// with workers uvicorn worker processes.
type serverSide struct {
	name    string
	workers int // PyTorch's only
}

// torchSide is the PyTorch server of workers uvicorn workers.
func torchSide(workers int) serverSide {
	return serverSide{name: fmt.Sprintf("pytorch-w%d", workers), workers: workers}
}

// serveReport is what -serve measured.
type serveReport struct {
	Setup      setup             `json:"setup"`
	Servers    map[string]string `json:"servers"` // side -> how it was run
	TorchStack json.RawMessage   `json:"torch_stack,omitempty"`
	Runs       []serveRun        `json:"runs"`
	Configs    map[string]string `json:"configs"`
}

// serveRun is one side's load at one concurrency, in one repeat.
type serveRun struct {
	Config      string    `json:"config"`
	Side        string    `json:"side"`
	Repeat      int       `json:"repeat"`
	Concurrency int       `json:"concurrency"`
	Requests    int       `json:"requests"`
	Seconds     float64   `json:"seconds"`
	LatencyMs   []float64 `json:"latency_ms"` // each timed request, as the client saw it
	ServerMs    []float64 `json:"server_ms"`  // each timed request, as the server's Server-Timing says
}

// benchServe runs the -serve comparison and prints its report.
func benchServe(o options, stdout, stderr io.Writer) error {
	s := describeMachine(o)
	data, err := prepare(o, &s)
	if err != nil {
		return err
	}
	texts, err := fortyTokenTexts(data, serveTexts)
	if err != nil {
		return err
	}
	bodies := make([][]byte, len(texts))
	for i, text := range texts {
		if bodies[i], err = json.Marshal(map[string][]string{"instances": {text}}); err != nil {
			return err
		}
	}
	s.LatencyTokens = latencyTokens
	tmp, cleanup, err := workDir(o)
	if err != nil {
		return err
	}
	defer cleanup()
	r, err := newRunner(o, tmp, stderr)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "torch_serve.py"), torchServeScript, 0o644); err != nil {
		return err
	}
	rep := serveReport{Setup: s, Servers: map[string]string{}, Configs: map[string]string{}}
	check := exec.Command(o.python, filepath.Join(tmp, "torch_serve.py"), "--check")
	if out, err := capture(check); err != nil {
		rep.Setup.PyTorchMissing = err.Error()
		fmt.Fprintf(stderr, "PyTorch server not available: %v\n", err)
	} else {
		r.torch, rep.TorchStack = true, bytes.TrimSpace(out)
		for _, w := range o.serve.torchWorkers {
			rep.Servers[torchSide(w).name] = fmt.Sprintf("FastAPI + uvicorn, %d worker processes, torch setting %s (%s)", w, o.torch, o.torch.describe())
		}
	}
	if o.serve.bin == "" {
		if o.serve.bin, err = buildServe(tmp); err != nil {
			return err
		}
	}
	rep.Servers["gornn"] = fmt.Sprintf("cmd/serve, GOMAXPROCS=%d, -workers %d, default batching", o.threads, o.threads)
	for _, c := range o.configs {
		cfg := c.model
		cfg.Labels = data.Classes
		model, err := models.New(cfg, data.Vocab, models.Options{Seed: o.seed})
		if err != nil {
			return err
		}
		dir := filepath.Join(tmp, c.name, modelDir)
		if err := model.Save(dir); err != nil {
			return err
		}
		rep.Configs[c.name] = c.String()
		first := map[string][]byte{} // each side's answer to the first text
		for rep1 := 1; rep1 <= o.repeats; rep1++ {
			sides := []serverSide{{name: "gornn"}}
			if r.torch {
				for _, w := range o.serve.torchWorkers {
					sides = append(sides, torchSide(w))
				}
			}
			if rep1%2 == 0 {
				slices.Reverse(sides)
			}
			for _, side := range sides {
				runs, answer, err := r.serveSide(side, dir, o, bodies)
				if err != nil {
					return errors.Wrapf(err, "%s, %s server", c.name, side.name)
				}
				first[side.name] = answer
				for i := range runs {
					runs[i].Config, runs[i].Repeat = c.name, rep1
				}
				rep.Runs = append(rep.Runs, runs...)
			}
		}
		for side, answer := range first {
			if err := sameAnswers(first["gornn"], answer); err != nil {
				return errors.Wrapf(err, "%s: the gornn and %s servers disagree on the first text", c.name, side)
			}
		}
	}
	writeServeReport(stdout, rep, o)
	if o.jsonOut == "" {
		return nil
	}
	out, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(o.jsonOut, append(out, '\n'), 0o644)
}

// fortyTokenTexts returns up to n distinct texts of exactly latencyTokens
// basic_english tokens: the training texts' tokens, in order, cut into runs
// of latencyTokens and joined by spaces, keeping the runs that read back
// as the same tokens.
func fortyTokenTexts(data *datasets.Prepared, n int) ([]string, error) {
	var texts, pending []string
	for _, ex := range data.TrainSource.Examples {
		pending = append(pending, data.Tokenizer.Tokenize(ex.Text)...)
		for len(pending) >= latencyTokens && len(texts) < n {
			text := strings.Join(pending[:latencyTokens], " ")
			pending = pending[latencyTokens:]
			if slices.Equal(data.Tokenizer.Tokenize(text), strings.Fields(text)) {
				texts = append(texts, text)
			}
		}
		if len(texts) == n {
			break
		}
	}
	if len(texts) == 0 {
		return nil, errors.Errorf("the training texts hold no run of %d tokens", latencyTokens)
	}
	return texts, nil
}

// buildServe builds cmd/serve into dir with the go command that built
// this program.
func buildServe(dir string) (string, error) {
	bin := filepath.Join(dir, "gornn-serve")
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := capture(exec.Command(goCmd, "build", "-o", bin, "github.com/gornn/gornn/cmd/serve")); err != nil {
		return "", errors.Wrap(err, "building cmd/serve (or give -serve-bin)")
	}
	return bin, nil
}

// serveSide starts side's server on modelDir, loads it at each
// concurrency and stops it. It also returns the server's answer to the
// first text.
func (r *runner) serveSide(side serverSide, modelDir string, o options, bodies [][]byte) ([]serveRun, []byte, error) {
	addr, err := freeAddress()
	if err != nil {
		return nil, nil, err
	}
	var cmd *exec.Cmd
	var ready string
	if side.workers == 0 {
		cmd = exec.Command(o.serve.bin, "-model", "default="+modelDir, "-addr", addr, "-workers", r.threads)
		cmd.Env = append(os.Environ(), "GOMAXPROCS="+r.threads)
		ready = "/readyz"
	} else {
		_, port, _ := net.SplitHostPort(addr)
		script := filepath.Join(filepath.Dir(r.script), "torch_serve.py")
		cmd = exec.Command(r.python, script, "--dir", modelDir, "--port", port, "--workers", strconv.Itoa(side.workers), "--threads", strconv.Itoa(o.torch.TorchThreads))
		cmd.Env = append(os.Environ(), o.torch.env(o.torch.TorchThreads)...)
		ready = "/healthz"
	}
	logPath := filepath.Join(filepath.Dir(modelDir), side.name+"-server.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, nil, err
	}
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its own group: uvicorn's workers stop with it
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer stopServer(cmd, exited)
	url := "http://" + addr
	if err := waitReady(url+ready, exited); err != nil {
		return nil, nil, errors.Wrapf(err, "log %s", logPath)
	}
	predict := url + "/v1/models/default:predict"
	first, err := postOnce(predict, bodies[0])
	if err != nil {
		return nil, nil, err
	}
	var runs []serveRun
	for _, c := range o.serve.concurrency {
		r.waitIdle()
		run, err := load(predict, bodies, c, o.serve.warmup, o.serve.requests)
		if err != nil {
			return nil, nil, errors.Wrapf(err, "concurrency %d", c)
		}
		run.Side = side.name
		runs = append(runs, run)
		fmt.Fprintf(r.log, "%s server, %d clients: %.0f requests/s, p50 %.3f ms, p99 %.3f ms\n",
			side.name, c, float64(run.Requests)/run.Seconds, percentile(run.LatencyMs, 50), percentile(run.LatencyMs, 99))
	}
	return runs, first, nil
}

// freeAddress returns a loopback address with a port free at the time.
func freeAddress() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitReady polls url until it answers 200, the server exits, or a
// minute passes.
func waitReady(url string, exited <-chan error) error {
	deadline := time.Now().Add(time.Minute)
	for {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return errors.Errorf("the server exited before it was ready: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.Errorf("%s not ready after a minute", url)
		}
	}
}

// stopServer sends SIGTERM to the server's process group, and SIGKILL
// after 30 seconds.
func stopServer(cmd *exec.Cmd, exited <-chan error) {
	syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
}

// postOnce sends body to url and returns the answer, which must be a 200.
func postOnce(url string, body []byte) ([]byte, error) {
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = errors.Errorf("%s: %s", resp.Status, answer)
	}
	return answer, err
}

// sameAnswers checks that two :predict answers give the same label and
// probabilities within 1e-4 (float32 kernels of two libraries).
func sameAnswers(a, b []byte) error {
	type answer struct {
		Predictions []models.Answer `json:"predictions"`
	}
	var x, y answer
	if err := json.Unmarshal(a, &x); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &y); err != nil {
		return err
	}
	if len(x.Predictions) != 1 || len(y.Predictions) != 1 {
		return errors.Errorf("answers %s and %s", a, b)
	}
	p, q := x.Predictions[0], y.Predictions[0]
	for label, v := range p.Probabilities {
		if w, ok := q.Probabilities[label]; !ok || math.Abs(v-w) > 1e-4 {
			return errors.Errorf("%s and %s", a, b)
		}
	}
	if p.Label != q.Label || len(p.Probabilities) != len(q.Probabilities) {
		return errors.Errorf("%s and %s", a, b)
	}
	return nil
}

// load sends warmup and then requests timed POSTs of bodies (cycled) to
// url from concurrency clients in a closed loop, each client on its own
// keep-alive connection. Every answer must be a 200.
func load(url string, bodies [][]byte, concurrency, warmup, requests int) (serveRun, error) {
	transport := &http.Transport{MaxIdleConnsPerHost: concurrency, MaxConnsPerHost: concurrency, DisableCompression: true}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: time.Minute}
	if _, _, _, err := closedLoop(client, url, bodies, concurrency, warmup); err != nil {
		return serveRun{}, errors.Wrap(err, "warm-up")
	}
	latency, server, seconds, err := closedLoop(client, url, bodies, concurrency, requests)
	return serveRun{Concurrency: concurrency, Requests: requests, Seconds: seconds, LatencyMs: latency, ServerMs: server}, err
}

// closedLoop has concurrency clients send n requests in all, each sending
// its next once its last is answered, and returns each request's latency
// and server time in milliseconds and the wall time in seconds.
func closedLoop(client *http.Client, url string, bodies [][]byte, concurrency, n int) (latency, server []float64, seconds float64, err error) {
	latency, server = make([]float64, n), make([]float64, n)
	var next atomic.Int64
	var failed sync.Once
	var wg sync.WaitGroup
	start := time.Now()
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				sent := time.Now()
				ms, rerr := request(client, url, bodies[i%len(bodies)])
				if rerr != nil {
					failed.Do(func() { err = errors.Wrapf(rerr, "request %d", i+1) })
					next.Store(int64(n)) // stop every client
					return
				}
				latency[i], server[i] = float64(time.Since(sent).Nanoseconds())/1e6, ms
			}
		}()
	}
	wg.Wait()
	return latency, server, time.Since(start).Seconds(), err
}

// request sends one request and returns the server's time from its
// Server-Timing header ("app;dur=0.412").
func request(client *http.Client, url string, body []byte) (float64, error) {
	resp, err := client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil && resp.StatusCode != http.StatusOK {
		err = errors.Errorf("%s: %s", resp.Status, answer)
	}
	if err != nil {
		return 0, err
	}
	_, dur, ok := strings.Cut(resp.Header.Get("Server-Timing"), "dur=")
	ms, perr := strconv.ParseFloat(dur, 64)
	if !ok || perr != nil {
		return 0, errors.Errorf("no Server-Timing duration in %q", resp.Header.Get("Server-Timing"))
	}
	return ms, nil
}

// writeServeReport prints the -serve report in Markdown: per config and
// concurrency, gornn's requests/s (median over the repeats), the p50 and
// p99 of the requests of all repeats and the server's own p50, the same
// for the fastest PyTorch server (by requests/s) and the ratios.
func writeServeReport(w io.Writer, rep serveReport, o options) {
	s := rep.Setup
	fmt.Fprintf(w, "## gornn vs PyTorch: serving\n\n")
	fmt.Fprintf(w, "- Machine: %s, %d CPUs (nproc), %s\n", s.CPU, s.NumCPU, s.Platform)
	fmt.Fprintf(w, "- gornn: %s, %s\n", s.Go, rep.Servers["gornn"])
	if rep.TorchStack != nil {
		fmt.Fprintf(w, "- PyTorch: %s; FastAPI + uvicorn with %v worker processes (each a server of its own; the fastest at each concurrency is shown), "+
			"torch setting %s (%s)\n", rep.TorchStack, o.serve.torchWorkers, o.torch, o.torch.describe())
	} else {
		fmt.Fprintf(w, "- PyTorch server not available: %s\n", strings.ReplaceAll(s.PyTorchMissing, "\n", " | "))
	}
	fmt.Fprintf(w, "- Load: a Go closed-loop client on loopback, each client on its own keep-alive connection; one %d-token text per request "+
		"(%d distinct texts from %s, rows %s), %d untimed then %d timed requests per concurrency, %d runs per server, the servers alternating\n",
		latencyTokens, serveTexts, s.Data, s.TrainRows, o.serve.warmup, o.serve.requests, o.repeats)
	fmt.Fprintf(w, "- Latency as the client sees it, p50 and p99 over the requests of all runs; server: the server's own time per request (its Server-Timing header), p50\n\n")
	fmt.Fprintln(w, "| config | clients | gornn req/s | gornn p50 ms | gornn p99 ms | gornn server p50 ms | PyTorch workers | PyTorch req/s | PyTorch p50 ms | PyTorch p99 ms | PyTorch server p50 ms | req/s gornn/PyTorch | p99 PyTorch/gornn |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, c := range o.configs {
		for _, n := range o.serve.concurrency {
			g := pickRuns(rep.Runs, c.name, "gornn", n)
			var p []serveRun
			workers := "—"
			for _, tw := range o.serve.torchWorkers {
				if runs := pickRuns(rep.Runs, c.name, torchSide(tw).name, n); len(runs) > 0 && (p == nil || rate(runs) > rate(p)) {
					p, workers = runs, strconv.Itoa(tw)
				}
			}
			cells := append([]string{c.name, strconv.Itoa(n)}, serveCells(g)...)
			cells = append(append(cells, workers), serveCells(p)...)
			if len(g) > 0 && len(p) > 0 {
				cells = append(cells, fmt.Sprintf("%.1f", rate(g)/rate(p)),
					fmt.Sprintf("%.1f", percentile(allMs(p, false), 99)/percentile(allMs(g, false), 99)))
			} else {
				cells = append(cells, "—", "—")
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
		}
	}
	fmt.Fprintln(w)
	for _, c := range o.configs {
		fmt.Fprintf(w, "- %s: %s\n", c.name, rep.Configs[c.name])
	}
}

// pickRuns returns the runs of config and side at n clients.
func pickRuns(runs []serveRun, config, side string, n int) []serveRun {
	var out []serveRun
	for _, r := range runs {
		if r.Config == config && r.Side == side && r.Concurrency == n {
			out = append(out, r)
		}
	}
	return out
}

// serveCells formats requests/s, p50, p99 and server p50 of runs.
func serveCells(runs []serveRun) []string {
	if len(runs) == 0 {
		return []string{"—", "—", "—", "—"}
	}
	latency, server := allMs(runs, false), allMs(runs, true)
	return []string{thousands(rate(runs)), fmt.Sprintf("%.3f", percentile(latency, 50)), fmt.Sprintf("%.3f", percentile(latency, 99)), fmt.Sprintf("%.3f", percentile(server, 50))}
}

// rate is the median requests/s of runs.
func rate(runs []serveRun) float64 {
	rates := make([]float64, len(runs))
	for i, r := range runs {
		rates[i] = float64(r.Requests) / r.Seconds
	}
	return median(rates)
}

// allMs returns the latencies (or server times) of every request of runs.
func allMs(runs []serveRun, server bool) []float64 {
	var ms []float64
	for _, r := range runs {
		if server {
			ms = append(ms, r.ServerMs...)
		} else {
			ms = append(ms, r.LatencyMs...)
		}
	}
	return ms
}
