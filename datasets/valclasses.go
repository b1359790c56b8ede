package datasets

import (
	"fmt"
	"slices"

	"github.com/gornn/gornn/internal/regularfile"
	"github.com/pkg/errors"
)

// withClasses returns the examples of ds relabelled, by class name, to
// classes (the training classes, of which ds may lack some). An example
// whose class is not among them is a *RowError naming its file and line;
// with lenient it is left out instead and listed in the result's Skipped,
// after the rows in skipped (those its load left out).
func withClasses(ds *Dataset, classes []string, skipped []SkippedRow, lenient bool) (*Dataset, error) {
	index := make(map[string]int, len(classes))
	for i, name := range classes {
		index[name] = i
	}
	sink := &rowSink{lenient: lenient, skipped: slices.Clone(skipped)}
	examples := make([]Example, 0, len(ds.Examples))
	for i, ex := range ds.Examples {
		label := ds.Classes[ex.Label]
		class, ok := index[label]
		if !ok {
			problem := fmt.Sprintf("label %s is not a class of the training data (%s)", regularfile.Excerpt(label), describeClasses(classes))
			if err := sink.rejectAs(ds.rowError(i, problem), SkippedRow{Line: ex.Line, Reason: problem}); err != nil {
				return nil, err
			}
			continue
		}
		ex.Label = class
		examples = append(examples, ex)
	}
	if len(examples) == 0 {
		return nil, errors.Errorf("%s: no examples of the training classes (%s)", ds.Path, describeClasses(classes))
	}
	out := ds.derive(examples)
	out.Classes = classes
	out.Skipped = sink.report()
	return out, nil
}
