package main

import (
	"strings"
	"testing"
)

// TestTaggerMatchesCmdPredict checks that a tagger's :predict answers what
// cmd/predict -json prints for the same texts, empty ones included, over
// more texts than one of Predict's batches, with a softmax and with a
// CRF.
func TestTaggerMatchesCmdPredict(t *testing.T) {
	texts := testTexts(70, 3)
	for _, tc := range []struct {
		name string
		crf  bool
	}{{"softmax", false}, {"crf", true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := saveTagger(t, tc.crf)
			want := commandLines(t, predictCommand, texts, "-model", dir, "-json")
			url, _ := startServer(t, testConfig(t, dir))
			sameLines(t, predictions(t, url+"/v1/models/default:predict", instances(t, texts...)), want)
		})
	}
}

// TestTaggerRoutes checks a tagger's routes, limits and errors.
func TestTaggerRoutes(t *testing.T) {
	cfg := testConfig(t, "tag="+saveTagger(t, true))
	cfg.limits = limits{maxInstances: 3, maxTokens: 12}
	url, _ := startServer(t, cfg)
	predict := "/v1/models/tag:predict"
	checkCalls(t, url, []callCase{
		{"status", "GET", "/v1/models/tag", "", 200, `"format":"gornn-tagger/1","dir":`},
		{"status has the config", "GET", "/v1/models/tag", "", 200, `"crf":true`},
		{"predict", "POST", predict, `{"instances": ["the food was good"]}`, 200, `{"predictions":[{"tokens":["the","food","was","good"],"tags":[`},
		{"a CRF's score", "POST", predict, `{"instances": ["good"]}`, 200, `"score":`},
		{"texts without tokens", "POST", predict, `{"instances": ["", " \t "]}`, 200, `{"predictions":[{"tokens":[],"tags":[],"spans":[]},{"tokens":[],"tags":[],"spans":[]}]}`},
		{"too many tokens", "POST", predict, instances(t, "good", strings.Repeat("good ", 13)), 422, "instances[1] has 13 tokens, over the limit of 12"},
		{"too many instances", "POST", predict, instances(t, "a", "b", "c", "d"), 422, "4 instances, over the limit of 3"},
		{"wrong type", "POST", predict, `{"instances": [["the", "food"]]}`, 400, "instances[0] is"},
		{"unknown field", "POST", predict, `{"instances": ["a"], "beam": 2}`, 400, `unknown field \"beam\"`},
		{"no generate", "POST", "/v1/models/tag:generate", `{}`, 404, "(it has predict)"},
		{"predict by GET", "GET", predict, "", 405, "want POST"},
	})
}
