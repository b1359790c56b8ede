package datasets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/pkg/errors"
)

// FormatCoNLL is the column format of tagged text (CoNLL-2000/2003 and
// most NER and POS corpora): one token a line, its columns separated by
// spaces or tabs, a blank line between sentences, "-DOCSTART-" lines
// skipped.
const FormatCoNLL Format = "conll"

// Sentence is one sentence of a tagging dataset: its tokens, as given
// (never re-tokenized), and one tag each.
type Sentence struct {
	Tokens []string
	Tags   []string // [len(Tokens)]
	Line   int      // 1-based line where the sentence starts
}

// Tagged is a tagging dataset: sentences and where they came from.
type Tagged struct {
	Sentences []Sentence
	Path      string       // the file loaded, or a name such as "builtin truecasing"
	Skipped   []SkippedRow // sentences a lenient load left out, by the line of their problem
}

// Describe returns a report line for a skipped sentence: "path:line:
// reason".
func (d *Tagged) Describe(row SkippedRow) string {
	return fmt.Sprintf("%s:%d: %s", d.Path, row.Line, row.Reason)
}

// slice returns the sentences with indices from <= i < to.
func (d *Tagged) slice(r Rows) (*Tagged, error) {
	if r == (Rows{}) {
		return d, nil
	}
	if r.To > len(d.Sentences) {
		return nil, errors.Errorf("datasets: %s has %d sentences, rows %s asked", d.Path, len(d.Sentences), r)
	}
	return &Tagged{Sentences: d.Sentences[r.From-1 : r.To : r.To], Path: d.Path}, nil
}

// DefaultMaxSentenceTokens is the default TaggedOptions.MaxTokens.
const DefaultMaxSentenceTokens = 1000

// TaggedOptions says how LoadTagged reads a tagging dataset. The zero
// value reads a CoNLL file's first column as tokens and its last as tags,
// or a JSON Lines file's "tokens" and "tags", strictly.
type TaggedOptions struct {
	// Format is FormatCoNLL or FormatJSONL; "" or FormatAuto means JSON
	// Lines for a .jsonl or .json file and CoNLL for any other.
	Format Format
	// TokenColumn is the column of the tokens (CoNLL), numbered from 1 as
	// awk's $1 and cut -f1 number them; a negative number counts from the
	// end, -1 being the last column. Default (0): 1.
	TokenColumn int
	// TagColumn is the column of the tags, numbered as TokenColumn.
	// Default (0): -1, the last column.
	TagColumn int
	// TokensKey and TagsKey are the JSON Lines keys of the token and tag
	// arrays. Defaults "tokens" and "tags".
	TokensKey, TagsKey string
	// MaxTokens bounds a sentence's tokens. Default
	// DefaultMaxSentenceTokens.
	MaxTokens int
	// Lenient skips malformed sentences, listing them in Tagged.Skipped,
	// instead of failing on the first. Default false.
	Lenient bool
	// MaxLineBytes is the longest line accepted. Default
	// DefaultMaxLineBytes.
	MaxLineBytes int
}

func (o TaggedOptions) withDefaults() (TaggedOptions, error) {
	if o.Format == "" {
		o.Format = FormatAuto
	}
	if o.TokenColumn == 0 {
		o.TokenColumn = 1
	}
	if o.TagColumn == 0 {
		o.TagColumn = -1
	}
	if o.TokensKey == "" {
		o.TokensKey = "tokens"
	}
	if o.TagsKey == "" {
		o.TagsKey = "tags"
	}
	if o.MaxTokens == 0 {
		o.MaxTokens = DefaultMaxSentenceTokens
	}
	if o.MaxLineBytes == 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	switch {
	case o.MaxTokens < 0 || o.MaxLineBytes < 0:
		return o, errors.Errorf("MaxTokens %d and MaxLineBytes %d must be positive (or 0 for the default)", o.MaxTokens, o.MaxLineBytes)
	case o.TokenColumn == o.TagColumn:
		return o, errors.Errorf("the token and tag columns are both %d", o.TokenColumn)
	}
	return o, nil
}

