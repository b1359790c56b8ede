package metrics

import (
	"strings"

	"github.com/pkg/errors"
)

// Scheme is how a tagger's tags encode spans (entities, chunks).
type Scheme int

const (
	// NoScheme: tags are plain classes of tokens (part of speech,
	// truecasing) and make no spans.
	NoScheme Scheme = iota
	// IOB1: I-X inside or starting a span of type X, B-X only to start a
	// span right after another of the same type (CoNLL-2003's original
	// files).
	IOB1
	// IOB2 (BIO): B-X begins every span, I-X continues it.
	IOB2
	// IOBES (BIOES, BILOU): B-X begins, I-X continues, E-X ends a span of
	// two or more tokens, S-X is a span of one.
	IOBES
)

var schemeNames = [...]string{NoScheme: "none", IOB1: "iob1", IOB2: "iob2", IOBES: "iobes"}

// ParseScheme returns the scheme called name: none, iob1, iob2 (or bio)
// or iobes (or bioes).
func ParseScheme(name string) (Scheme, error) {
	switch name {
	case "bio":
		return IOB2, nil
	case "bioes":
		return IOBES, nil
	}
	for s, n := range schemeNames {
		if n == name {
			return Scheme(s), nil
		}
	}
	return 0, errors.Errorf("metrics: unknown tag scheme %q (want none, iob1, iob2 or iobes)", name)
}

// String returns the scheme's name as ParseScheme accepts it.
func (s Scheme) String() string {
	if s < NoScheme || s > IOBES {
		return "unknown"
	}
	return schemeNames[s]
}

// MarshalText encodes the scheme by name.
func (s Scheme) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes a scheme name.
func (s *Scheme) UnmarshalText(text []byte) (err error) {
	*s, err = ParseScheme(string(text))
	return err
}

// prefixes returns the tag prefixes of the scheme, O included.
func (s Scheme) prefixes() string {
	if s == IOBES {
		return "BIESO"
	}
	return "BIO"
}

// CheckTags reports the first tag that does not follow the scheme: O, or
// one of its prefixes, a hyphen and a type (B-PER). Every tag does under
// NoScheme.
func (s Scheme) CheckTags(tags []string) error {
	if s == NoScheme {
		return nil
	}
	spanPrefixes := strings.TrimSuffix(s.prefixes(), "O")
	for _, tag := range tags {
		prefix, typ := splitTag(tag)
		if tag != "O" && (len(prefix) != 1 || !strings.Contains(spanPrefixes, prefix) || typ == "") {
			return errors.Errorf("metrics: tag %q does not follow the %s scheme (want O, or one of %s, a hyphen and a type)", tag, s, strings.Join(strings.Split(spanPrefixes, ""), " "))
		}
	}
	return nil
}

// splitTag splits a tag at its first hyphen into its prefix and type, as
// conlleval does: "B-PER" -> "B", "PER"; "O" -> "O", "".
func splitTag(tag string) (prefix, typ string) {
	prefix, typ, _ = strings.Cut(tag, "-")
	return prefix, typ
}

// Span is a typed run of tokens [Start, End).
type Span struct {
	Type       string
	Start, End int
}

// Spans returns the spans of a sentence's tags by the rules of
// conlleval.pl (CoNLL-2000's scorer), as seqeval's default mode states
// them: a span starts at a B- or S- tag, at an I- or E- tag after O or
// after a tag of another type, and at an I- or E- tag after an E- or S-
// tag; it ends before a tag that starts another span or is O, and after
// an E- or S- tag. These rules read IOB1, IOB2 and IOBES alike (and make
// spans of malformed sequences rather than drop them: an I-PER after O
// starts a PER span). Tags are split at their first hyphen; a tag without
// one counts as O when it is "O" and as a prefix of no type otherwise.
func Spans(tags []string) []Span {
	var spans []Span
	prevPrefix, prevType, begin := "O", "", 0
	for i := 0; i <= len(tags); i++ {
		prefix, typ := "O", ""
		if i < len(tags) {
			prefix, typ = splitTag(tags[i])
		}
		if endOfSpan(prevPrefix, prefix, prevType, typ) {
			spans = append(spans, Span{Type: prevType, Start: begin, End: i})
		}
		if startOfSpan(prevPrefix, prefix, prevType, typ) {
			begin = i
		}
		prevPrefix, prevType = prefix, typ
	}
	return spans
}

// endOfSpan is seqeval's end_of_chunk: whether a span ended at the
// previous tag.
func endOfSpan(prev, cur, prevType, typ string) bool {
	switch {
	case prev == "E" || prev == "S":
		return true
	case (prev == "B" || prev == "I") && (cur == "B" || cur == "S" || cur == "O"):
		return true
	}
	return prev != "O" && prev != "." && prevType != typ
}

// startOfSpan is seqeval's start_of_chunk: whether a span starts at the
// current tag.
func startOfSpan(prev, cur, prevType, typ string) bool {
	switch {
	case cur == "B" || cur == "S":
		return true
	case (cur == "E" || cur == "I") && (prev == "E" || prev == "S" || prev == "O"):
		return true
	}
	return cur != "O" && cur != "." && prevType != typ
}

// Constraints are the moves between tags a scheme allows (see
// Scheme.Constraints).
type Constraints struct {
	Start   []bool   // [K] a sentence may begin with tag j
	Allowed [][]bool // [K][K] tag j may follow tag i
	End     []bool   // [K] a sentence may end with tag i
}

// Constraints returns the moves the scheme allows between the tags
// (AllenNLP's allowed_transitions): under IOB2 an I-X only after B-X or
// I-X; under IOB1 a B-X only after B-X or I-X (a sentence never starts
// with it); under IOBES an I-X or E-X only after B-X or I-X, a B-X, S-X
// or O only after O, E- or S-, and a sentence starts with B-, S- or O and
// ends with E-, S- or O. NoScheme allows every move. The tags must
// follow the scheme (CheckTags).
func (s Scheme) Constraints(tags []string) (*Constraints, error) {
	if err := s.CheckTags(tags); err != nil {
		return nil, err
	}
	k := len(tags)
	c := &Constraints{Start: make([]bool, k), Allowed: make([][]bool, k), End: make([]bool, k)}
	for i := range k {
		c.Allowed[i] = make([]bool, k)
	}
	for j, tag := range tags {
		prefix, typ := splitTag(tag)
		c.Start[j] = s.allowed("O", "", prefix, typ)
		c.End[j] = s.allowed(prefix, typ, "O", "")
		for i, from := range tags {
			fromPrefix, fromType := splitTag(from)
			c.Allowed[i][j] = s.allowed(fromPrefix, fromType, prefix, typ)
		}
	}
	return c, nil
}

// allowed reports whether the tag (prefix, typ) may follow (prev,
// prevType); the start and end of a sentence count as O.
func (s Scheme) allowed(prev, prevType, prefix, typ string) bool {
	same := prevType == typ
	switch s {
	case IOB2:
		return prefix != "I" || ((prev == "B" || prev == "I") && same)
	case IOB1:
		return prefix != "B" || ((prev == "B" || prev == "I") && same)
	case IOBES:
		inside := prev == "B" || prev == "I"
		if prefix == "I" || prefix == "E" {
			return inside && same
		}
		return !inside // B, S, O after O, E or S
	}
	return true
}
