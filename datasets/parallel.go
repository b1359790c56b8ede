package datasets

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"unicode/utf8"

	"github.com/pkg/errors"
)

// Pair is one source text and its target text: a word and its
// pronunciation, a sentence and its translation.
type Pair struct {
	Source, Target string
	// Line is the 1-based line of the pair in its file (in both files, for
	// two aligned files).
	Line int
	// Group numbers the distinct sources in order of first appearance:
	// the pairs of one source (a word and its alternate pronunciations)
	// share it, and are scored together (a word is right when it matches
	// any of its references) and split together.
	Group int
}

// Parallel is a parallel corpus: pairs of a source text and a target text.
type Parallel struct {
	Pairs []Pair
	// Path names where the pairs came from: the file, or "SOURCE + TARGET"
	// for two aligned files.
	Path string
}

// Len returns the number of pairs.
func (p *Parallel) Len() int { return len(p.Pairs) }

// Groups returns the number of distinct sources (groups).
func (p *Parallel) Groups() int {
	seen := map[int]bool{}
	for _, pair := range p.Pairs {
		seen[pair.Group] = true
	}
	return len(seen)
}

// The formats of LoadParallel.
const (
	// FormatCMUdict is the CMU Pronouncing Dictionary: "WORD  PH1 PH2 ..."
	// a line, alternate pronunciations written WORD(1), WORD(2) after the
	// word's first, comments starting ";;;".
	FormatCMUdict Format = "cmudict"
)

// ParallelOptions says how LoadParallel reads a parallel corpus. The zero
// value reads a TSV file.
type ParallelOptions struct {
	// Format is FormatTSV (default: "source<TAB>target" a line) or
	// FormatCMUdict. With TargetPath it must be FormatTSV or "".
	Format Format
	// TargetPath, when set, makes the path given to LoadParallel the
	// source file and this the target file: two files aligned line by
	// line, one text a line.
	TargetPath string
	// MaxLineBytes is the longest line accepted, in bytes without its line
	// break. Default DefaultMaxLineBytes.
	MaxLineBytes int
}

// LoadParallel reads a parallel corpus from path: a TSV file of
// "source<TAB>target" lines, the CMU Pronouncing Dictionary, or (with
// opts.TargetPath) two files aligned line by line. Blank lines are skipped
// in TSV and CMUdict files (and ";;;" comments in CMUdict); in two aligned
// files every line is a text. A malformed line is an error naming the file
// and line:
//
//	data/dev.tsv:12: want "source<TAB>target", found no tab
//	cmudict.txt:40: alternate "ABLE(1)" comes before the word's first pronunciation
func LoadParallel(path string, opts ParallelOptions) (*Parallel, error) {
	if opts.MaxLineBytes == 0 {
		opts.MaxLineBytes = DefaultMaxLineBytes
	}
	if opts.MaxLineBytes < 0 {
		return nil, errors.Errorf("MaxLineBytes is %d, want > 0 (or 0 for the default)", opts.MaxLineBytes)
	}
	switch {
	case opts.TargetPath != "" && (opts.Format == "" || opts.Format == FormatTSV):
		return loadAligned(path, opts.TargetPath, opts.MaxLineBytes)
	case opts.TargetPath != "":
		return nil, errors.Errorf("two aligned files hold one text a line, not the %s format", opts.Format)
	case opts.Format == "" || opts.Format == FormatTSV:
		return loadPairLines(path, opts.MaxLineBytes, tsvPair)
	case opts.Format == FormatCMUdict:
		return loadPairLines(path, opts.MaxLineBytes, cmudictPair)
	}
	return nil, errors.Errorf("parallel format %q: want %q or %q", opts.Format, FormatTSV, FormatCMUdict)
}

// pairParser reads one non-blank line of a pair file: the pair's source and
// target, the word an alternate pronunciation belongs to (cmudict; "" for
// a first pronunciation), or why the line is malformed.
type pairParser func(line string) (source, target, alternateOf, problem string)

// tsvPair parses "source<TAB>target".
func tsvPair(line string) (source, target, alternateOf, problem string) {
	source, target, ok := strings.Cut(line, "\t")
	switch {
	case !ok:
		return "", "", "", `want "source<TAB>target", found no tab`
	case strings.Contains(target, "\t"):
		return "", "", "", `want "source<TAB>target", found more than one tab`
	}
	return source, target, "", ""
}

// cmudictPair parses "WORD  PH1 PH2 ..." or "WORD(n)  PH1 PH2 ...".
func cmudictPair(line string) (source, target, alternateOf, problem string) {
	if strings.HasPrefix(line, ";;;") {
		return "", "", "", ""
	}
	word, phonemes, ok := strings.Cut(line, " ")
	target = strings.TrimSpace(phonemes)
	if !ok || target == "" {
		return "", "", "", fmt.Sprintf("want \"WORD  PH1 PH2 ...\", found no pronunciation after %s", excerpt([]byte(word)))
	}
	if open := strings.IndexByte(word, '('); open >= 0 {
		base, number := word[:open], word[open+1:]
		digits := strings.TrimSuffix(number, ")")
		if base == "" || len(digits) == len(number) || digits == "" || strings.Trim(digits, "0123456789") != "" {
			return "", "", "", fmt.Sprintf("word %s: want WORD or WORD(n) for an alternate", excerpt([]byte(word)))
		}
		return base, target, base, ""
	}
	return word, target, "", ""
}

