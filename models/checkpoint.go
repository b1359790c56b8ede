package models

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/internal/atomicfile"
	"github.com/gornn/gornn/internal/regularfile"
	"github.com/pkg/errors"
)

// The files of a model directory.
const (
	ConfigFile  = "config.json"
	VocabFile   = "vocab.txt"
	WeightsFile = graph.ParamsFile
)

// Save writes the classifier to the model directory dir (created if
// needed): config.json, vocab.txt and model.safetensors, each written
// atomically.
func (c *Classifier) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errors.Wrapf(err, "models: saving to %s", dir)
	}
	if err := atomicfile.WriteJSON(filepath.Join(dir, ConfigFile), c.cfg); err != nil {
		return errors.Wrap(err, "models")
	}
	if err := c.vocab.Save(filepath.Join(dir, VocabFile)); err != nil {
		return errors.Wrap(err, "models")
	}
	return errors.Wrap(c.params.Save(filepath.Join(dir, WeightsFile), map[string]string{"format": "pt", "gornn": FormatV1}), "models")
}

// MaxConfigBytes is the largest config.json Load and ReadConfig read:
// 1 MiB, room for tens of thousands of labels of typical length.
const MaxConfigBytes = 1 << 20

// Load reads a model directory written by Save (or by PyTorch, following
// the same layout) and checks every tensor's name, shape and dtype against
// its config.json. It distrusts the directory: each file must be a regular
// file within its size limit (MaxConfigBytes, datasets.MaxVocabFileBytes);
// the config must be within the limits of Config.Validate; the header of
// model.safetensors must list exactly the tensors the config implies (see
// Config.Tensors), tiling the rest of the file, before any parameter is
// allocated or vocab.txt read; and every weight must be finite. So a
// rejected directory costs little more memory than its files' sizes,
// whatever its config says.
func Load(dir string, opts Options) (*Classifier, error) {
	if err := checkFormat(dir, FormatV1); err != nil {
		return nil, err
	}
	cfg, err := ReadConfig(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, err
	}
	weights := filepath.Join(dir, WeightsFile)
	if err := checkWeights(weights, cfg.Tensors()); err != nil {
		return nil, err
	}
	vocab, err := datasets.LoadVocabOfSize(filepath.Join(dir, VocabFile), cfg.VocabSize)
	if err != nil {
		return nil, errors.Wrapf(err, "models: the vocabulary must hold vocab_size=%d tokens", cfg.VocabSize)
	}
	c, err := New(cfg, vocab, opts)
	if err != nil {
		return nil, errors.Wrapf(err, "models: %s", filepath.Join(dir, ConfigFile))
	}
	if err := c.params.Load(weights); err != nil {
		return nil, errors.Wrap(err, "models")
	}
	if err := checkFinite(weights, c.params); err != nil {
		return nil, err
	}
	return c, nil
}

// ReadConfig reads and validates a config.json: a regular file of at most
// MaxConfigBytes holding one JSON object and nothing after it, with no
// unknown fields, valid by Config.Validate. Errors name the file, and the
// line and column of a JSON error.
func ReadConfig(path string) (Config, error) {
	// The labels decode through labelList, which counts them before
	// allocating any; the outer field hides Config.Labels from the decoder.
	var doc struct {
		Config
		Labels labelList `json:"labels"`
	}
	if err := readStrictJSON(path, &doc); err != nil {
		return Config{}, err
	}
	cfg := doc.Config
	cfg.Labels = doc.Labels
	if err := cfg.Validate(); err != nil {
		return cfg, errors.Wrapf(err, "%s", path)
	}
	return cfg, nil
}

// readStrictJSON decodes the config file at path into v: a regular file
// of at most MaxConfigBytes holding one JSON object and nothing after it,
// with no unknown fields. Errors name the file, and the line and column
// of a JSON error.
func readStrictJSON(path string, v any) error {
	data, err := regularfile.ReadFile(path, MaxConfigBytes)
	if err != nil {
		return errors.Wrap(err, "models")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.Errorf("models: %s: %s", jsonPosition(path, data, err), shortMessage(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.Errorf("models: %s: data after the JSON object", position(path, data, dec.InputOffset()))
	}
	return nil
}

// jsonPosition returns "path:line:column" of a JSON syntax or type error,
// or path for other errors.
func jsonPosition(path string, data []byte, err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return position(path, data, syntax.Offset)
	case errors.As(err, &typ):
		return position(path, data, typ.Offset)
	}
	return path
}

// position returns "path:line:column" of byte offset at of data.
func position(path string, data []byte, at int64) string {
	at = min(max(at, 0), int64(len(data)))
	before := data[:at]
	line := bytes.Count(before, []byte{'\n'}) + 1
	column := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("%s:%d:%d", path, line, column)
}

// maxMessageBytes bounds a JSON error message quoted from a config, which
// can hold a field name or value of any length.
const maxMessageBytes = 200

// shortMessage returns err's message cut to maxMessageBytes.
func shortMessage(err error) string {
	msg := err.Error()
	if len(msg) <= maxMessageBytes {
		return msg
	}
	cut := maxMessageBytes
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "..."
}

// labelList is a config's list of labels as ReadConfig decodes it: it
// refuses more than MaxNumClasses labels before decoding any.
type labelList []string

// UnmarshalJSON decodes a JSON array of at most MaxNumClasses strings.
func (l *labelList) UnmarshalJSON(data []byte) error {
	if n := arrayLength(data); n > MaxNumClasses {
		return errors.Errorf("labels: %d or more, over the limit of %d", n, MaxNumClasses)
	}
	labels := make([]string, 0, arrayLength(data))
	if err := json.Unmarshal(data, &labels); err != nil {
		return err
	}
	*l = labels
	return nil
}

// arrayLength counts the elements of data, a valid JSON value, if it is an
// array, stopping past MaxNumClasses; it returns 0 for anything else.
func arrayLength(data []byte) int {
	data = bytes.TrimSpace(data)
	if len(data) < 2 || data[0] != '[' || len(bytes.TrimSpace(data[1:len(data)-1])) == 0 {
		return 0
	}
	n, depth, inString, escaped := 1, 0, false, false
	for _, c := range data[1 : len(data)-1] {
		switch {
		case escaped:
			escaped = false
		case inString:
			escaped, inString = c == '\\', c != '"'
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			depth--
		case c == ',' && depth == 0:
			if n++; n > MaxNumClasses {
				return n
			}
		}
	}
	return n
}

// ReadFormat returns the "format" of the model directory dir's
// config.json ("gornn-classifier/1", say), which says which kind of model
// the directory holds and so which Load reads it.
func ReadFormat(dir string) (string, error) {
	path := filepath.Join(dir, ConfigFile)
	data, err := regularfile.ReadFile(path, MaxConfigBytes)
	if err != nil {
		return "", errors.Wrap(err, "models")
	}
	var doc struct {
		Format string `json:"format"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return "", errors.Errorf("models: %s: %s", jsonPosition(path, data, err), shortMessage(err))
	}
	if doc.Format == "" {
		return "", errors.Errorf("models: %s has no \"format\"", path)
	}
	return doc.Format, nil
}
