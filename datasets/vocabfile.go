package datasets

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pkg/errors"

	"github.com/gornn/gornn/internal/atomicfile"
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

// LoadVocab reads a vocabulary written by Save. Errors name the file and
// line: a missing or misplaced special token, an empty line, a duplicate.
// A final line without "\n" is accepted; "\r\n" line ends are not, since
// "\r" could be part of a token.
func LoadVocab(path string) (*Vocab, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.Wrap(err, "load vocabulary")
	}
	defer f.Close()
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
		token = strings.TrimSuffix(token, "\n")
		if problem := vocabLineProblem(token, line, firstLine); problem != "" {
			return nil, errors.Errorf("%s:%d: %s", path, line, problem)
		}
		firstLine[token] = line
		tokens = append(tokens, token)
	}
	if len(tokens) < 2 {
		return nil, errors.Errorf("%s: %d lines, want at least 2 (%s and %s)", path, len(tokens), PadToken, UnkToken)
	}
	return newVocab(tokens), nil
}

// vocabLineProblem checks the token on a line of a vocabulary file against
// the tokens before it.
func vocabLineProblem(token string, line int, firstLine map[string]int) string {
	specials := []string{PadToken, UnkToken}
	switch {
	case line <= len(specials) && token != specials[line-1]:
		return fmt.Sprintf("want the special token %q, got %q", specials[line-1], token)
	case token == "":
		return "empty line (want one token a line)"
	case strings.ContainsRune(token, '\r'):
		return fmt.Sprintf("token %q holds a carriage return", token)
	case firstLine[token] > 0:
		return fmt.Sprintf("duplicate token %q (first on line %d)", token, firstLine[token])
	}
	return ""
}
