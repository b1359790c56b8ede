package datasets

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"

	"github.com/gornn/gornn/internal/atomicfile"
	"github.com/gornn/gornn/internal/regularfile"
	"github.com/pkg/errors"
)

// TagSet is a tagging task's tag vocabulary: tag names with ids 0..Len()-1.
// Unlike a Vocab it has no special tokens: every id is a tag. A TagSet is
// read-only and safe for concurrent use.
type TagSet struct {
	names []string
	ids   map[string]int
}

// MaxTags bounds a tag set: 65,536 tags.
const MaxTags = 1 << 16

// NewTagSet returns the tag set of names, in that order. Names must be
// distinct, not empty and free of white space.
func NewTagSet(names []string) (*TagSet, error) {
	if len(names) == 0 || len(names) > MaxTags {
		return nil, errors.Errorf("tag set: %d tags, want 1..%d", len(names), MaxTags)
	}
	s := &TagSet{names: slices.Clone(names), ids: make(map[string]int, len(names))}
	for id, name := range names {
		if problem := tagProblem(name); problem != "" {
			return nil, errors.Errorf("tag set: tag %d %s", id, problem)
		}
		if first, dup := s.ids[name]; dup {
			return nil, errors.Errorf("tag set: tag %d %s repeats tag %d", id, regularfile.Excerpt(name), first)
		}
		s.ids[name] = id
	}
	return s, nil
}

// tagProblem says what makes name unusable as a tag, or "".
func tagProblem(name string) string {
	if name == "" || strings.ContainsFunc(name, unicode.IsSpace) || strings.ContainsFunc(name, unicode.IsControl) {
		return fmt.Sprintf("%s is empty or holds white space or a control character", regularfile.Excerpt(name))
	}
	return ""
}

// TagSetOf returns the tags of the sentences in byte order (B-LOC, B-PER,
// I-LOC, ..., O).
func TagSetOf(sentences []Sentence) (*TagSet, error) {
	seen := map[string]bool{}
	var names []string
	for _, s := range sentences {
		for _, tag := range s.Tags {
			if !seen[tag] {
				seen[tag] = true
				names = append(names, tag)
			}
		}
	}
	slices.Sort(names)
	return NewTagSet(names)
}

// Len returns the number of tags.
func (s *TagSet) Len() int { return len(s.names) }

// ID returns the id of tag and whether the set has it.
func (s *TagSet) ID(tag string) (int, bool) {
	id, ok := s.ids[tag]
	return id, ok
}

// Name returns the tag with the given id ("" out of range).
func (s *TagSet) Name(id int) string {
	if id < 0 || id >= len(s.names) {
		return ""
	}
	return s.names[id]
}

// Names returns a copy of the tags in id order.
func (s *TagSet) Names() []string { return slices.Clone(s.names) }

// Save writes the tags to path (conventionally tags.txt), one a line in
// id order, atomically.
func (s *TagSet) Save(path string) error {
	return atomicfile.WriteFile(path, func(w io.Writer) error {
		for _, name := range s.names {
			if _, err := io.WriteString(w, name+"\n"); err != nil {
				return errors.Wrapf(err, "save tags %s", path)
			}
		}
		return nil
	})
}

// maxTagFileBytes bounds a tags file: MaxTags tags of up to 256 bytes.
const maxTagFileBytes = MaxTags * 257

// LoadTagSet reads a tags file written by Save holding exactly size tags
// (size <= 0: any number up to MaxTags). Errors name the file and line.
func LoadTagSet(path string, size int) (*TagSet, error) {
	f, _, err := regularfile.Open(path, maxTagFileBytes)
	if err != nil {
		return nil, errors.Wrap(err, "load tags")
	}
	defer f.Close()
	most := MaxTags
	if size > 0 {
		most = size
	}
	var names []string
	first := map[string]int{}
	lines := bufio.NewScanner(f)
	for line := 1; lines.Scan(); line++ {
		if line > most {
			return nil, errors.Errorf("%s:%d: more than the %d tags expected", path, line, most)
		}
		name := lines.Text()
		if problem := tagProblem(name); problem != "" {
			return nil, errors.Errorf("%s:%d: tag %s", path, line, problem)
		}
		if at, dup := first[name]; dup {
			return nil, errors.Errorf("%s:%d: tag %s repeats line %d", path, line, regularfile.Excerpt(name), at)
		}
		first[name] = line
		names = append(names, name)
	}
	if err := lines.Err(); err != nil {
		return nil, errors.Wrapf(err, "load tags %s", path)
	}
	if size > 0 && len(names) != size {
		return nil, errors.Errorf("%s: %d tags, want %d", path, len(names), size)
	}
	return NewTagSet(names)
}
