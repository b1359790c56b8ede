package main

import (
	"testing"
)

// TestSeq2SeqMatchesCmdPredict checks that a sequence-to-sequence model's
// :predict answers what cmd/predict -json prints for the same texts, over
// more texts than one of Decode's batches, greedy and with a beam: the
// request's fields decode as cmd/predict's flags do.
func TestSeq2SeqMatchesCmdPredict(t *testing.T) {
	dir := saveSeq2Seq(t)
	url, _ := startServer(t, testConfig(t, dir))
	words := testWords(70, 4)
	for _, tc := range []struct {
		name   string
		flags  []string
		fields map[string]any
	}{
		{"greedy", nil, map[string]any{}},
		{"beam", []string{"-beam", "3", "-nbest", "2", "-alpha", "0.6", "-max-len-ratio", "2"}, map[string]any{"beam": 3, "nbest": 2, "alpha": 0.6, "max_len_ratio": 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := commandLines(t, predictCommand, words, append([]string{"-model", dir, "-json"}, tc.flags...)...)
			tc.fields["instances"] = words
			sameLines(t, predictions(t, url+"/v1/models/default:predict", jsonBody(t, tc.fields)), want)
		})
	}
}

// TestSeq2SeqRoutes checks a sequence-to-sequence model's routes, limits
// and errors.
func TestSeq2SeqRoutes(t *testing.T) {
	cfg := testConfig(t, "g2p="+saveSeq2Seq(t))
	cfg.limits = limits{maxInstances: 3, maxTokens: 6}
	url, _ := startServer(t, cfg)
	predict := "/v1/models/g2p:predict"
	checkCalls(t, url, []callCase{
		{"status", "GET", "/v1/models/g2p", "", 200, `"format":"gornn-seq2seq/1"`},
		{"status has the config", "GET", "/v1/models/g2p", "", 200, `"max_source_len":8`},
		{"greedy", "POST", predict, `{"instances": ["cat"]}`, 200, `{"predictions":[{"text":"cat","source":["c","a","t"],"unknown":[],"outputs":[{"text":`},
		{"n-best", "POST", predict, `{"instances": ["cAt"], "beam": 2, "nbest": 2}`, 200, `"unknown":[{"position":1,"token":"A"}],"outputs":[{`},
		{"beam 0", "POST", predict, `{"instances": ["cat"], "beam": 0}`, 400, "beam 0 and nbest 1 must be at least 1"},
		{"beam over the limit", "POST", predict, `{"instances": ["cat"], "beam": 17, "nbest": 1}`, 422, "beam 17, over the limit of 16"},
		{"n-best over the beam", "POST", predict, `{"instances": ["cat"], "beam": 2, "nbest": 3}`, 400, "n-best 3 is more than the beam's width 2"},
		{"negative alpha", "POST", predict, `{"instances": ["cat"], "alpha": -1}`, 400, "alpha -1 must be a non-negative number"},
		{"max_len_ratio 0", "POST", predict, `{"instances": ["cat"], "max_len_ratio": 0}`, 400, "max_len_ratio 0 must be positive"},
		{"max_len_ratio over the limit", "POST", predict, `{"instances": ["cat"], "max_len_ratio": 10.5}`, 422, "max_len_ratio 10.5, over the limit of 10"},
		{"beam of the wrong type", "POST", predict, `{"instances": ["cat"], "beam": "3"}`, 400, "beam is a JSON string, want a number"},
		{"unknown field", "POST", predict, `{"instances": ["cat"], "top_k": 3}`, 400, `unknown field \"top_k\"`},
		{"empty source", "POST", predict, `{"instances": ["cat", " "]}`, 422, `instances[1]: empty source: \" \" has no char tokens`},
		{"over max_source_len", "POST", predict, `{"instances": ["catalogue"]}`, 422, "instances[0]: source of 9 char tokens, over the model's limit of 8 (max_source_len)"},
		{"over -max-tokens", "POST", predict, `{"instances": ["dogbird"]}`, 422, "instances[0] has 7 tokens, over the limit of 6"},
		{"too many instances", "POST", predict, `{"instances": ["a", "b", "c", "d"]}`, 422, "4 instances, over the limit of 3"},
		{"no generate", "POST", "/v1/models/g2p:generate", `{}`, 404, "(it has predict)"},
	})
}
