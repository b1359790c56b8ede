package datasets

import (
	"math/rand/v2"
	"strings"
)

// Words of the built-in task. Nouns, linking verbs, adverbs and openers are
// drawn independently of the label; the label only decides which of a good
// and a bad word goes into which slot of a template.
var (
	builtinNouns = []string{
		"movie", "film", "book", "food", "service", "hotel", "match", "game",
		"show", "album", "concert", "phone", "car", "meal", "room", "staff",
		"plot", "ending", "story", "trip", "class", "course", "team", "song",
		"camera", "laptop", "coffee", "pizza", "museum", "play",
	}
	builtinGood = []string{
		"good", "great", "excellent", "wonderful", "fantastic", "superb", "lovely", "brilliant",
		"pleasant", "amazing", "delightful", "solid", "fine", "enjoyable", "charming", "impressive",
	}
	builtinBad = []string{
		"bad", "terrible", "awful", "poor", "horrible", "dreadful", "boring", "weak",
		"disappointing", "mediocre", "dull", "annoying", "lousy", "unpleasant", "painful", "sloppy",
	}
	// Verbs of liking and disliking: base form and past tense.
	builtinGoodVerbs = [][2]string{{"love", "loved"}, {"like", "liked"}, {"enjoy", "enjoyed"}, {"adore", "adored"}, {"admire", "admired"}}
	builtinBadVerbs  = [][2]string{{"hate", "hated"}, {"dislike", "disliked"}, {"loathe", "loathed"}, {"regret", "regretted"}, {"resent", "resented"}}
	builtinLinks     = []string{"was", "is", "seemed", "felt", "looked"}
	builtinAdverbs   = []string{"really", "very", "quite", "truly", "rather", "pretty"}
	builtinOpeners   = []string{"honestly ,", "overall ,", "in the end ,", "to be fair ,", "well ,"}
)

// builtinTemplates are the sentence patterns of Builtin. Placeholders: {N} a
// noun, {L} a linking verb, {D} the deciding adjective, whose polarity is
// the label, {O} an adjective of the other polarity, {DV} and {Dv} the past
// and base form of a deciding verb, {OV} and {Ov} those of a verb of the
// other polarity. Every template holds one deciding and one other word in
// the same form, so a sentence and its opposite use the same words in
// another order.
var builtinTemplates = []string{
	"the {N} {L} {D} , not {O}",
	"the {N} {L} not {O} , it {L} {D}",
	"the {N} {L} not {O} but the {N} {L} {D}",
	"i thought it would be {O} but it {L} {D}",
	"the {N} {L} {D} and not {O} at all",
	"although the {N} {L} {O} , the {N} {L} {D}",
	"the {N} {L} {D} although the {N} {L} {O}",
	"i {OV} the {N} at first , but later i {DV} it",
	"i never {OV} the {N} , i {DV} it",
	"not {O} at all , the {N} {L} {D}",
	"{O} ? no , the {N} {L} {D}",
	"the {N} {L} {D} rather than {O}",
	"was the {N} {O} ? not at all , it {L} {D}",
	"i {DV} the {N} , i never {OV} it",
	"i do not {Ov} the {N} , i {Dv} it",
	"people said the {N} {L} {O} , but it {L} {D}",
	"the {N} {L} {D} , even if the {N} {L} {O}",
}

// Builtin returns n generated English-like sentences, labelled positive or
// negative, in which word order alone decides the label: the words of a
// positive sentence, reordered, make a negative one just as likely, so a
// bag-of-words classifier stays near 50% accuracy (at most about 60%) while
// a recurrent model can learn the task almost perfectly. It needs no
// download and is deterministic per seed.
//
// Each sentence fills one of these templates, chosen uniformly ({D} is the
// word whose polarity is the label, {O} one of the opposite polarity; nouns,
// verbs, and the optional adverb before an adjective and opener such as
// "honestly ," are drawn independently of the label):
//
//	the {N} {L} {D} , not {O}                      the match was good , not bad
//	the {N} {L} not {O} , it {L} {D}                the film was not bad , it was great
//	the {N} {L} not {O} but the {N} {L} {D}         the food was not good but the room was awful
//	i thought it would be {O} but it {L} {D}        i thought it would be bad but it was good
//	the {N} {L} {D} and not {O} at all
//	although the {N} {L} {O} , the {N} {L} {D}
//	the {N} {L} {D} although the {N} {L} {O}
//	i {OV} the {N} at first , but later i {DV} it   i hated the show at first , but later i loved it
//	i never {OV} the {N} , i {DV} it
//	not {O} at all , the {N} {L} {D}
//	{O} ? no , the {N} {L} {D}
//	the {N} {L} {D} rather than {O}
//	was the {N} {O} ? not at all , it {L} {D}
//	i {DV} the {N} , i never {OV} it
//	i do not {Ov} the {N} , i {Dv} it
//	people said the {N} {L} {O} , but it {L} {D}
//	the {N} {L} {D} , even if the {N} {L} {O}
//
// Sentences have 7 to 18 tokens, lowercase with punctuation spaced out (so
// basic_english gives back the words as written), over 124 words. The
// classes are balanced (they differ by at most one) and in random order;
// Classes is [negative positive], Path "builtin" and Example.Line the
// 1-based index. n <= 0 gives no examples.
func Builtin(n int, seed uint64) *Dataset {
	rng := rand.New(rand.NewPCG(seed, builtinStream))
	labels := make([]int, max(n, 0))
	for i := range labels {
		labels[i] = i % 2
	}
	rng.Shuffle(len(labels), func(i, j int) { labels[i], labels[j] = labels[j], labels[i] })
	ds := &Dataset{Classes: []string{"negative", "positive"}, Path: "builtin", Examples: make([]Example, len(labels))}
	for i, label := range labels {
		ds.Examples[i] = Example{Text: builtinSentence(rng, label == 1), Label: label, Line: i + 1}
	}
	return ds
}

// verbForm returns 0 (base form) for a verb placeholder in lower case, such
// as {Dv}, and 1 (past tense) for one in upper case.
func verbForm(placeholder string) int {
	if strings.HasSuffix(placeholder, "v}") {
		return 0
	}
	return 1
}

// builtinSentence fills a random template; positive says whether the
// deciding word is a good one.
func builtinSentence(rng *rand.Rand, positive bool) string {
	pick := func(words []string) string { return words[rng.IntN(len(words))] }
	adjectives := [2][]string{builtinBad, builtinGood}         // by polarity
	verbs := [2][][2]string{builtinBadVerbs, builtinGoodVerbs} // by polarity
	deciding, other := 0, 1
	if positive {
		deciding, other = 1, 0
	}
	words := make([]string, 0, 24)
	if rng.IntN(5) == 0 {
		words = append(words, pick(builtinOpeners))
	}
	withAdverb := func(adjective string) string {
		if rng.IntN(4) == 0 {
			return pick(builtinAdverbs) + " " + adjective
		}
		return adjective
	}
	for _, slot := range strings.Fields(pick(builtinTemplates)) {
		switch slot {
		case "{N}":
			slot = pick(builtinNouns)
		case "{L}":
			slot = pick(builtinLinks)
		case "{D}":
			slot = withAdverb(pick(adjectives[deciding]))
		case "{O}":
			slot = withAdverb(pick(adjectives[other]))
		case "{Dv}", "{DV}":
			slot = verbs[deciding][rng.IntN(len(verbs[deciding]))][verbForm(slot)]
		case "{Ov}", "{OV}":
			slot = verbs[other][rng.IntN(len(verbs[other]))][verbForm(slot)]
		}
		words = append(words, slot)
	}
	return strings.Join(words, " ")
}
