package models

import (
	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/pkg/errors"
)

// UsePretrained copies pretrained vectors into the rows of emb for the
// tokens of vocab that have one, their own or their lowercase form's
// (datasets.Vectors.Lookup), and returns how many do. The other rows keep
// their initial values, the padding row stays zero. The vectors'
// dimension must be the embedding's.
func UsePretrained(emb *graph.Embedding, vocab *datasets.Vocab, vectors *datasets.Vectors) (datasets.Coverage, error) {
	if vectors.Dim != emb.Dim {
		return datasets.Coverage{}, errors.Errorf("models: %s holds %d-dimensional vectors, the embedding has %d dimensions", vectors.Path, vectors.Dim, emb.Dim)
	}
	if vocab.Len() != emb.NumEmbeddings {
		return datasets.Coverage{}, errors.Errorf("models: the vocabulary has %d tokens, the embedding %d rows", vocab.Len(), emb.NumEmbeddings)
	}
	rows, coverage := vectors.Lookup(vocab)
	for id, vec := range rows {
		switch w := emb.Weight.Value.Data().(type) {
		case []float32:
			copy(w[id*emb.Dim:], vec)
		case []float64:
			for j, x := range vec {
				w[id*emb.Dim+j] = float64(x)
			}
		}
	}
	return coverage, nil
}

// UsePretrained fills the classifier's embedding with pretrained vectors
// (see the function UsePretrained).
func (c *Classifier) UsePretrained(vectors *datasets.Vectors) (datasets.Coverage, error) {
	return UsePretrained(c.embedding, c.vocab, vectors)
}

// UsePretrained fills the tagger's word embedding with pretrained vectors
// (see the function UsePretrained).
func (t *Tagger) UsePretrained(vectors *datasets.Vectors) (datasets.Coverage, error) {
	return UsePretrained(t.embedding, t.vocab, vectors)
}