// LoadTagged reads the tagged sentences at path, a CoNLL column file or
// JSON Lines of {"tokens": [...], "tags": [...]} (see TaggedOptions).
//
// A malformed line fails the load with a *RowError naming the file and
// line: a line with another number of columns than the sentence's first
// (or too few for the chosen columns), a sentence longer than MaxTokens,
// invalid UTF-8, a line over MaxLineBytes; in JSON Lines also a missing
// key, arrays of different lengths or an empty one, and an empty token or
// tag. A token may not hold a line break, nor a tag white space or a
// control character. With
// Lenient the sentence is left out instead and listed in Skipped. A file
// without a sentence is an error.
func LoadTagged(path string, opts TaggedOptions) (*Tagged, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, errors.Wrapf(err, "load %s", path)
	}
	format := opts.Format
	if format == FormatAuto {
		format = FormatCoNLL
		if ext := strings.ToLower(filepath.Ext(path)); ext == ".jsonl" || ext == ".json" {
			format = FormatJSONL
		}
	}
	f, err := openData(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sink := &rowSink{lenient: opts.Lenient}
	var sentences []Sentence
	switch format {
	case FormatCoNLL:
		sentences, err = readCoNLL(f, path, opts, sink)
	case FormatJSONL:
		sentences, err = readTaggedJSONL(f, path, opts, sink)
	default:
		return nil, errors.Errorf("load %s: format %q is not a tagging format (want conll or jsonl)", path, format)
	}
	if err != nil {
		return nil, err
	}
	d := &Tagged{Sentences: sentences, Path: path, Skipped: sink.report()}
	if len(sentences) == 0 {
		return nil, errors.Errorf("%s: no sentences (%d skipped)", path, len(d.Skipped))
	}
	return d, nil
}

// conllSentence is the sentence a CoNLL reader is collecting.
type conllSentence struct {
	Sentence
	columns int       // the columns of its first line
	err     *RowError // its first problem; the sentence is dropped
}

// readCoNLL reads sentences from a CoNLL column file.
func readCoNLL(r io.Reader, path string, opts TaggedOptions, sink *rowSink) ([]Sentence, error) {
	lines := newLineReader(r, opts.MaxLineBytes)
	var sentences []Sentence
	var cur conllSentence
	finish := func() error {
		defer func() { cur = conllSentence{} }()
		switch {
		case cur.err != nil:
			return sink.reject(cur.err)
		case len(cur.Tokens) > opts.MaxTokens:
			return sink.reject(&RowError{Path: path, Line: cur.Line, Problem: fmt.Sprintf("sentence of %d tokens is over the limit of %d (MaxTokens)", len(cur.Tokens), opts.MaxTokens)})
		case len(cur.Tokens) > 0:
			sentences = append(sentences, cur.Sentence)
		}
		return nil
	}
	for {
		line, err := lines.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errors.Wrapf(err, "read %s", path)
		}
		text := trimCR(line.text)
		if !line.overlong && isBlank(text) {
			if err := finish(); err != nil {
				return nil, err
			}
			continue
		}
		fields := strings.Fields(string(text))
		if !line.overlong && fields[0] == "-DOCSTART-" {
			if err := finish(); err != nil {
				return nil, err
			}
			continue
		}
		if cur.Line == 0 {
			cur.Line = line.number
		}
		if cur.err != nil {
			continue
		}
		problem := ""
		switch {
		case line.overlong:
			problem = overlongProblem(line.number, opts.MaxLineBytes)
		case !utf8.Valid(text):
			problem = "invalid UTF-8"
		case cur.columns > 0 && len(fields) != cur.columns:
			problem = fmt.Sprintf("%d columns, want %d like line %d", len(fields), cur.columns, cur.Line)
		default:
			cur.columns = len(fields)
			token, tag, p := conllColumns(fields, opts.TokenColumn, opts.TagColumn)
			if p == "" {
				if bad := tagProblem(tag); bad != "" {
					p = "tag " + bad
				}
			}
			if problem = p; problem == "" && len(cur.Tokens) < opts.MaxTokens+1 {
				cur.Tokens = append(cur.Tokens, token)
				cur.Tags = append(cur.Tags, tag)
			}
		}
		if problem != "" {
			cur.err = &RowError{Path: path, Line: line.number, Problem: problem}
		}
	}
	if err := finish(); err != nil {
		return nil, err
	}
	return sentences, nil
}

