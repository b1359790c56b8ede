package datasets

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/pkg/errors"

	"github.com/gornn/gornn/internal/atomicfile"
	"github.com/gornn/gornn/internal/regularfile"
)

// Save writes the vocabulary to path (conventionally vocab.txt): one token a
// line, line n holding the token with id n-1, "\n" after each. The file is
// replaced atomically. A token that is empty or holds a line break cannot be
// written and is an error; the package's tokenizers never make one.
func (v *Vocab) Save(path string) error {
	for id, token := range v.tokens {
		if token == "" || strings.ContainsAny(token, "\r\n") {
			return errors.Errorf("save vocabulary %s: token %d (%q) is empty or holds a line break", path, id, token)
		}
	}
	return atomicfile.WriteFile(path, func(w io.Writer) error {
		for _, token := range v.tokens {
			if _, err := io.WriteString(w, token+"\n"); err != nil {
				return errors.Wrapf(err, "save vocabulary %s", path)
			}
		}
		return nil
	})
}

// MaxVocabSize is the most tokens a vocabulary file may hold (16,777,216),
// and so the largest vocab_size of a model.
const MaxVocabSize = 1 << 24

// MaxVocabFileBytes is the largest vocabulary file LoadVocab reads: 1 GiB.
const MaxVocabFileBytes = 1 << 30

// LoadVocab reads a vocabulary written by Save. Errors name the file and
// line: a missing or misplaced special token, an empty line, a duplicate.
// A final line without "\n" is accepted; "\r\n" line ends are not, since
// "\r" could be part of a token. The file must be a regular file (a link
// to one is followed) of at most MaxVocabFileBytes bytes and MaxVocabSize
// lines; errors quote at most a short excerpt of a bad line.
func LoadVocab(path string) (*Vocab, error) {
	return loadVocab(path, 0)
}

// LoadVocabOfSize is LoadVocab for a file that must hold exactly size
// tokens, such as a model's vocabulary of vocab_size tokens. It stops
// reading at the first line past them, so a longer file costs no more
// memory than size tokens.
func LoadVocabOfSize(path string, size int) (*Vocab, error) {
	if size < 2 || size > MaxVocabSize {
		return nil, errors.Errorf("load vocabulary %s: size %d, want 2..%d", path, size, MaxVocabSize)
	}
	return loadVocab(path, size)
}

// loadVocab reads the vocabulary at path, of exactly size tokens when size
// is positive.
func loadVocab(path string, size int) (*Vocab, error) {
	f, _, err := regularfile.Open(path, MaxVocabFileBytes)
	if err != nil {
		return nil, errors.Wrap(err, "load vocabulary")
	}
	defer f.Close()
	most := MaxVocabSize
	if size > 0 {
		most = size
	}
	var tokens []string
	firstLine := make(map[string]int)
	in := bufio.NewReader(f)
	for line := 1; ; line++ {
		token, err := in.ReadString('\n')
		if err == io.EOF && token == "" {
			break
		}
		if err != nil && err != io.EOF {
			return nil, errors.Wrapf(err, "load vocabulary %s", path)
		}
		if line > most {
			return nil, errors.Errorf("%s:%d: more than the %d tokens expected", path, line, most)
		}
		token = strings.TrimSuffix(token, "\n")
		if problem := vocabLineProblem(token, line, firstLine); problem != "" {
			return nil, errors.Errorf("%s:%d: %s", path, line, problem)
		}
		firstLine[token] = line
		tokens = append(tokens, token)
	}
	switch {
	case len(tokens) < 2:
		return nil, errors.Errorf("%s: %d lines, want at least 2 (%s and %s)", path, len(tokens), PadToken, UnkToken)
	case size > 0 && len(tokens) != size:
		return nil, errors.Errorf("%s: %d lines, want %d", path, len(tokens), size)
	}
	return newVocab(tokens), nil
}

// vocabLineProblem checks the token on a line of a vocabulary file against
// the tokens before it.
func vocabLineProblem(token string, line int, firstLine map[string]int) string {
	specials := []string{PadToken, UnkToken}
	switch {
	case line <= len(specials) && token != specials[line-1]:
		return fmt.Sprintf("want the special token %q, got %s", specials[line-1], regularfile.Excerpt(token))
	case token == "":
		return "empty line (want one token a line)"
	case strings.ContainsRune(token, '\r'):
		return fmt.Sprintf("token %s holds a carriage return", regularfile.Excerpt(token))
	case firstLine[token] > 0:
		return fmt.Sprintf("duplicate token %s (first on line %d)", regularfile.Excerpt(token), firstLine[token])
	}
	return ""
}
