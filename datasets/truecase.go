package datasets

import (
	"math/rand/v2"
	"strings"
	"unicode"
)

// The tags of the truecasing task: how a token was written.
const (
	CaseLower = "lower" // no capital letter: "the", "42", ","
	CaseTitle = "Title" // a capital first letter, the others small: "Paris", "A"
	CaseUpper = "UPPER" // two or more letters, all capitals: "NASA"
	CaseMixed = "mixed" // any other mix: "iPhone", "McDonald"
)

// CaseTag returns the truecasing tag of a token as written: CaseLower,
// CaseTitle, CaseUpper or CaseMixed, judged on its cased letters alone.
func CaseTag(token string) string {
	var cased, upper int
	firstUpper := false
	for _, r := range token {
		switch {
		case unicode.IsUpper(r):
			if cased == 0 {
				firstUpper = true
			}
			cased++
			upper++
		case unicode.IsLower(r):
			cased++
		}
	}
	switch {
	case upper == 0:
		return CaseLower
	case firstUpper && upper == 1:
		return CaseTitle
	case upper == cased:
		return CaseUpper
	}
	return CaseMixed
}

// TruecaseTokens splits text into tokens without changing their case:
// every maximal run of letters, digits, apostrophes and hyphens is a
// token, and so is every other character but white space.
func TruecaseTokens(text string) []string {
	var tokens []string
	start := -1
	for i, r := range text {
		word := unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '-'
		if word {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			tokens = append(tokens, text[start:i])
			start = -1
		}
		if !isSeparator(r) {
			tokens = append(tokens, string(r))
		}
	}
	if start >= 0 {
		tokens = append(tokens, text[start:])
	}
	return tokens
}

// TruecaseSentence returns the truecasing example of text: its tokens
// (TruecaseTokens) lowercased, each tagged with how it was written
// (CaseTag).
func TruecaseSentence(text string) Sentence {
	tokens := TruecaseTokens(text)
	s := Sentence{Tokens: make([]string, len(tokens)), Tags: make([]string, len(tokens))}
	for i, token := range tokens {
		s.Tokens[i] = strings.ToLower(token)
		s.Tags[i] = CaseTag(token)
	}
	return s
}

// TruecaseAGNews returns the truecasing task of an AG News file: the
// description of every article, in file order, as a sentence
// (TruecaseSentence; the titles, capitalised headline style, are left
// out). Sentence.Line is the article's line. Articles without tokens are
// left out.
func TruecaseAGNews(path string) (*Tagged, error) {
	ds, err := Load(path, LoadOptions{Format: FormatCSV, LabelCol: "label", TextCols: []string{"description"}})
	if err != nil {
		// The original header-less form: label, title, description.
		var retry error
		if ds, retry = Load(path, LoadOptions{Format: FormatCSV, NoHeader: true, LabelCol: "0", TextCols: []string{"2"}}); retry != nil {
			return nil, err
		}
	}
	d := &Tagged{Path: path + " (truecasing of the descriptions)"}
	for _, ex := range ds.Examples {
		s := TruecaseSentence(cleanAGNewsText(ex.Text))
		if len(s.Tokens) == 0 {
			continue
		}
		s.Line = ex.Line
		d.Sentences = append(d.Sentences, s)
	}
	return d, nil
}

