package main

import (
	"flag"
	"io"
	"sort"
	"strings"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/models"
)

// A task is something cmd/train trains: its own flags, data and model. The
// common flags (data, recurrent stack, training, output) are in options.
type task interface {
	// flags registers the task's own flags, bound to its part of o.
	flags(fs *flag.FlagSet, o *options)
	// check reports the first of the task's options out of range, as a
	// usageError.
	check(o *options) error
	// prepare loads and encodes the run's data, telling w what it found.
	prepare(o *options, w io.Writer) (*taskData, error)
	// model builds a new model for the prepared data.
	model(o *options, data *taskData) (models.Model, error)
	// load reads the model of a checkpoint directory, for -resume.
	load(o *options, data *taskData, dir string) (models.Model, error)
	// describe tells w about the model.
	describe(w io.Writer, o *options, m models.Model)
}

// taskData is a run's encoded data, and what a task keeps of it for
// building its model (the vocabulary, say).
type taskData struct {
	train, val *datasets.Encoded
	prepared   *datasets.Prepared // nil for tasks that do not prepare through datasets.Prepare

	tagged  *datasets.PreparedTagged // the tag task's data (nil for other tasks)
	vectors *datasets.Vectors        // the -embeddings vectors the vocabulary needs; nil without
	// srcVocab and tgtVocab are a sequence-to-sequence task's vocabularies.
	srcVocab, tgtVocab *datasets.Vocab
	vocab              *datasets.Vocab // the vocabulary of a task that builds its own (lm)
}

// tasks are the tasks by -task name.
var tasks = map[string]task{
	"classify": classifyTask{},
	"lm":       lmTask{},
	"tag":      tagTask{},
	"seq2seq":  seq2seqTask{},
}

// taskNamed returns the task called name.
func taskNamed(name string) (task, bool) {
	t, ok := tasks[name]
	return t, ok
}

// taskList returns the task names, for messages: "classify, lm".
func taskList() string {
	names := make([]string, 0, len(tasks))
	for name := range tasks {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
