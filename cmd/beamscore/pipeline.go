package main

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/fileio"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/pkg/errors"
)

func init() {
	register.DoFn4x1[context.Context, fileio.ReadableFile, func(element), func(string), error](&readFn{})
	register.DoFn4x1[context.Context, element, func(string), func(string), error](&scoreFn{})
	register.DoFn1x2[string, int, string](&shardFn{})
	register.DoFn3x1[context.Context, int, func(*string) bool, error](&writeShardFn{})
	register.Emitter1[element]()
	register.Emitter1[string]()
	register.Iter1[string]()
}

// element is one text to score and where it came from.
type element struct {
	File string
	Line int // 1-based
	Text string
}

// failure is an input that could not be scored: a line of the dead-letter
// output.
type failure struct {
	File  string `json:"file"`
	Line  int    `json:"line"`
	Error string `json:"error"`
	Input string `json:"input,omitempty"` // the line's first maxExcerpt bytes
}

// maxExcerpt bounds the input a failure quotes.
const maxExcerpt = 200

// encode returns the failure as a JSON line.
func (f failure) encode() string {
	if len(f.Input) > maxExcerpt {
		f.Input = f.Input[:maxExcerpt] + "..."
	}
	data, _ := json.Marshal(f) // strings and an int
	return string(data)
}

// build adds the pipeline of cfg to s: match the inputs, read them into
// elements (failures to the dead letters), spread the elements over the
// workers, score them in batches, and write both outputs as shards.
func build(s beam.Scope, cfg config) error {
	for _, path := range []string{cfg.Output, cfg.DeadLetter, cfg.Model} {
		if _, err := filesystem.New(context.Background(), path); err != nil {
			return errors.Wrapf(err, "%s", path)
		}
	}
	var matched []beam.PCollection
	for _, glob := range cfg.Inputs {
		matched = append(matched, fileio.MatchFiles(s, glob, fileio.MatchEmptyDisallow()))
	}
	files := fileio.ReadMatches(s, beam.Flatten(s, matched...), fileio.ReadDirectorySkip())
	elements, unreadable := beam.ParDo2(s, &readFn{Format: cfg.Format, TextField: cfg.TextField}, files)
	scored, unscored := beam.ParDo2(s, &scoreFn{Model: cfg.Model, Batch: cfg.Batch}, beam.Reshuffle(s, elements))
	writeShards(s.Scope("scored"), cfg.Output, cfg.Shards, scored)
	writeShards(s.Scope("dead letters"), cfg.DeadLetter, cfg.Shards, beam.Flatten(s, unreadable, unscored))
	return nil
}

// readFn reads a file's texts, one a line, as elements; a line that holds
// no text to score is a failure.
type readFn struct {
	Format    string // lines, jsonl or auto
	TextField string
}

func (fn *readFn) ProcessElement(ctx context.Context, file fileio.ReadableFile, emit func(element), fail func(string)) error {
	r, err := file.Open(ctx)
	if err != nil {
		return errors.Wrapf(err, "beamscore: %s", file.Metadata.Path)
	}
	defer r.Close()
	parse := textOf(formatOf(fn.Format, file.Metadata.Path), fn.TextField)
	return readLines(r, func(line int, data []byte, tooLong bool) {
		path := file.Metadata.Path
		if tooLong {
			fail(failure{File: path, Line: line, Error: fmt.Sprintf("line longer than %d bytes", maxLine), Input: string(data)}.encode())
			return
		}
		text, err := parse(data)
		if err != nil {
			fail(failure{File: path, Line: line, Error: err.Error(), Input: string(data)}.encode())
			return
		}
		emit(element{File: path, Line: line, Text: text})
	})
}

// scoreFn scores elements in batches with the model directory Model,
// loaded once per DoFn instance (Setup): a batch is scored when it is full
// and at the end of each bundle. An element the model fails on goes to the
// dead letters, the rest of its batch is scored.
type scoreFn struct {
	Model string
	Batch int

	scorer  scorer
	local   string // the copy of a remote model directory, removed on Teardown
	pending []element
}

func (fn *scoreFn) Setup(ctx context.Context) error {
	dir, copied, err := localModelDir(ctx, fn.Model)
	if err != nil {
		return err
	}
	if copied {
		fn.local = dir
	}
	fn.scorer, err = loadScorer(dir, fn.Batch)
	return err
}

func (fn *scoreFn) ProcessElement(_ context.Context, e element, emit func(string), fail func(string)) error {
	fn.pending = append(fn.pending, e)
	if len(fn.pending) < fn.scorer.BatchSize() {
		return nil
	}
	return fn.flush(emit, fail)
}

func (fn *scoreFn) FinishBundle(_ context.Context, emit func(string), fail func(string)) error {
	return fn.flush(emit, fail)
}

func (fn *scoreFn) Teardown() error {
	if fn.local == "" {
		return nil
	}
	return os.RemoveAll(fn.local)
}

// flush scores the pending elements: all at once, or, when the model
// fails on the batch, one at a time to find those it fails on.
func (fn *scoreFn) flush(emit func(string), fail func(string)) error {
	batch := fn.pending
	fn.pending = fn.pending[:0]
	if len(batch) == 0 {
		return nil
	}
	texts := make([]string, len(batch))
	for i, e := range batch {
		texts[i] = e.Text
	}
	if answers, err := fn.scorer.Score(texts); err == nil {
		for _, a := range answers {
			emit(string(a))
		}
		return nil
	}
	for _, e := range batch {
		answers, err := fn.scorer.Score([]string{e.Text})
		if err != nil {
			fail(failure{File: e.File, Line: e.Line, Error: err.Error(), Input: e.Text}.encode())
			continue
		}
		emit(string(answers[0]))
	}
	return nil
}

// shardFn keys each line by its shard: a hash of the line.
type shardFn struct{ Shards int }

func (fn *shardFn) ProcessElement(line string) (int, string) {
	h := fnv.New32a()
	h.Write([]byte(line))
	return int(h.Sum32() % uint32(fn.Shards)), line
}

// writeShardFn writes the lines of one shard to Prefix-SSSSS-of-NNNNN.jsonl.
type writeShardFn struct {
	Prefix string
	Shards int
}

func (fn *writeShardFn) ProcessElement(ctx context.Context, shard int, lines func(*string) bool) error {
	name := shardName(fn.Prefix, shard, fn.Shards)
	fs, err := filesystem.New(ctx, name)
	if err != nil {
		return err
	}
	defer fs.Close()
	w, err := fs.OpenWrite(ctx, name)
	if err != nil {
		return errors.Wrapf(err, "beamscore: %s", name)
	}
	buf := newLineWriter(w)
	var line string
	for lines(&line) {
		buf.add(line)
	}
	return errors.Wrapf(buf.close(), "beamscore: %s", name)
}

// shardName is the file of shard of shards.
func shardName(prefix string, shard, shards int) string {
	return fmt.Sprintf("%s-%05d-of-%05d.jsonl", prefix, shard, shards)
}

// writeShards writes lines to shards files named after prefix.
func writeShards(s beam.Scope, prefix string, shards int, lines beam.PCollection) {
	keyed := beam.ParDo(s, &shardFn{Shards: shards}, lines)
	beam.ParDo0(s, &writeShardFn{Prefix: prefix, Shards: shards}, beam.GroupByKey(s, keyed))
}