// Words of the built-in truecasing text.
var (
	truecasePeople    = []string{"Maria", "John", "Aisha", "Kenji", "Olga", "Pedro", "Grace", "Omar", "Lena", "David", "Chen", "Fatima"}
	truecasePlaces    = []string{"Paris", "Tokyo", "Lagos", "Berlin", "Lima", "Cairo", "Oslo", "Boston", "Mumbai", "Seoul", "Madrid", "Quebec"}
	truecaseCountries = []string{"France", "Japan", "Nigeria", "Germany", "Peru", "Egypt", "Norway", "Canada", "India", "Spain", "Brazil", "Kenya"}
	truecaseCompanies = []string{"Google", "Microsoft", "Toyota", "Siemens", "Nokia", "Boeing", "Intel", "Samsung", "Shell", "Nestle"}
	truecaseAcronyms  = []string{"NASA", "IBM", "UN", "EU", "FBI", "NATO", "CEO", "GDP", "WHO", "IMF", "NBA", "OPEC"}
	truecaseMixed     = []string{"iPhone", "eBay", "McDonald", "YouTube", "PayPal", "iPod", "LinkedIn", "MacBook", "PhD", "DreamWorks", "JavaScript", "FedEx"}
	truecaseDays      = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	truecaseMonths    = []string{"January", "March", "May", "July", "September", "November"}
	truecaseNouns     = []string{"plan", "deal", "report", "team", "market", "price", "project", "meeting", "budget", "study", "service", "product"}
	truecaseVerbs     = []string{"announced", "rejected", "praised", "delayed", "approved", "questioned", "launched", "reviewed"}
	truecaseAdjs      = []string{"new", "large", "small", "final", "early", "quiet", "strong", "weak", "surprising", "modest"}
)

// truecaseTemplates are the sentences of BuiltinTruecasing. Placeholders:
// {P} a person, {C} a city, {K} a country, {O} a company, {A} an
// acronym, {M} a mixed-case name, {D} a day, {T} a month, {n} a noun, {v}
// a verb, {j} an adjective, {#} a number.
var truecaseTemplates = []string{
	"{P} met {P} in {C} on {D} .",
	"{O} said on {D} that sales of its {M} rose {#} percent .",
	"the {A} {v} a {j} {n} for {K} in {T} .",
	"{P} , the {A} chief , visited {C} last week .",
	"shares of {O} fell after the {A} {n} on {D} .",
	"{P} bought a {j} {M} from {O} in {C} .",
	"in {T} , {K} and {K} {v} a {j} {n} .",
	"analysts at {O} expect {A} growth in {K} to slow .",
	"a {j} {n} by {P} and {P} was {v} by the {A} .",
	"{M} and {M} are popular in {K} , {P} said .",
	"on {D} the {A} {v} the {n} of {O} .",
	"{P} has worked for {O} in {C} since {T} .",
}

// BuiltinTruecasing returns n sentences of the built-in truecasing task,
// which needs no download: English-like sentences filled from templates
// with people, places, countries, companies, days and months (Title),
// acronyms (UPPER), names such as iPhone (mixed) and common words
// (lower), the first word capitalised, each made a truecasing example by
// TruecaseSentence. It is deterministic per seed; Sentence.Line is the
// 1-based index.
func BuiltinTruecasing(n int, seed uint64) *Tagged {
	rng := rand.New(rand.NewPCG(seed, truecaseStream))
	pick := func(words []string) string { return words[rng.IntN(len(words))] }
	fills := map[string][]string{
		"{P}": truecasePeople, "{C}": truecasePlaces, "{K}": truecaseCountries, "{O}": truecaseCompanies,
		"{A}": truecaseAcronyms, "{M}": truecaseMixed, "{D}": truecaseDays, "{T}": truecaseMonths,
		"{n}": truecaseNouns, "{v}": truecaseVerbs, "{j}": truecaseAdjs,
	}
	d := &Tagged{Path: "builtin truecasing"}
	for i := 0; i < max(n, 0); i++ {
		var words []string
		for _, slot := range strings.Fields(pick(truecaseTemplates)) {
			switch {
			case slot == "{#}":
				slot = strings.TrimLeft(string(rune('1'+rng.IntN(9)))+string(rune('0'+rng.IntN(10))), "0")
			case fills[slot] != nil:
				slot = pick(fills[slot])
			}
			words = append(words, slot)
		}
		if r := []rune(words[0]); unicode.IsLower(r[0]) {
			words[0] = string(unicode.ToUpper(r[0])) + string(r[1:])
		}
		s := TruecaseSentence(strings.Join(words, " "))
		s.Line = i + 1
		d.Sentences = append(d.Sentences, s)
	}
	return d
}
