package graph

import (
	"fmt"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
)

// buildPanic carries an error out of the private builders, which panic on
// the first failure; recoverTo turns it back into an error at the API edge.
type buildPanic struct{ err error }

// must returns n or panics with err for recoverTo to catch.
func must(n *G.Node, err error) *G.Node {
	if err != nil {
		panic(buildPanic{err})
	}
	return n
}

// recoverTo converts a panic (a builder's, or Gorgonia's own) into an error
// stored in *err, prefixed by context.
func recoverTo(err *error, context string) {
	r := recover()
	if r == nil {
		return
	}
	switch v := r.(type) {
	case buildPanic:
		*err = errors.Wrap(v.err, context)
	case error:
		*err = errors.Wrapf(v, "%s: gorgonia panicked", context)
	default:
		*err = errors.Errorf("%s: gorgonia panicked: %v", context, fmt.Sprint(v))
	}
}
