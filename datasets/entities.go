package datasets

import (
	"strings"
	"unicode/utf8"
)

// namedEntities are the HTML character references decodeEntities knows by
// name: the XML five and the no-break space.
var namedEntities = map[string]string{
	"amp": "&", "lt": "<", "gt": ">", "quot": `"`, "apos": "'", "nbsp": "\u00a0",
}

// windows1252 maps the numeric references 128..159, which HTML reads as
// Windows-1252 bytes, to their characters; 0 marks the five unassigned bytes,
// which decode as themselves (C1 controls).
var windows1252 = [32]rune{
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
}

// decodeEntities replaces HTML character references in s: the named ones in
// namedEntities, decimal "&#NNN;" and hexadecimal "&#xHH;" forms, and the
// bare "#NNN;" form AG News uses ("#36;" for "$", "#39;" for "'"). Numbers
// 128..159 are read as Windows-1252, as browsers do ("#151;" is an em dash).
// A reference that is malformed, names no character (0, a surrogate, beyond
// U+10FFFF) or is unknown stays as it is. One pass: "&amp;lt;" gives "&lt;".
func decodeEntities(s string) string {
	if !strings.ContainsAny(s, "&#") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		decoded, n := decodeEntityAt(s[i:])
		if n == 0 {
			b.WriteByte(s[i])
			i++
			continue
		}
		b.WriteString(decoded)
		i += n
	}
	return b.String()
}

// decodeEntityAt decodes the reference at the start of s, returning its
// text and length, or n == 0 when s does not start with one.
func decodeEntityAt(s string) (decoded string, n int) {
	switch {
	case strings.HasPrefix(s, "&#x") || strings.HasPrefix(s, "&#X"):
		return decodeNumber(s, 3, 16)
	case strings.HasPrefix(s, "&#"):
		return decodeNumber(s, 2, 10)
	case strings.HasPrefix(s, "#"):
		return decodeNumber(s, 1, 10)
	case strings.HasPrefix(s, "&"):
		end := strings.IndexByte(s, ';')
		if end < 0 || end > len("&nbsp") {
			return "", 0
		}
		if text, ok := namedEntities[s[1:end]]; ok {
			return text, end + 1
		}
	}
	return "", 0
}

// decodeNumber decodes a numeric reference whose digits start at s[skip:].
func decodeNumber(s string, skip, base int) (string, int) {
	const maxDigits = 7
	value, i := 0, skip
	for ; i < len(s) && i-skip < maxDigits; i++ {
		d := digitValue(s[i], base)
		if d < 0 {
			break
		}
		value = value*base + d
	}
	if i == skip || i >= len(s) || s[i] != ';' {
		return "", 0
	}
	r := rune(value)
	if r >= 128 && r < 160 && windows1252[r-128] != 0 {
		r = windows1252[r-128]
	}
	if r == 0 || !utf8.ValidRune(r) {
		return "", 0
	}
	return string(r), i + 1
}

// digitValue returns the value of the digit c in base 10 or 16, or -1.
func digitValue(c byte, base int) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case base == 16 && c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case base == 16 && c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
