package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gornn/gornn/internal/regularfile"
	"github.com/gornn/gornn/models"
	"github.com/pkg/errors"
)

// A loader loads a model directory of its kind (see kinds).
type loader func(dir string, setup modelSetup) (model, error)

// modelSetup is what a loader gets besides the directory.
type modelSetup struct {
	batching batching
	// observeBatch records the rows of each batch run (metrics).
	observeBatch func(rows int)
	// countTokens adds tokens generated (metrics).
	countTokens func(n int)
}

// model is one loaded model directory as the server serves it.
type model interface {
	// config returns the model's configuration (its config.json), shown by
	// GET /v1/models/NAME.
	config() any
	// methods returns the model's methods by name: POST
	// /v1/models/NAME:METHOD calls methods()[METHOD].
	methods() map[string]method
	// drain makes the model's batchers stop waiting for more work to
	// batch (the server is shutting down).
	drain()
	// close stops the model's batchers, once no request uses it.
	close()
}

// A method answers one call: it reads the body (call.decodeInstances or
// call.decodeJSON), answers with writeJSON or a stream, and returns an
// error instead when it cannot (an *apiError says the status).
type method func(c *call) error

// entry is one model served under a name: one load of its directory.
type entry struct {
	name, dir, format string
	version           int
	model             model

	mu      sync.Mutex
	users   int  // requests using the model
	retired bool // replaced by a reload: close once unused
}

// acquire marks one more request using the entry; false if it is retired.
func (e *entry) acquire() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.retired {
		return false
	}
	e.users++
	return true
}

// release ends a request's use of the entry.
func (e *entry) release() {
	e.mu.Lock()
	e.users--
	closeNow := e.retired && e.users == 0
	e.mu.Unlock()
	if closeNow {
		e.model.close()
	}
}

// retire takes the entry out of service: it closes once its requests end.
func (e *entry) retire() {
	e.mu.Lock()
	e.retired = true
	closeNow := e.users == 0
	e.mu.Unlock()
	if closeNow {
		e.model.close()
	}
}

// server is the HTTP handler of cmd/serve.
type server struct {
	cfg     config
	log     *slog.Logger
	metrics *metrics

	reloading sync.Mutex
	models    atomic.Pointer[map[string]*entry]
	inFlight  atomic.Int64
	streams   atomic.Int64
	draining  atomic.Bool
	requests  atomic.Uint64
	idPrefix  string
}

// newServer loads every model directory of cfg.
func newServer(cfg config, log *slog.Logger) (*server, error) {
	s := &server{cfg: cfg, log: log, metrics: newMetrics(), idPrefix: strconv.FormatInt(time.Now().UnixNano()%(1<<32), 36)}
	set := map[string]*entry{}
	for _, m := range cfg.models {
		e, err := s.load(m, 1)
		if err != nil {
			for _, loaded := range set {
				loaded.model.close()
			}
			return nil, err
		}
		set[m.name] = e
	}
	s.models.Store(&set)
	return s, nil
}

// load loads m's directory by its format.
func (s *server) load(m modelDir, version int) (*entry, error) {
	format, err := models.ReadFormat(m.dir)
	if err != nil {
		return nil, errors.Wrapf(err, "model %s", m.name)
	}
	load, ok := kinds[format]
	if !ok {
		known := strings.Join(slices.Sorted(maps.Keys(kinds)), ", ")
		return nil, errors.Errorf("model %s: %s holds a model of format %s, which serve does not know (want one of %s)", m.name, m.dir, regularfile.Excerpt(format), known)
	}
	batchRows, tokens := s.metrics.batchRows.WithLabelValues(m.name), s.metrics.tokens.WithLabelValues(m.name)
	setup := modelSetup{
		batching:     s.cfg.batching,
		observeBatch: func(rows int) { batchRows.Observe(float64(rows)) },
		countTokens:  func(n int) { tokens.Add(float64(n)) },
	}
	loaded, err := load(m.dir, setup)
	if err != nil {
		return nil, errors.Wrapf(err, "model %s", m.name)
	}
	dir, err := filepath.Abs(m.dir)
	if err != nil {
		dir = m.dir
	}
	s.metrics.versions.WithLabelValues(m.name).Set(float64(version))
	return &entry{name: m.name, dir: dir, format: format, version: version, model: loaded}, nil
}

// reload loads every model directory again. A model whose directory fails
// to load keeps its old version serving; the others switch to the new one
// for the requests that start from now on.
func (s *server) reload() {
	s.reloading.Lock()
	defer s.reloading.Unlock()
	old := *s.models.Load()
	next := make(map[string]*entry, len(old))
	for _, m := range s.cfg.models {
		previous := old[m.name]
		e, err := s.load(m, previous.version+1)
		if err != nil {
			s.log.Error("reload failed: the old model keeps serving", "model", m.name, "version", previous.version, "err", err.Error())
			s.metrics.reloads.WithLabelValues("failed").Inc()
			next[m.name] = previous
			continue
		}
		s.log.Info("reloaded", "model", m.name, "dir", e.dir, "format", e.format, "version", e.version)
		s.metrics.reloads.WithLabelValues("ok").Inc()
		next[m.name] = e
	}
	s.models.Store(&next)
	for name, e := range old {
		if next[name] != e {
			e.retire()
		}
	}
}

