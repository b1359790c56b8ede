// Command serve answers HTTP requests with the models of gornn model
// directories, in TensorFlow Serving's REST shape:
//
//	go run ./cmd/serve -model runs/X/best -addr 127.0.0.1:8080
//	curl -s localhost:8080/v1/models/default:predict -d '{"instances": ["stocks fell sharply"]}'
//
// Each -model is DIR (served as "default") or NAME=DIR; the "format" of the
// directory's config.json picks the kind of model, and with it the methods
// the model answers:
//
//	gornn-classifier/1  :predict  a label per text
//	gornn-tagger/1      :predict  a tag per token, the text split on white space
//	gornn-seq2seq/1     :predict  the outputs of each text, with the request's
//	                              "beam", "nbest", "alpha" and "max_len_ratio"
//	                              (cmd/predict's flags; beam at most 16,
//	                              max_len_ratio at most 10)
//	gornn-lm/1          :predict  each text's perplexity and token log-probabilities
//	                    :generate a continuation of a prompt
//
// Routes:
//
//	GET  /v1/models                 the models served, with their versions
//	GET  /v1/models/NAME            the model's status and config.json
//	POST /v1/models/NAME:predict    {"instances": ["text", ...]} -> {"predictions": [...]},
//	                                each prediction as cmd/predict -json prints it
//	POST /v1/models/NAME:generate   {"prompt", "max_tokens", "temperature", "top_k",
//	                                "top_p", "seed", "stream"} -> the generation as
//	                                cmd/generate -json prints it; with "stream": true,
//	                                Server-Sent Events: "token" as each token is
//	                                sampled, then "done" with the same answer
//	GET  /healthz                   200 while the process runs
//	GET  /readyz                    200 once the models are loaded, 503 while shutting down
//	GET  /metrics                   Prometheus metrics
//
// Errors are {"error": "..."} with the status that says why: 400 for a
// malformed body, 404 for an unknown model, route or method, 405 for a
// wrong HTTP method, 413 for a body over -max-body, 422 for too many
// instances or tokens (a text's, a prompt's, max_tokens; -max-tokens) or
// for a text the model cannot read, 429 when -max-streams streams are
// open, 503 when -max-in-flight requests are being answered (and from
// /readyz while the server shuts down), 504 past -timeout.
//
// Every answer carries an X-Request-Id header (the client's, when it sent
// a valid one) and a Server-Timing header, the milliseconds from the
// request's arrival to its answer ("app;dur=0.412").
//
// Requests that arrive together are merged into batches of at most
// -max-batch texts of similar length (a dynamic batcher, like Triton's),
// each text's answer identical, bit for bit, to the one it gets alone;
// :generate runs per request, at most -workers at once per model (more
// wait), and a client that goes away stops its generation.
//
// SIGTERM or SIGINT stops accepting connections, finishes the requests in
// flight (up to -shutdown-timeout; a second signal cuts them off) and
// exits. SIGHUP reloads every model directory: requests in flight finish
// on the old model, and a directory that fails to load leaves its old
// model serving (and is logged). Logs are JSON lines (log/slog) on
// standard error, one per request with its id, model, status, rows and
// latency.
//
// Exit status: 0 after a clean shutdown, 1 on a runtime failure (a model
// that does not load at start, an address in use, requests cut off at the
// shutdown timeout), 2 for bad usage.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/gornn/gornn/internal/gctarget"
	"github.com/gornn/gornn/models"
	"github.com/pkg/errors"
)

func main() {
	gctarget.Set()
	os.Exit(run(os.Args[1:], os.Stderr, nil))
}

// kinds are the kinds of model served, by config.json format; a kind is
// one file (classify.go, tag.go, seq2seq.go, lm.go).
var kinds = map[string]loader{
	models.FormatV1:        loadClassifier,
	models.TaggerFormatV1:  loadTagger,
	models.LMFormatV1:      loadLanguageModel,
	models.Seq2SeqFormatV1: loadSeq2Seq,
}

// config is the server's configuration, from its flags.
type config struct {
	models          []modelDir
	addr            string
	batching        batching
	limits          limits
	maxBody         int64
	timeout         time.Duration
	maxInFlight     int
	maxStreams      int
	shutdownTimeout time.Duration
}

// batching configures each model's dynamic batcher.
type batching struct {
	maxBatch int           // rows (texts) of a batch
	maxWait  time.Duration // the longest a row waits for others
	workers  int           // batches run at once
}

// modelDir is one -model flag: a model name and its directory.
type modelDir struct {
	name, dir string
}

// defaultModel is the name of a -model given without NAME=, as in
// TensorFlow Serving.
const defaultModel = "default"

// modelName is what a model name may hold: it appears in URLs and logs.
var modelName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// modelFlags collects the -model flags.
type modelFlags []modelDir

func (f *modelFlags) String() string { return "" }

