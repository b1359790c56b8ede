package regularfile

import (
	"strings"
	"testing"
)

func TestExcerpt(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", `""`},
		{"root:x:0", `"root:x:0"`},
		{"nul\x00 and \xff", `"nul\x00 and \xff"`},
		{"root:x:0:0:root:/root:/bin/bash", `"root:x:0:0:root:/root:/b"... (31 bytes)`},
		{"a" + strings.Repeat("é", 20), `"aééééééééééé"... (41 bytes)`}, // cut at a rune boundary
	}
	for _, c := range cases {
		if got := Excerpt(c.in); got != c.want {
			t.Errorf("Excerpt(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}