// acquire returns the entry serving name, marked as in use, or nil.
func (s *server) acquire(name string) *entry {
	for {
		e := (*s.models.Load())[name]
		if e == nil || e.acquire() {
			return e
		}
		// A reload retired e after we read the set: read the new one.
	}
}

// drain starts the shutdown: /readyz answers 503, and the batchers stop
// waiting for more rows.
func (s *server) drain() {
	s.draining.Store(true)
	for _, e := range *s.models.Load() {
		e.model.drain()
	}
}

// close stops every model.
func (s *server) close() {
	for _, e := range *s.models.Load() {
		e.retire()
	}
}

// names returns the served models' names, sorted.
func (s *server) names() []string { return slices.Sorted(maps.Keys(*s.models.Load())) }

// requestInfo is what the request log line and the metrics say of a
// request; handlers fill it in.
type requestInfo struct {
	id    string
	model string // a served model's name, or ""
	route string // the route's name, a metrics label
	rows  int    // instances answered
}

// requestIDPattern is what a client's X-Request-Id may hold to be kept.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// ServeHTTP routes a request and logs it.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	info := &requestInfo{route: "other"}
	if id := r.Header.Get("X-Request-Id"); requestIDPattern.MatchString(id) {
		info.id = id
	} else {
		info.id = fmt.Sprintf("%s-%d", s.idPrefix, s.requests.Add(1))
	}
	w.Header().Set("X-Request-Id", info.id)
	rec := &recorder{ResponseWriter: w, start: start}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("panic answering a request", "id", info.id, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if rec.status == 0 {
				writeError(rec, errorf(http.StatusInternalServerError, "internal error"))
			}
		}
		s.record(r, rec, info, time.Since(start))
	}()
	s.route(rec, r, info)
}

// record writes the request's log line and metrics.
func (s *server) record(r *http.Request, rec *recorder, info *requestInfo, elapsed time.Duration) {
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	s.metrics.requests.WithLabelValues(info.model, info.route, strconv.Itoa(status)).Inc()
	s.metrics.latency.WithLabelValues(info.model, info.route).Observe(elapsed.Seconds())
	if info.route == "metrics" || info.route == "healthz" {
		return // scrapes and probes would drown the log
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String("id", info.id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.String("model", info.model), slog.Int("status", status), slog.Int("rows", info.rows),
		slog.Float64("latency_ms", float64(elapsed.Microseconds())/1000))
}

// recorder remembers the status a handler wrote, and adds a
// Server-Timing header: the milliseconds from the request's arrival to its
// answer's header ("app;dur=0.412").
type recorder struct {
	http.ResponseWriter
	start  time.Time
	status int
}

func (rec *recorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status = status
		rec.Header().Set("Server-Timing", fmt.Sprintf("app;dur=%.3f", float64(time.Since(rec.start).Nanoseconds())/1e6))
	}
	rec.ResponseWriter.WriteHeader(status)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.WriteHeader(http.StatusOK)
	}
	return rec.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the underlying writer (Flush).
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// statusClientClosed is the status logged when the client went away
// before its answer (nginx's 499); nothing is sent.
const statusClientClosed = 499

// route dispatches a request by its path.
func (s *server) route(w *recorder, r *http.Request, info *requestInfo) {
	path := r.URL.Path
	switch {
	case path == "/healthz":
		info.route = "healthz"
		if allow(w, r, http.MethodGet) {
			writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		}
	case path == "/readyz":
		info.route = "readyz"
		if !allow(w, r, http.MethodGet) {
			return
		}
		if s.draining.Load() {
			writeError(w, errorf(http.StatusServiceUnavailable, "shutting down"))
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "models": s.names()})
	case path == "/metrics":
		info.route = "metrics"
		if allow(w, r, http.MethodGet) {
			s.metrics.handler().ServeHTTP(w, r)
		}
	case path == "/v1/models":
		info.route = "models"
		if allow(w, r, http.MethodGet) {
			s.listModels(w)
		}
	case strings.HasPrefix(path, "/v1/models/"):
		s.modelRoute(w, r, info, strings.TrimPrefix(path, "/v1/models/"))
	default:
		writeError(w, errorf(http.StatusNotFound, "no route %s (see GET /v1/models)", regularfile.Excerpt(path)))
	}
}