// loadPairLines reads a TSV or CMUdict file with parse.
func loadPairLines(path string, maxLine int, parse pairParser) (*Parallel, error) {
	f, err := openData(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p := &Parallel{Path: path}
	groups := map[string]int{}
	lines := newLineReader(f, maxLine)
	for {
		l, err := lines.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errors.Wrapf(err, "load %s", path)
		}
		bad := func(problem string) error { return &RowError{Path: path, Line: l.number, Problem: problem} }
		if l.overlong {
			return nil, bad(fmt.Sprintf("line longer than %d bytes", maxLine))
		}
		text := trimCR(l.text)
		if isBlank(text) {
			continue
		}
		if !utf8.Valid(text) {
			return nil, bad("invalid UTF-8")
		}
		source, target, alternateOf, problem := parse(string(text))
		if problem != "" {
			return nil, bad(problem)
		}
		if source == "" && target == "" {
			continue // a comment
		}
		if problem := pairProblem(source, target); problem != "" {
			return nil, bad(problem)
		}
		group, seen := groups[source]
		switch {
		case alternateOf != "" && !seen:
			return nil, bad(fmt.Sprintf("alternate %s comes before the word's first pronunciation", excerpt(bytes.Fields(text)[0])))
		case !seen:
			group = len(groups)
			groups[source] = group
		}
		p.Pairs = append(p.Pairs, Pair{Source: source, Target: target, Line: l.number, Group: group})
	}
	if len(p.Pairs) == 0 {
		return nil, errors.Errorf("%s: no pairs", path)
	}
	return p, nil
}

// pairProblem reports a pair with an empty side.
func pairProblem(source, target string) string {
	switch {
	case isBlank([]byte(source)):
		return "empty source"
	case isBlank([]byte(target)):
		return "empty target"
	}
	return ""
}

// loadAligned reads two files line by line, line n of each a pair.
func loadAligned(sourcePath, targetPath string, maxLine int) (*Parallel, error) {
	files := [2]string{sourcePath, targetPath}
	var readers [2]*lineReader
	for i, path := range files {
		f, err := openData(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		readers[i] = newLineReader(f, maxLine)
	}
	p := &Parallel{Path: sourcePath + " + " + targetPath}
	groups := map[string]int{}
	for {
		var texts [2]string
		var ended [2]bool
		for i, r := range readers {
			l, err := r.next()
			if err == io.EOF {
				ended[i] = true
				continue
			}
			if err != nil {
				return nil, errors.Wrapf(err, "load %s", files[i])
			}
			if l.overlong {
				return nil, &RowError{Path: files[i], Line: l.number, Problem: fmt.Sprintf("line longer than %d bytes", maxLine)}
			}
			text := trimCR(l.text)
			if !utf8.Valid(text) {
				return nil, &RowError{Path: files[i], Line: l.number, Problem: "invalid UTF-8"}
			}
			texts[i] = string(text)
		}
		line := len(p.Pairs) + 1
		switch {
		case ended[0] && ended[1]:
			if len(p.Pairs) == 0 {
				return nil, errors.Errorf("%s: no pairs", p.Path)
			}
			return p, nil
		case ended[0] || ended[1]:
			short, long := files[0], files[1]
			if ended[1] {
				short, long = long, short
			}
			return nil, errors.Errorf("%s has %d lines, %s more: two aligned files need one line each per pair", short, line-1, long)
		}
		for i, problem := range []string{"empty source", "empty target"} {
			if isBlank([]byte(texts[i])) {
				return nil, &RowError{Path: files[i], Line: line, Problem: problem}
			}
		}
		group, seen := groups[texts[0]]
		if !seen {
			group = len(groups)
			groups[texts[0]] = group
		}
		p.Pairs = append(p.Pairs, Pair{Source: texts[0], Target: texts[1], Line: line, Group: group})
	}
}

// where names the file and line of pair i for messages.
func (p *Parallel) where(i int) string { return fmt.Sprintf("%s:%d", p.Path, p.Pairs[i].Line) }

// SplitParallel divides p into a training and a validation part by source:
// round(valFraction * groups) of the distinct sources go to validation,
// with all their pairs, chosen by a shuffle seeded with seed (math/rand/v2
// PCG). Both parts keep the pairs in order and their group numbers.
func SplitParallel(p *Parallel, valFraction float64, seed uint64) (train, val *Parallel, err error) {
	if !(valFraction > 0 && valFraction < 1) {
		return nil, nil, errors.Errorf("split %s: validation fraction %v, want 0 < f < 1", p.Path, valFraction)
	}
	var groups []int // in order of first appearance
	seen := map[int]bool{}
	for _, pair := range p.Pairs {
		if !seen[pair.Group] {
			seen[pair.Group] = true
			groups = append(groups, pair.Group)
		}
	}
	nVal := int(math.Round(valFraction * float64(len(groups))))
	if nVal == 0 || nVal == len(groups) {
		return nil, nil, errors.Errorf("split %s: %d sources, too few for a validation fraction of %v (a part would have none)", p.Path, len(groups), valFraction)
	}
	rand.New(rand.NewPCG(seed, splitStream)).Shuffle(len(groups), func(i, j int) { groups[i], groups[j] = groups[j], groups[i] })
	inVal := map[int]bool{}
	for _, g := range groups[:nVal] {
		inVal[g] = true
	}
	train, val = &Parallel{Path: p.Path}, &Parallel{Path: p.Path}
	for _, pair := range p.Pairs {
		if inVal[pair.Group] {
			val.Pairs = append(val.Pairs, pair)
		} else {
			train.Pairs = append(train.Pairs, pair)
		}
	}
	return train, val, nil
}
