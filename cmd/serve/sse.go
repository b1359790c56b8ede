package main

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/pkg/errors"
)

// stream is a streamed answer: Server-Sent Events, each flushed as it is
// sent (a language model's :generate sends its tokens as they are
// sampled).
type stream struct {
	call    *call
	control *http.ResponseController
	started bool // its header is sent
	closed  bool
}

// reserveStream takes a place for a streamed answer within the cap of
// -max-streams open streams: past it, the error is a 429. Nothing is sent
// before the first event, so that the method may still answer an error
// instead. The caller must close the stream.
func (c *call) reserveStream() (*stream, error) {
	s := c.server
	if n := s.streams.Add(1); n > int64(s.cfg.maxStreams) {
		s.streams.Add(-1)
		c.w.Header().Set("Retry-After", "1")
		return nil, errorf(http.StatusTooManyRequests, "%d streams open, the limit", s.cfg.maxStreams)
	}
	s.metrics.streams.Inc()
	return &stream{call: c, control: http.NewResponseController(c.w)}, nil
}

// start sends the stream's header: status 200, text/event-stream.
func (st *stream) start() error {
	st.started = true
	h := st.call.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	st.call.w.WriteHeader(http.StatusOK)
	return st.control.Flush()
}

// send sends one event whose data is v as JSON, after the stream's header
// if it is the first, and flushes it. It fails once the client has gone
// or the request's time is up (call.ctx), which tells the sender to stop.
func (st *stream) send(event string, v any) error {
	if err := st.call.ctx.Err(); err != nil {
		return err
	}
	return st.write(event, v)
}

// write sends one event, whatever the request's context.
func (st *stream) write(event string, v any) error {
	if !st.started {
		if err := st.start(); err != nil {
			return err
		}
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(st.call.w, "event: %s\ndata: %s\n\n", event, data); err != nil {
		return errors.Wrapf(errClientGone, "%v", err)
	}
	if err := st.control.Flush(); err != nil {
		return errors.Wrapf(errClientGone, "%v", err)
	}
	return nil
}

// errClientGone marks a stream's failed write: the client went away,
// sometimes before the server's read of the connection has cancelled the
// request's context.
var errClientGone = errors.New("serve: the client went away")

// fail ends a started stream that err stopped with an "error" event,
// {"error": "..."} as an error answer would say (a timeout, say), unless
// the client went away. It returns err, which a stream not started yet
// leaves to be answered.
func (st *stream) fail(err error) error {
	if st.started && st.call.r.Context().Err() == nil {
		st.write("error", errorBody{st.call.server.answerError(err).msg})
	}
	return err
}

// close releases the stream's place under -max-streams.
func (st *stream) close() {
	if st.closed {
		return
	}
	st.closed = true
	st.call.server.streams.Add(-1)
	st.call.server.metrics.streams.Dec()
}