// allow answers 405 unless r's method is want (GET also allows HEAD).
func allow(w http.ResponseWriter, r *http.Request, want string) bool {
	if r.Method == want || (want == http.MethodGet && r.Method == http.MethodHead) {
		return true
	}
	w.Header().Set("Allow", want)
	writeError(w, errorf(http.StatusMethodNotAllowed, "%s %s: want %s", r.Method, regularfile.Excerpt(r.URL.Path), want))
	return false
}

// modelStatus is GET /v1/models/NAME's answer: TensorFlow Serving's
// model_version_status, and gornn's details.
type modelStatus struct {
	VersionStatus []versionStatus `json:"model_version_status"`
	Name          string          `json:"name"`
	Format        string          `json:"format"`
	Dir           string          `json:"dir"`
	Methods       []string        `json:"methods"`
	Config        any             `json:"config,omitempty"`
}

type versionStatus struct {
	Version string `json:"version"`
	State   string `json:"state"`
	Status  struct {
		ErrorCode    string `json:"error_code"`
		ErrorMessage string `json:"error_message"`
	} `json:"status"`
}

// status describes the entry; withConfig adds its configuration.
func (e *entry) status(withConfig bool) modelStatus {
	v := versionStatus{Version: strconv.Itoa(e.version), State: "AVAILABLE"}
	v.Status.ErrorCode = "OK"
	st := modelStatus{VersionStatus: []versionStatus{v}, Name: e.name, Format: e.format, Dir: e.dir}
	for name := range e.model.methods() {
		st.Methods = append(st.Methods, name)
	}
	sort.Strings(st.Methods)
	if withConfig {
		st.Config = e.model.config()
	}
	return st
}

// listModels answers GET /v1/models.
func (s *server) listModels(w http.ResponseWriter) {
	list := []modelStatus{}
	for _, name := range s.names() {
		if e := s.acquire(name); e != nil {
			list = append(list, e.status(false))
			e.release()
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": list})
}

// modelRoute answers /v1/models/NAME (GET) and /v1/models/NAME:METHOD
// (POST).
func (s *server) modelRoute(w *recorder, r *http.Request, info *requestInfo, rest string) {
	name, methodName, isCall := strings.Cut(rest, ":")
	info.route = "model"
	if isCall {
		info.route = "call"
	}
	e := s.acquire(name)
	if e == nil {
		writeError(w, errorf(http.StatusNotFound, "no model %s (serving %s)", regularfile.Excerpt(name), strings.Join(s.names(), ", ")))
		return
	}
	defer e.release()
	info.model = name
	if !isCall {
		if allow(w, r, http.MethodGet) {
			writeJSON(w, http.StatusOK, e.status(true))
		}
		return
	}
	answer, ok := e.model.methods()[methodName]
	if !ok {
		writeError(w, errorf(http.StatusNotFound, "model %s (%s) has no method %s (it has %s)", name, e.format, regularfile.Excerpt(methodName), strings.Join(e.status(false).Methods, ", ")))
		return
	}
	info.route = methodName
	if !allow(w, r, http.MethodPost) {
		return
	}
	if n := s.inFlight.Add(1); n > int64(s.cfg.maxInFlight) {
		s.inFlight.Add(-1)
		w.Header().Set("Retry-After", "1")
		writeError(w, errorf(http.StatusServiceUnavailable, "busy: %d requests in flight, the limit", s.cfg.maxInFlight))
		return
	}
	s.metrics.inFlight.Inc()
	defer func() {
		s.inFlight.Add(-1)
		s.metrics.inFlight.Dec()
	}()
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.timeout)
	defer cancel()
	c := &call{ctx: ctx, w: w, r: r, limits: s.cfg.limits, maxBody: s.cfg.maxBody, info: info, server: s}
	err := answer(c)
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled), errors.Is(err, errClientGone):
		w.status = statusClientClosed
	case w.status != 0:
		// A stream told the client (stream.fail).
		s.log.Warn("error after the answer started", "id", info.id, "err", err.Error())
	default:
		writeError(w, s.answerError(err))
	}
}

// answerError returns the apiError that answers err: a 504 past the
// request's timeout, err itself when it is an apiError, a 500 otherwise.
func (s *server) answerError(err error) *apiError {
	var api *apiError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return errorf(http.StatusGatewayTimeout, "timed out after %v (-timeout)", s.cfg.timeout)
	case errors.As(err, &api):
		return api
	}
	return errorf(http.StatusInternalServerError, "%s", err)
}

// readBody reads the request body: at most -max-body bytes (413 past it).
func (c *call) readBody() ([]byte, error) {
	if c.r.ContentLength > c.maxBody {
		return nil, errorf(http.StatusRequestEntityTooLarge, "request body of %d bytes, over the limit of %d", c.r.ContentLength, c.maxBody)
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, c.maxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, errorf(http.StatusRequestEntityTooLarge, "request body over the limit of %d bytes", c.maxBody)
	case err != nil:
		return nil, errorf(http.StatusBadRequest, "reading the request body: %s", err)
	}
	return body, nil
}
