#!/usr/bin/env python3
"""Writes the golden outputs of torchtext's basic_english tokenizer.

torchtext cannot be installed here, so this file carries the same rule list
as torchtext/data/utils.py (_patterns, _replacements, _basic_english_normalize)
and applies it the same way: str.lower(), then each re.sub in order, then
str.split().

Note on the first replacement: torchtext writes it as a plain string, " '  "
(in older releases ' \\'  ', which Python reads as the same four characters).
Written as a raw string, r" \\'  ", re.sub would keep the backslash and give
the token \\' instead of ' -- not what torchtext does (its own tests expect
"'"), so the plain form is used below.

Usage (from the repository root):

    python3 datasets/testdata/make_basic_english.py
        writes datasets/testdata/basic_english.jsonl: {"text", "tokens"} pairs
        for the hand-written inputs below.

    python3 datasets/testdata/make_basic_english.py --agnews ../shared/data/ag_news/test.csv
        also writes datasets/testdata/basic_english_agnews.sha256: for each
        block of 100 rows of the real AG News file, the SHA-256 of the rows'
        tokens (one row a line, tokens joined by single spaces) of the raw
        text title + " " + description. It holds digests only, no data.
"""

import argparse
import csv
import hashlib
import json
import os
import re

_patterns = [r"\'", r"\"", r"\.", r"<br \/>", r",", r"\(", r"\)", r"\!", r"\?", r"\;", r"\:", r"\s+"]
_replacements = [" '  ", "", " . ", " ", " , ", " ( ", " ) ", " ! ", " ? ", " ", " ", " "]
_patterns_dict = list((re.compile(p), r) for p, r in zip(_patterns, _replacements))


def basic_english(line):
    line = line.lower()
    for pattern_re, replaced_str in _patterns_dict:
        line = pattern_re.sub(replaced_str, line)
    return line.split()


# Inputs, grouped by what they exercise. The AG News style lines are written
# for this file in the corpus' manner (backslash line breaks, "#36;" and
# "&lt;" references, "(Reuters)" bylines); they are not copied from it.
INPUTS = [
    # plain text
    "Hello World",
    "",
    "   ",
    "a",
    "A B  C   D",
    "The quick brown fox jumps over the lazy dog",
    "ALL CAPS HEADLINE",
    "MiXeD CaSe WoRdS",
    # apostrophes
    "it's",
    "don't stop believing",
    "'quoted'",
    "rock 'n' roll",
    "''",
    "o'neill's",
    "students' books",
    "'",
    # double quotes are removed
    'say "hi"',
    '""',
    '"a"b"c"',
    'he said "no." then left',
    '<b"r />',
    # full stops
    "U.S. economy grows 3.5%.",
    "A.B.C",
    "...",
    "a..b",
    "end.",
    ".start",
    # line break markup
    "line one<br />line two",
    "<br/>",
    "<BR />",
    "<br  />",
    "<br /><br />",
    "a<br />b",
    "<<br />",
    "<br /",
    # commas, brackets, marks
    "a,b",
    "1,000,000",
    "(x)",
    "((nested))",
    "f(x, y)",
    "wow!!!",
    "why?",
    "?!",
    "!?",
    "(",
    ")",
    # semicolons and colons separate
    "a;b",
    "a:b",
    "3:30pm",
    ";;;",
    ":::",
    "note: this; that",
    "http://example.com/a.b?c=d&e=f",
    # left alone
    "e-mail",
    "AT&T",
    "100%",
    "C++ and C#",
    "$5 or 5$",
    "@user #tag",
    "x_y",
    "a/b",
    "a\\b",
    "#36;10",
    "&lt;b&gt;bold&lt;/b&gt;",
    "&amp;",
    "[brackets] {braces}",
    "~tilde` `backtick",
    # whitespace: Python's \s and str.split
    "tab\tseparated\twords",
    "new\nline",
    "crlf\r\nline",
    "vertical\x0btab\x0cform feed",
    "info\x1cseparators\x1d\x1e\x1fhere",
    "next\x85line",
    "no\xa0break",
    "line\u2028separator\u2029paragraph",
    "ideographic\u3000space",
    "em\u2003space and thin\u2009space",
    "zero\u200bwidth",
    "byte\ufefforder",
    "ogham\u1680space",
    # Unicode case
    "Café CRÈME",
    "NAÏVE",
    "Straße STRASSE ẞ",
    "İstanbul",
    "ΟΔΟΣ",
    "ΣΑΣ ΣΑΣ.",
    "Σ",
    "AΣ'B",
    "AΣ.",
    "ΑΣ\u0301",
    "ǅUNGLA ǲ",
    "Ⅻ Ⓐ",
    "ＡＢＣ fullwidth",
    "Здравствуй, Мир!",
    "日本語のテキスト。",
    "😀 Great!",
    "e\u0301te\u0301",
    "ﬁne ligature",
    "\u212a kelvin \u2126 ohm",
    "ꭰ Ꭰ cherokee",
    "Ա Armenian Ֆ",
    # AG News style
    "Oil Climbs Past #36;50 (Reuters) Reuters - Crude prices rose on Tuesday as traders\\worried about supplies, lifting energy shares.",
    "Chip Maker Posts Profit &lt;A HREF=\"http://www.example.com/quote\"&gt;EXMP.O&lt;/A&gt; on Monday said its quarterly profit doubled.",
    "Coach: 'We Played Well' (AP) AP - The coach said his team #39;s defense held firm.\\\\The visitors scored late.",
    "Space Probe Sends Photos (SPACE.com) SPACE.com - A probe launched in 2003 sent back its first pictures; scientists were \"thrilled\".",
    "Markets Slip as Dollar Falls Stocks fell on Wednesday -- the third day in a row -- as the dollar weakened (see chart).",
    "Q&amp;A: What the new rules mean for you",
    "Is the Web Ready for Video?\\\\Analysts say yes, but only just...",
    "Vote Count Delayed #151; Officials Blame Weather",
]


def write_jsonl(path):
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for text in INPUTS:
            out.write(json.dumps({"text": text, "tokens": basic_english(text)}, ensure_ascii=False) + "\n")
    print("wrote %d cases to %s" % (len(INPUTS), path))


def write_agnews_digests(csv_path, path, block=100):
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if rows and rows[0] == ["label", "title", "description"]:
        rows = rows[1:]
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write("# SHA-256 of basic_english tokens of AG News test.csv (title + ' ' + description), %d rows a block\n" % block)
        for start in range(0, len(rows), block):
            digest = hashlib.sha256()
            for row in rows[start:start + block]:
                digest.update((" ".join(basic_english(row[1] + " " + row[2])) + "\n").encode("utf-8"))
            out.write("%d %s\n" % (start + 1, digest.hexdigest()))
    print("wrote digests of %d rows to %s" % (len(rows), path))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agnews", help="path of the real AG News test.csv")
    args = parser.parse_args()
    write_jsonl(os.path.join(here, "basic_english.jsonl"))
    if args.agnews:
        write_agnews_digests(args.agnews, os.path.join(here, "basic_english_agnews.sha256"))


if __name__ == "__main__":
    main()