// conllColumns picks the token and the tag out of a line's fields, by
// column numbers from 1 (negative from the end).
func conllColumns(fields []string, tokenCol, tagCol int) (token, tag, problem string) {
	pick := func(col int) (string, bool) {
		i := col - 1
		if col < 0 {
			i = col + len(fields)
		}
		if i < 0 || i >= len(fields) {
			return "", false
		}
		return fields[i], true
	}
	token, okToken := pick(tokenCol)
	tag, okTag := pick(tagCol)
	if !okToken || !okTag {
		return "", "", fmt.Sprintf("%d columns, too few for token column %d and tag column %d (numbered from 1)", len(fields), tokenCol, tagCol)
	}
	return token, tag, ""
}

// readTaggedJSONL reads one {"tokens": [...], "tags": [...]} object a
// line; blank lines are not sentences.
func readTaggedJSONL(r io.Reader, path string, opts TaggedOptions, sink *rowSink) ([]Sentence, error) {
	lines := newLineReader(r, opts.MaxLineBytes)
	var sentences []Sentence
	for {
		line, err := lines.next()
		if err == io.EOF {
			return sentences, nil
		}
		if err != nil {
			return nil, errors.Wrapf(err, "read %s", path)
		}
		text := trimCR(line.text)
		var s Sentence
		var rowErr *RowError
		switch {
		case line.overlong:
			rowErr = &RowError{Problem: overlongProblem(line.number, opts.MaxLineBytes)}
		case isBlank(text):
			continue
		default:
			s, rowErr = taggedJSONRow(text, opts)
		}
		if rowErr != nil {
			rowErr.Path, rowErr.Line = path, line.number
			if err := sink.reject(rowErr); err != nil {
				return nil, err
			}
			continue
		}
		s.Line = line.number
		sentences = append(sentences, s)
	}
}

// taggedJSONRow decodes one JSON Lines sentence; its RowError has no
// location.
func taggedJSONRow(line []byte, opts TaggedOptions) (Sentence, *RowError) {
	bad := func(field, format string, args ...any) (Sentence, *RowError) {
		return Sentence{}, &RowError{Field: field, Problem: fmt.Sprintf(format, args...)}
	}
	if !utf8.Valid(line) {
		return bad("", "invalid UTF-8")
	}
	if trimmed := bytes.TrimSpace(line); trimmed[0] != '{' {
		return bad("", "want a JSON object, got %s", excerpt(trimmed))
	}
	var object map[string]json.RawMessage
	if err := json.Unmarshal(line, &object); err != nil {
		return bad("", "invalid JSON: %v", err)
	}
	var lists [2][]string
	for i, key := range []string{opts.TokensKey, opts.TagsKey} {
		raw, ok := object[key]
		if !ok {
			return bad(key, "missing")
		}
		if err := json.Unmarshal(raw, &lists[i]); err != nil || raw[0] != '[' {
			return bad(key, "want an array of strings, got %s", excerpt(raw))
		}
	}
	tokens, tags := lists[0], lists[1]
	switch {
	case len(tokens) == 0:
		return bad(opts.TokensKey, "empty sentence")
	case len(tokens) != len(tags):
		return bad(opts.TagsKey, "%d tags for %d tokens", len(tags), len(tokens))
	case len(tokens) > opts.MaxTokens:
		return bad(opts.TokensKey, "sentence of %d tokens is over the limit of %d (MaxTokens)", len(tokens), opts.MaxTokens)
	}
	for i, token := range tokens {
		if token == "" || strings.ContainsAny(token, "\r\n") {
			return bad(opts.TokensKey, "token %d %s is empty or holds a line break", i, excerpt([]byte(token)))
		}
		if problem := tagProblem(tags[i]); problem != "" {
			return bad(opts.TagsKey, "tag %d %s", i, problem)
		}
	}
	return Sentence{Tokens: tokens, Tags: tags}, nil
}
