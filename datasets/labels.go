package datasets

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// classesFromLabels chooses the classes of a file whose labels were not
// given in advance. When every label is an integer (numeric is then true),
// the classes are the distinct integers in numeric order, named in decimal:
// labels 1..4 become classes "1".."4" with indices 0..3, and 0-based labels
// keep their values. Otherwise the classes are the distinct labels in byte
// order. A gap (labels 1, 2, 4) shifts the indices above it; pass
// LoadOptions.Classes to pin the mapping, for example to load a validation
// file with the training classes.
func classesFromLabels(rows []rawRow) (classes []string, numeric bool) {
	numbers := make([]int, 0, len(rows))
	for _, row := range rows {
		n, err := strconv.Atoi(row.label)
		if err != nil {
			return sortedUnique(rows), false
		}
		numbers = append(numbers, n)
	}
	slices.Sort(numbers)
	numbers = slices.Compact(numbers)
	classes = make([]string, len(numbers))
	for i, n := range numbers {
		classes[i] = strconv.Itoa(n)
	}
	return classes, true
}

func sortedUnique(rows []rawRow) []string {
	labels := make([]string, len(rows))
	for i, row := range rows {
		labels[i] = row.label
	}
	slices.Sort(labels)
	return slices.Compact(labels)
}

// labelRows turns raw rows into examples. With classes given, a label must
// equal one of them; otherwise the classes come from classesFromLabels and
// integer labels match by value ("+3" and "03" are class "3"). Rows with
// other labels go to sink, reported against the field labelField of path.
func labelRows(rows []rawRow, given []string, path, labelField string, sink *rowSink) ([]Example, []string, error) {
	classes, numeric := slices.Clone(given), false
	if classes == nil {
		classes, numeric = classesFromLabels(rows)
	}
	index := make(map[string]int, len(classes))
	for i, name := range classes {
		index[name] = i
	}
	examples := make([]Example, 0, len(rows))
	for _, row := range rows {
		key := row.label
		if numeric {
			n, _ := strconv.Atoi(key) // cannot fail: numeric means every label parsed
			key = strconv.Itoa(n)
		}
		class, ok := index[key]
		if !ok {
			err := &RowError{Path: path, Line: row.line, Field: labelField,
				Problem: fmt.Sprintf("%q is not a class (want one of %s)", row.label, describeClasses(classes))}
			if err := sink.reject(err); err != nil {
				return nil, nil, err
			}
			continue
		}
		examples = append(examples, Example{Text: row.text, Label: class, Line: row.line})
	}
	return examples, classes, nil
}

// describeClasses lists class names for messages, eliding long lists.
func describeClasses(classes []string) string {
	const shown = 10
	if len(classes) <= shown {
		return strings.Join(classes, ", ")
	}
	return strings.Join(classes[:shown], ", ") + fmt.Sprintf(", ... (%d classes)", len(classes))
}
