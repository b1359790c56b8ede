package datasets

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestRealAGNews loads the shared AG News test split and logs the figures
// the project reports about it.
func TestRealAGNews(t *testing.T) {
	path := realAGNewsTest(t)
	for _, lenient := range []bool{false, true} {
		ds, err := Load(path, LoadOptions{Lenient: lenient})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds.Examples) != 7600 || len(ds.Skipped) != 0 {
			t.Fatalf("lenient %v: %d examples, %d skipped; want 7600 and 0", lenient, len(ds.Examples), len(ds.Skipped))
		}
		if counts := ds.ClassCounts(); !slices.Equal(counts, []int{1900, 1900, 1900, 1900}) {
			t.Errorf("class counts %v, want 1900 each", counts)
		}
	}
	ds, _ := Load(path, LoadOptions{})

	train, err := ds.Slice(0, 6000)
	if err != nil {
		t.Fatal(err)
	}
	eval, err := ds.Slice(6000, 7600)
	if err != nil {
		t.Fatal(err)
	}
	// Line 1 is the header, so row r of the data is on line r+1.
	if len(train.Examples) != 6000 || train.Examples[0].Line != 2 || train.Examples[5999].Line != 6001 ||
		len(eval.Examples) != 1600 || eval.Examples[0].Line != 6002 || eval.Examples[1599].Line != 7601 {
		t.Errorf("fixed split: %d train rows (lines %d..%d), %d eval rows (lines %d..%d)",
			len(train.Examples), train.Examples[0].Line, train.Examples[5999].Line,
			len(eval.Examples), eval.Examples[0].Line, eval.Examples[1599].Line)
	}
	t.Logf("fixed split: train %v, eval %v examples per class", train.ClassCounts(), eval.ClassCounts())

	tok, _ := NewTokenizer("basic_english")
	full, err := BuildVocab(ds, tok, VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	capped, err := BuildVocab(ds, tok, VocabOptions{MaxSize: 20000})
	if err != nil {
		t.Fatal(err)
	}
	trainVocab, _ := BuildVocab(train, tok, VocabOptions{})
	t.Logf("basic_english vocabulary, specials included: %d (min freq 1), %d (max 20000), %d (rows 1..6000 only)",
		full.Len(), capped.Len(), trainVocab.Len())
	if capped.Len() != min(full.Len(), 20000) {
		t.Errorf("capped vocabulary has %d tokens", capped.Len())
	}

	enc, err := Encode(ds, tok, full, EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lengths := make([]int, enc.Len())
	total := 0
	for i, ids := range enc.IDs {
		lengths[i] = len(ids)
		total += len(ids)
	}
	slices.Sort(lengths)
	t.Logf("tokens per example: min %d, mean %.1f, median %d, p95 %d, max %d",
		lengths[0], float64(total)/float64(len(lengths)), lengths[len(lengths)/2], lengths[len(lengths)*95/100], lengths[len(lengths)-1])

	for _, size := range []int{16, 64} {
		ratios := make([]float64, 2)
		for i, bucket := range []bool{false, true} {
			b, err := NewBatcher(enc, BatcherOptions{BatchSize: size, Shuffle: true, Bucket: bucket, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			ratios[i] = b.PaddingRatio(0)
		}
		t.Logf("batch %d: padding ratio %.3f without bucketing, %.3f with (window %d batches)", size, ratios[0], ratios[1], DefaultBucketWindow)
		if ratios[1] >= ratios[0] {
			t.Errorf("batch %d: bucketing does not cut padding", size)
		}
	}
}

func TestAGNewsDir(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("GORNN_AG_NEWS", dir)
	if got, ok := AGNewsDir(); got != dir || !ok {
		t.Errorf("with GORNN_AG_NEWS set: %q, %v", got, ok)
	}
	missing := filepath.Join(dir, "missing")
	t.Setenv("GORNN_AG_NEWS", missing)
	if got, ok := AGNewsDir(); got != missing || ok {
		t.Errorf("with GORNN_AG_NEWS missing: %q, %v", got, ok)
	}
	t.Setenv("GORNN_AG_NEWS", "")
	got, ok := AGNewsDir()
	want, _ := filepath.Abs(filepath.Join("..", "..", "shared", "data", "ag_news"))
	if got != want {
		t.Errorf("from the module root: %q, want %q", got, want)
	}
	if _, err := os.Stat(want); (err == nil) != ok {
		t.Errorf("found %v, but the folder exists: %v", ok, err == nil)
	}
}

// BenchmarkPipelineAGNews measures tokenize + encode + batch (shuffled,
// bucketed) over the real AG News test split, the vocabulary built
// beforehand, per batch size.
func BenchmarkPipelineAGNews(b *testing.B) {
	ds, err := Load(realAGNewsTest(b), LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	tok, _ := NewTokenizer("basic_english")
	vocab, err := BuildVocab(ds, tok, VocabOptions{MaxSize: 20000})
	if err != nil {
		b.Fatal(err)
	}
	for _, size := range []int{16, 64} {
		b.Run(fmt.Sprintf("B=%d", size), func(b *testing.B) {
			b.ReportAllocs()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				enc, err := Encode(ds, tok, vocab, EncodeOptions{})
				if err != nil {
					b.Fatal(err)
				}
				batcher, err := NewBatcher(enc, BatcherOptions{BatchSize: size, Shuffle: true, Bucket: true, Seed: uint64(i)})
				if err != nil {
					b.Fatal(err)
				}
				for it := batcher.Epoch(0); it.Next(); {
					_ = it.Batch()
				}
			}
			b.ReportMetric(float64(b.N*len(ds.Examples))/time.Since(start).Seconds(), "examples/s")
		})
	}
}
