package main

import (
	"fmt"
	"io"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/models"
	"github.com/pkg/errors"
)

// readEmbeddings reads the -embeddings vectors that vocab's tokens need
// (every one with -embeddings-add-words, which also grows the vocabulary
// by the file's words) and tells w their coverage. It returns nil vectors
// and vocab itself without -embeddings.
func readEmbeddings(o *options, vocab *datasets.Vocab, w io.Writer) (*datasets.Vectors, *datasets.Vocab, error) {
	if o.Embeddings == "" {
		return nil, vocab, nil
	}
	opts := datasets.VectorOptions{}
	if !o.EmbeddingsAddWords {
		opts.Want = datasets.WantedBy(vocab)
	}
	vectors, err := datasets.ReadVectors(o.Embeddings, opts)
	if err != nil {
		return nil, nil, errors.Wrap(err, "-embeddings")
	}
	if vectors.Dim != o.Embed {
		return nil, nil, usageError{errors.Errorf("-embeddings %s holds %d-dimensional vectors but -embed is %d: set -embed %d", o.Embeddings, vectors.Dim, o.Embed, vectors.Dim)}
	}
	if o.EmbeddingsAddWords {
		grown := vectors.AddWords(vocab, o.VocabSize)
		fmt.Fprintf(w, "vocabulary: %d tokens, %d of them added from %s\n", grown.Len(), grown.Len()-vocab.Len(), o.Embeddings)
		vocab = grown
	}
	_, coverage := vectors.Lookup(vocab)
	fmt.Fprintf(w, "embeddings: %s\n", coverage)
	return vectors, vocab, nil
}

// pretrainable is a model whose word embedding takes pretrained vectors.
type pretrainable interface {
	UsePretrained(*datasets.Vectors) (datasets.Coverage, error)
}

// usePretrained fills m's embedding with the prepared vectors, if any.
func usePretrained(m pretrainable, data *taskData) error {
	if data.vectors == nil {
		return nil
	}
	_, err := m.UsePretrained(data.vectors)
	return err
}

// modelOptions returns the models.Options of the run: seed,
// implementation and -freeze-embeddings.
func modelOptions(o *options) (models.Options, error) {
	impl, err := o.impl()
	if err != nil {
		return models.Options{}, err
	}
	return models.Options{Seed: o.Seed, Impl: impl, FreezeEmbeddings: o.FreezeEmbeddings}, nil
}
