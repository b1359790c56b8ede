package datasets

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/pkg/errors"
)

// loadDir reads root/<class>/*.txt, one example a file, like IMDB's
// aclImdb/train/{neg,pos}. The classes are opts.Classes, or else the
// sub-folders of root not starting with "." in name order; files are read in
// name order. Example.Line is the file's 1-based index in Dataset.Files.
// MaxLineBytes bounds the size of a file. A class folder without a usable
// .txt file is an error, even with opts.Lenient (which skips bad files, not
// classes): it would make a class no example teaches.
func loadDir(root string, opts LoadOptions, sink *rowSink) (*Dataset, error) {
	classes := opts.Classes
	if classes == nil {
		var err error
		if classes, err = classFolders(root); err != nil {
			return nil, err
		}
	}
	ds := &Dataset{Classes: classes, Path: root}
	for label, class := range classes {
		names, err := textFiles(filepath.Join(root, class))
		if err != nil {
			return nil, err
		}
		if len(names) == 0 {
			return nil, errors.Errorf("%s: class folder %q has no .txt files, so its class would have no examples", root, class)
		}
		before := len(ds.Examples)
		for _, name := range names {
			rel := filepath.Join(class, name)
			ds.Files = append(ds.Files, rel)
			line := len(ds.Files)
			text, problem, err := readTextFile(filepath.Join(root, rel), opts.MaxLineBytes)
			if err != nil {
				return nil, err
			}
			if problem != "" {
				rowErr := &RowError{Path: filepath.Join(root, rel), Problem: problem}
				if err := sink.rejectAs(rowErr, SkippedRow{Line: line, Reason: problem}); err != nil {
					return nil, err
				}
				continue
			}
			ds.Examples = append(ds.Examples, Example{Text: text, Label: label, Line: line})
		}
		if len(ds.Examples) == before {
			return nil, errors.Errorf("%s: all %d files of class folder %q were skipped", root, len(names), class)
		}
	}
	return ds, nil
}

// classFolders lists the sub-folders of root, in name order, skipping
// hidden ones.
func classFolders(root string) ([]string, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, errors.Wrapf(err, "load %s", root)
	}
	var classes []string
	for _, entry := range entries {
		if strings.HasPrefix(entry.Name(), ".") {
			continue
		}
		if info, err := os.Stat(filepath.Join(root, entry.Name())); err == nil && info.IsDir() {
			classes = append(classes, entry.Name())
		}
	}
	if len(classes) == 0 {
		return nil, errors.Errorf("%s: no class folders (want %s/<class>/*.txt)", root, root)
	}
	return classes, nil
}

// textFiles lists the .txt files of dir in name order.
func textFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, errors.Wrap(err, "read class folder")
	}
	var names []string
	for _, entry := range entries {
		if filepath.Ext(entry.Name()) != ".txt" {
			continue
		}
		if info, err := os.Stat(filepath.Join(dir, entry.Name())); err == nil && info.Mode().IsRegular() {
			names = append(names, entry.Name())
		}
	}
	return names, nil
}

// readTextFile returns the text of one example file, or a problem that makes
// it a malformed row.
func readTextFile(path string, limit int) (text, problem string, err error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", "", errors.Wrapf(err, "load %s", path)
	}
	if info.Size() > int64(limit) {
		return "", fmt.Sprintf("file is larger than %d bytes (MaxLineBytes)", limit), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", "", errors.Wrapf(err, "load %s", path)
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	switch {
	case !utf8.Valid(data):
		return "", "invalid UTF-8", nil
	case isBlank(data):
		return "", "empty text", nil
	}
	return string(data), "", nil
}
