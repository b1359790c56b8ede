package datasets

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pkg/errors"
)

// Tokenizer splits a text into tokens. Implementations are stateless and
// safe for concurrent use.
type Tokenizer interface {
	// Tokenize returns the tokens of text, none of them empty.
	Tokenize(text string) []string
	// Name returns the name NewTokenizer knows the tokenizer by.
	Name() string
}

// Names of the tokenizers NewTokenizer knows.
const (
	// BasicEnglishTokenizer lowercases and splits off punctuation exactly as
	// torchtext's get_tokenizer("basic_english") does.
	BasicEnglishTokenizer = "basic_english"
	// CharTokenizer yields one token per character (rune).
	CharTokenizer = "char"
)

// NewTokenizer returns the tokenizer called name: "basic_english", "char"
// or "whitespace".
func NewTokenizer(name string) (Tokenizer, error) {
	switch name {
	case BasicEnglishTokenizer:
		return basicEnglish{}, nil
	case CharTokenizer:
		return chars{}, nil
	case WhitespaceTokenizer:
		return whitespace{}, nil
	}
	return nil, errors.Errorf("unknown tokenizer %q (want %q, %q or %q)", name, BasicEnglishTokenizer, CharTokenizer, WhitespaceTokenizer)
}

// basicEnglish is torchtext's basic_english tokenizer. torchtext lowercases
// the line (Python's str.lower) and then applies, in this order:
//
//	'       -> " '  "    "  -> ""       .  -> " . "   <br /> -> " "
//	,       -> " , "     (  -> " ( "    )  -> " ) "   !      -> " ! "
//	?       -> " ? "     ;  -> " "      :  -> " "     \s+    -> " "
//
// and splits on whitespace. None of the inserted strings can complete a later
// pattern, and "<br />" contains none of the earlier characters, so once the
// double quotes are gone one left-to-right scan gives the same tokens: the
// characters '.,()!? become tokens of their own, and ; : "<br />" and Python
// whitespace separate tokens.
//
// One deliberate departure: control characters (Unicode Cc: NUL, ESC, DEL,
// the C1 controls) separate tokens as whitespace does, where torchtext keeps
// them inside tokens. A stray NUL thus never makes a token of its own.
//
// Python's special lowercase rules (U+0130 and the final sigma) are
// reproduced; see pythonLower. Compared with Python 3.11 over every code
// point, lowercase and whitespace agree everywhere; the one difference left
// is that some code points new in Unicode 15.0 (Go 1.26), unassigned in
// Python's 14.0, count as case-ignorable or cased around a capital sigma.
type basicEnglish struct{}

// Name returns "basic_english".
func (basicEnglish) Name() string { return BasicEnglishTokenizer }

// Tokenize returns the basic_english tokens of text. Invalid UTF-8 bytes
// become U+FFFD.
func (basicEnglish) Tokenize(text string) []string {
	s := strings.ReplaceAll(pythonLower(text), `"`, "")
	tokens := make([]string, 0, len(s)/5+1)
	start := -1 // byte offset where the current word began, -1 outside a word
	endWord := func(at int) {
		if start >= 0 {
			tokens = append(tokens, s[start:at])
			start = -1
		}
	}
	for i := 0; i < len(s); {
		class, size := classWord, 1
		if c := s[i]; c < utf8.RuneSelf {
			class = asciiClasses[c]
			if c == '<' && strings.HasPrefix(s[i:], "<br />") {
				class, size = classSeparator, len("<br />")
			}
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			if isSeparator(r) {
				class = classSeparator
			}
		}
		switch class {
		case classSeparator:
			endWord(i)
		case classOwnToken:
			endWord(i)
			tokens = append(tokens, s[i:i+1])
		default:
			if start < 0 {
				start = i
			}
		}
		i += size
	}
	endWord(len(s))
	return tokens
}

// charClass is how basic_english treats a character.
type charClass byte

const (
	classWord      charClass = iota // part of a word
	classOwnToken                   // a token by itself: ' . , ( ) ! ?
	classSeparator                  // ends a word: ; : Python whitespace, control characters, "<br />"
)

// asciiClasses holds the class of each ASCII byte.
var asciiClasses = func() (classes [utf8.RuneSelf]charClass) {
	for c := range classes {
		switch {
		case strings.IndexByte(`'.,()!?`, byte(c)) >= 0:
			classes[c] = classOwnToken
		case c == ';' || c == ':' || isSeparator(rune(c)):
			classes[c] = classSeparator
		}
	}
	return classes
}()

// isPythonSpace reports whether Python's str.isspace (and so the regular
// expression \s and str.split) treats r as whitespace: Go's unicode.IsSpace
// plus the four ASCII information separators U+001C..U+001F.
func isPythonSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// isSeparator reports whether the tokenizers treat r as whitespace: Python's
// whitespace and every control character.
func isSeparator(r rune) bool {
	return isPythonSpace(r) || unicode.IsControl(r)
}

// chars is the character-level tokenizer: one token per rune. Every
// whitespace or control rune becomes the token " ", so that line breaks and
// NULs never reach a vocabulary file and the kinds of blank do not split
// the vocabulary.
type chars struct{}

// Name returns "char".
func (chars) Name() string { return CharTokenizer }

// Tokenize returns one token per rune of text; whitespace and control runes
// become " " and invalid UTF-8 bytes become U+FFFD.
func (chars) Tokenize(text string) []string {
	tokens := make([]string, 0, len(text))
	for i, r := range text {
		switch {
		case isSeparator(r):
			tokens = append(tokens, " ")
		case r == utf8.RuneError:
			tokens = append(tokens, string(utf8.RuneError))
		default:
			tokens = append(tokens, text[i:i+utf8.RuneLen(r)])
		}
	}
	return tokens
}