// Set parses DIR or NAME=DIR.
func (f *modelFlags) Set(value string) error {
	name, dir, named := strings.Cut(value, "=")
	if !named {
		name, dir = defaultModel, value
	}
	switch {
	case dir == "":
		return errors.Errorf("%q: no directory", value)
	case !modelName.MatchString(name):
		return errors.Errorf("model name %q: want 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	for _, m := range *f {
		if m.name == name {
			return errors.Errorf("model name %q given twice", name)
		}
	}
	*f = append(*f, modelDir{name, dir})
	return nil
}

// parseFlags reads the command line; a non-negative code means exit with it.
func parseFlags(args []string, stderr io.Writer) (config, int) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var dirs modelFlags
	var cfg config
	fs.Var(&dirs, "model", "model directory to serve, DIR (named \"default\") or NAME=DIR; repeat for several (required)")
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.IntVar(&cfg.batching.maxBatch, "max-batch", 64, "most texts a batch holds")
	fs.DurationVar(&cfg.batching.maxWait, "max-wait", 2*time.Millisecond, "longest a text waits for requests already received to join its batch")
	fs.IntVar(&cfg.batching.workers, "workers", runtime.GOMAXPROCS(0), "batches of one model, and generations of a language model, run at once")
	fs.IntVar(&cfg.limits.maxInstances, "max-instances", 256, "most instances a request holds (422 past it)")
	fs.IntVar(&cfg.limits.maxTokens, "max-tokens", 512, "most tokens a text has, after the model's own max_len, and a language model generates per request (422 past it)")
	fs.Int64Var(&cfg.maxBody, "max-body", 1<<20, "largest request body in bytes (413 past it)")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "longest a request may take (504 past it)")
	fs.IntVar(&cfg.maxInFlight, "max-in-flight", 256, "most requests answered at once (503 past it)")
	fs.IntVar(&cfg.maxStreams, "max-streams", 64, "most streamed answers open at once (429 past it)")
	fs.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", 30*time.Second, "longest the requests in flight get to finish at shutdown")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: serve -model [NAME=]DIR [-model NAME=DIR ...] [-addr HOST:PORT] [flags]\n\nServes model directories over HTTP (TensorFlow Serving's REST API).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return cfg, 0
		}
		return cfg, 2
	}
	cfg.models = dirs
	problem := ""
	switch {
	case len(cfg.models) == 0:
		problem = "-model is required"
	case fs.NArg() > 0:
		problem = fmt.Sprintf("unexpected argument %q", fs.Arg(0))
	case cfg.batching.maxBatch < 1 || cfg.batching.workers < 1 || cfg.limits.maxInstances < 1 || cfg.limits.maxTokens < 1 ||
		cfg.maxBody < 1 || cfg.maxInFlight < 1 || cfg.maxStreams < 1:
		problem = "-max-batch, -workers, -max-instances, -max-tokens, -max-body, -max-in-flight and -max-streams must be positive"
	case cfg.batching.maxWait < 0 || cfg.timeout <= 0 || cfg.shutdownTimeout < 0:
		problem = "-max-wait and -shutdown-timeout must not be negative, -timeout must be positive"
	}
	if problem != "" {
		fmt.Fprintln(stderr, "serve:", problem)
		fs.Usage()
		return cfg, 2
	}
	return cfg, -1
}

// run runs the server until a signal stops it and returns the exit
// status. started, when not nil, is called with the address listened on
// once the server accepts connections.
func run(args []string, stderr io.Writer, started func(addr string)) int {
	cfg, code := parseFlags(args, stderr)
	if code >= 0 {
		return code
	}
	logHandler := slog.NewJSONHandler(stderr, nil)
	log := slog.New(logHandler)
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(signals)

	s, err := newServer(cfg, log)
	if err != nil {
		log.Error("loading the models", "err", err.Error())
		return 1
	}
	listener, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		log.Error("listening", "err", err.Error())
		s.close()
		return 1
	}
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       cfg.timeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logHandler, slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(listener) }()
	log.Info("listening", "addr", listener.Addr().String(), "models", s.names())
	if started != nil {
		started(listener.Addr().String())
	}
	for {
		select {
		case err := <-served:
			log.Error("serving", "err", err.Error())
			s.close()
			return 1
		case sig := <-signals:
			if sig == syscall.SIGHUP {
				s.reload()
				continue
			}
			return shutdown(hs, s, signals, cfg.shutdownTimeout, log, sig)
		}
	}
}

// shutdown stops the server gracefully after signal sig: it stops
// accepting connections, lets the requests in flight finish within
// timeout (a second SIGINT or SIGTERM cuts them off), stops the models'
// batchers and returns the exit status.
func shutdown(hs *http.Server, s *server, signals <-chan os.Signal, timeout time.Duration, log *slog.Logger, sig os.Signal) int {
	log.Info("shutting down", "signal", sig.String(), "in_flight", s.inFlight.Load(), "timeout", timeout.String())
	s.drain()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- hs.Shutdown(ctx) }()
	var err error
wait:
	for {
		select {
		case err = <-done:
			break wait
		case sig := <-signals:
			if sig != syscall.SIGHUP {
				log.Warn("second signal: cutting off the requests in flight", "signal", sig.String())
				cancel()
			}
		}
	}
	code := 0
	if err != nil {
		log.Error("requests cut off at shutdown", "in_flight", s.inFlight.Load(), "err", err.Error())
		hs.Close()
		code = 1
	}
	s.close()
	log.Info("stopped")
	return code
}
