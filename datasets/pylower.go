package datasets

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// pythonLower lowercases s the way Python 3's str.lower does. Go's
// unicode.ToLower gives the simple one-rune mapping; Python applies the full
// mapping, which differs in two places:
//
//   - U+0130 (capital I with dot above) becomes "i" + U+0307, two runes;
//   - capital sigma becomes final sigma (U+03C2) at the end of a word: when a
//     cased letter precedes it and none follows it, skipping case-ignorable
//     runes in both directions (Unicode's Final_Sigma condition).
//
// Invalid UTF-8 bytes become U+FFFD.
func pythonLower(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	for i, r := range s {
		switch r {
		case 'İ':
			b.WriteString("i\u0307")
		case 'Σ':
			if isFinalSigma(s, i) {
				b.WriteRune('ς')
			} else {
				b.WriteRune('σ')
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// isFinalSigma reports whether the capital sigma at byte offset i of s is in
// the Final_Sigma context: a cased rune before it and no cased rune after it,
// case-ignorable runes skipped on both sides.
func isFinalSigma(s string, i int) bool {
	casedBefore := false
	for j := i; j > 0; {
		r, size := utf8.DecodeLastRuneInString(s[:j])
		j -= size
		if !isCaseIgnorable(r) {
			casedBefore = isCased(r)
			break
		}
	}
	if !casedBefore {
		return false
	}
	for _, r := range s[i+len("Σ"):] {
		if !isCaseIgnorable(r) {
			return !isCased(r)
		}
	}
	return true
}

// isCased reports Unicode's Cased property: upper, lower and title case
// letters plus Other_Lowercase and Other_Uppercase.
func isCased(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) ||
		unicode.In(r, unicode.Other_Lowercase, unicode.Other_Uppercase)
}

// wordBreakMids holds the runes whose Word_Break property is MidLetter,
// MidNumLet or Single_Quote; with the categories below they make up
// Unicode's Case_Ignorable property.
const wordBreakMids = "'.:\u00b7\u0387\u055f\u05f4\u2018\u2019\u2024\u2027\ufe13\ufe52\ufe55\uff07\uff0e\uff1a"

// isCaseIgnorable reports Unicode's Case_Ignorable property.
func isCaseIgnorable(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk) ||
		strings.ContainsRune(wordBreakMids, r)
}
