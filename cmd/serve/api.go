package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gornn/gornn/internal/regularfile"
	"github.com/pkg/errors"
)

// apiError is an error answered to the client as JSON, {"error": msg},
// with an HTTP status.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// errorf returns an apiError of the given status.
func errorf(status int, format string, args ...any) *apiError {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

// writeJSON answers v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body, _ = json.Marshal(errorBody{"encoding the answer: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// errorBody is the JSON of every error answer, as TensorFlow Serving
// writes it.
type errorBody struct {
	Error string `json:"error"`
}

// writeError answers err: its status and message when it is an apiError,
// 500 otherwise.
func writeError(w http.ResponseWriter, err error) {
	var api *apiError
	if !errors.As(err, &api) {
		api = errorf(http.StatusInternalServerError, "%s", err)
	}
	writeJSON(w, api.status, errorBody{api.msg})
}

// call is one POST /v1/models/NAME:METHOD request as a method sees it.
type call struct {
	// ctx ends at the request's timeout (-timeout), when the client goes
	// away, or when the server is cut off at the end of its shutdown.
	ctx     context.Context
	w       http.ResponseWriter
	r       *http.Request
	maxBody int64
	limits  limits
	info    *requestInfo
	server  *server
}

// limits bound what one request may ask (-max-instances, -max-tokens).
type limits struct {
	maxInstances int // instances per request
	maxTokens    int // tokens per text, as the model reads it
}

// decodeJSON reads the request body (readBody) and decodes it into v
// strictly: one JSON object with no unknown fields and nothing after it.
// Errors are 400s that say where the body is wrong.
func (c *call) decodeJSON(v any) error {
	body, err := c.readBody()
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errorf(http.StatusBadRequest, "request body: %s", jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return errorf(http.StatusBadRequest, "request body: data after the JSON object")
	}
	return nil
}

// jsonProblem describes a JSON decoding error without Go type names.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("invalid JSON at byte %d: %s", syntax.Offset, syntax.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the body"
		}
		return fmt.Sprintf("%s is a JSON %s, want %s", field, typ.Value, jsonKind(typ.Type.Kind().String()))
	case err == io.EOF:
		return "empty, want a JSON object"
	case err == io.ErrUnexpectedEOF:
		return "truncated JSON"
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if field, ok := strings.CutPrefix(msg, "unknown field "); ok {
		if name, err := strconv.Unquote(field); err == nil {
			return "unknown field " + regularfile.Excerpt(name)
		}
	}
	return msg
}

// jsonKind names a Go kind the way a JSON user knows it.
func jsonKind(kind string) string {
	switch {
	case kind == "slice" || kind == "array":
		return "a list"
	case kind == "struct" || kind == "map":
		return "an object"
	case strings.HasPrefix(kind, "int") || strings.HasPrefix(kind, "uint") || strings.HasPrefix(kind, "float"):
		return "a number"
	case kind == "bool":
		return "true or false"
	}
	return "a " + kind
}

// predictResponse is the answer of :predict, one prediction per instance
// in the JSON of each kind.
type predictResponse[T any] struct {
	Predictions []T `json:"predictions"`
}

// instanceList is the "instances" of a request body, which the request
// of a method taking more fields embeds.
type instanceList struct {
	Instances []json.RawMessage `json:"instances"`
}

func (l *instanceList) instances() []json.RawMessage { return l.Instances }

// decodeInstances decodes {"instances": ["text", ...]}: at least one and
// at most limits.maxInstances strings (400 for a wrong type, 422 past the
// limit).
func (c *call) decodeInstances() ([]string, error) {
	return c.decodeRequest(&instanceList{})
}

// decodeRequest decodes the body into req, an *instanceList or a struct
// embedding one beside the method's other fields (decodeJSON), and
// returns its instances as decodeInstances does.
func (c *call) decodeRequest(req interface{ instances() []json.RawMessage }) ([]string, error) {
	if err := c.decodeJSON(req); err != nil {
		return nil, err
	}
	raws := req.instances()
	switch n := len(raws); {
	case n == 0:
		return nil, errorf(http.StatusBadRequest, `request body: want {"instances": ["text", ...]} with at least one text`)
	case n > c.limits.maxInstances:
		return nil, errorf(http.StatusUnprocessableEntity, "%d instances, over the limit of %d a request", n, c.limits.maxInstances)
	}
	texts := make([]string, len(raws))
	for i, raw := range raws {
		if err := json.Unmarshal(raw, &texts[i]); err != nil {
			return nil, errorf(http.StatusBadRequest, "request body: instances[%d] is %s, want a string", i, regularfile.Excerpt(string(raw)))
		}
	}
	return texts, nil
}
