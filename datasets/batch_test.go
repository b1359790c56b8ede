package datasets

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// randomEncoded returns n rows of random lengths 1..maxLen with ids >= 2.
func randomEncoded(n, maxLen int, seed uint64) *Encoded {
	rng := rand.New(rand.NewPCG(seed, 0))
	enc := &Encoded{Classes: []string{"a", "b"}}
	for i := 0; i < n; i++ {
		row := make([]int, 1+rng.IntN(maxLen))
		for j := range row {
			row[j] = 2 + rng.IntN(50)
		}
		enc.IDs = append(enc.IDs, row)
		enc.Labels = append(enc.Labels, rng.IntN(2))
		enc.Examples = append(enc.Examples, i)
	}
	return enc
}

// collect returns the batches of an epoch.
func collect(b *Batcher, epoch int) []Batch {
	var batches []Batch
	for it := b.Epoch(epoch); it.Next(); {
		batches = append(batches, it.Batch())
	}
	return batches
}

// checkEpoch checks every batch against enc and returns how often each row
// appeared.
func checkEpoch(t *testing.T, enc *Encoded, batches []Batch, opts BatcherOptions) []int {
	t.Helper()
	seen := make([]int, len(enc.IDs))
	for k, batch := range batches {
		if batch.Size != len(batch.Lengths) || len(batch.Labels) != batch.Size || len(batch.Index) != batch.Size ||
			len(batch.IDs) != batch.Size*batch.Steps || batch.Size > opts.BatchSize {
			t.Fatalf("batch %d: inconsistent shape %+v", k, batch)
		}
		if opts.DropLast && batch.Size != opts.BatchSize {
			t.Errorf("batch %d: %d rows with DropLast", k, batch.Size)
		}
		steps := 0
		for i, row := range batch.Index {
			seen[row]++
			length := batch.Lengths[i]
			steps = max(steps, length)
			want := enc.IDs[row]
			if opts.MaxLen > 0 {
				want = want[:min(len(want), opts.MaxLen)]
			}
			got := batch.Row(i)
			if length != len(want) || !slices.Equal(got[:length], want) {
				t.Errorf("batch %d row %d: ids %v, want %v", k, i, got[:length], want)
			}
			for _, id := range got[length:] {
				if id != PadID {
					t.Errorf("batch %d row %d: %d in the padding", k, i, id)
				}
			}
			if batch.Labels[i] != enc.Labels[row] {
				t.Errorf("batch %d row %d: label %d, want %d", k, i, batch.Labels[i], enc.Labels[row])
			}
		}
		if steps != batch.Steps {
			t.Errorf("batch %d: Steps %d, longest row %d", k, batch.Steps, steps)
		}
	}
	return seen
}

func TestBatcherEpochs(t *testing.T) {
	enc := randomEncoded(1003, 40, 1)
	tests := []struct {
		name string
		opts BatcherOptions
	}{
		{"in order", BatcherOptions{BatchSize: 16}},
		{"shuffled", BatcherOptions{BatchSize: 16, Shuffle: true, Seed: 3}},
		{"bucketed", BatcherOptions{BatchSize: 16, Bucket: true, BucketWindow: 5}},
		{"bucketed and shuffled", BatcherOptions{BatchSize: 16, Shuffle: true, Bucket: true, Seed: 3}},
		{"drop last", BatcherOptions{BatchSize: 16, Shuffle: true, Bucket: true, DropLast: true, Seed: 3}},
		{"truncated", BatcherOptions{BatchSize: 7, MaxLen: 10, Shuffle: true, Seed: 5}},
		{"default size", BatcherOptions{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := NewBatcher(enc, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			opts := b.opts // with defaults
			for epoch := 0; epoch < 3; epoch++ {
				batches := collect(b, epoch)
				if len(batches) != b.NumBatches() {
					t.Errorf("epoch %d: %d batches, NumBatches %d", epoch, len(batches), b.NumBatches())
				}
				seen := checkEpoch(t, enc, batches, opts)
				dropped := 0
				for row, n := range seen {
					if n > 1 {
						t.Errorf("epoch %d: row %d appears %d times", epoch, row, n)
					}
					if n == 0 {
						dropped++
					}
				}
				wantMissing := 0
				if opts.DropLast {
					wantMissing = len(enc.IDs) % opts.BatchSize
				}
				if dropped != wantMissing {
					t.Errorf("epoch %d: %d rows missing, want %d", epoch, dropped, wantMissing)
				}
				if !reflect.DeepEqual(batches, collect(b, epoch)) {
					t.Errorf("epoch %d: not deterministic", epoch)
				}
			}
			differ := !reflect.DeepEqual(collect(b, 0), collect(b, 1))
			if differ != opts.Shuffle {
				t.Errorf("epochs 0 and 1 differ: %v, want %v", differ, opts.Shuffle)
			}
		})
	}
}

func TestBatcherSeeds(t *testing.T) {
	enc := randomEncoded(200, 30, 2)
	batchesOf := func(seed uint64) []Batch {
		b, err := NewBatcher(enc, BatcherOptions{BatchSize: 8, Shuffle: true, Bucket: true, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return collect(b, 4)
	}
	if !reflect.DeepEqual(batchesOf(9), batchesOf(9)) {
		t.Error("same seed, different batches")
	}
	if reflect.DeepEqual(batchesOf(9), batchesOf(10)) {
		t.Error("seeds 9 and 10 give the same batches")
	}
}

func TestBucketingCutsPadding(t *testing.T) {
	enc := randomEncoded(5000, 100, 3)
	ratio := func(opts BatcherOptions) float64 {
		b, err := NewBatcher(enc, opts)
		if err != nil {
			t.Fatal(err)
		}
		return b.PaddingRatio(0)
	}
	plain := ratio(BatcherOptions{BatchSize: 32, Shuffle: true, Seed: 1})
	bucketed := ratio(BatcherOptions{BatchSize: 32, Shuffle: true, Bucket: true, Seed: 1})
	t.Logf("padding ratio: %.3f without bucketing, %.3f with", plain, bucketed)
	if !(bucketed < plain/4) {
		t.Errorf("bucketing: padding %.3f, want well below %.3f", bucketed, plain)
	}
}

func TestPaddingRatioCountsSlots(t *testing.T) {
	enc := &Encoded{IDs: [][]int{{2}, {2, 3, 4}, {2, 3}}, Labels: []int{0, 0, 0}}
	b, err := NewBatcher(enc, BatcherOptions{BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	// batch 1: lengths 1, 3 -> 6 slots, 2 padded; batch 2: length 2 -> 2 slots, 0 padded.
	if got, want := b.PaddingRatio(0), 2.0/8.0; got != want {
		t.Errorf("PaddingRatio = %v, want %v", got, want)
	}
}

func TestBatchIteratorBounds(t *testing.T) {
	enc := &Encoded{IDs: [][]int{{2}}, Labels: []int{0}}
	b, _ := NewBatcher(enc, BatcherOptions{})
	it := b.Epoch(0)
	if batch := it.Batch(); batch.Size != 0 {
		t.Errorf("Batch before Next: %+v", batch)
	}
	if !it.Next() || it.Batch().Size != 1 {
		t.Error("first Next")
	}
	if it.Next() || it.Next() || it.Batch().Size != 0 {
		t.Error("Next after the end")
	}
}

func TestNewBatcherErrors(t *testing.T) {
	good := &Encoded{IDs: [][]int{{2}, {3}}, Labels: []int{0, 1}}
	tests := []struct {
		name string
		enc  *Encoded
		opts BatcherOptions
		want string
	}{
		{"nil", nil, BatcherOptions{}, "no rows"},
		{"no rows", &Encoded{}, BatcherOptions{}, "no rows"},
		{"labels", &Encoded{IDs: [][]int{{2}}, Labels: []int{}}, BatcherOptions{}, "1 rows but 0 labels"},
		{"targets", &Encoded{IDs: [][]int{{2, 3}}, Targets: [][]int{{4}}}, BatcherOptions{}, "row 0 has 2 tokens but not as many targets"},
		{"second sequences", &Encoded{IDs: [][]int{{2}, {3}}, Second: &Encoded{IDs: [][]int{{4}}}}, BatcherOptions{}, "2 rows but 1 second sequences"},
		{"empty row", &Encoded{IDs: [][]int{{2}, {}}, Labels: []int{0, 0}}, BatcherOptions{}, "row 1 is empty"},
		{"negative", good, BatcherOptions{MaxLen: -1}, "want none negative"},
		{"drop last with too few rows", good, BatcherOptions{BatchSize: 3, DropLast: true}, "DropLast with 2 rows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewBatcher(tt.enc, tt.opts)
			wantError(t, err, tt.want)
		})
	}
}

func TestPadBatch(t *testing.T) {
	batch, err := PadBatch([][]int{{5, 6, 7}, {8}, {9, 10}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := Batch{
		IDs:     []int{5, 6, 8, 0, 9, 10},
		Lengths: []int{2, 1, 2},
		Index:   []int{0, 1, 2},
		Size:    3,
		Steps:   2,
	}
	if !reflect.DeepEqual(batch, want) {
		t.Errorf("got %+v, want %+v", batch, want)
	}
	for _, bad := range []struct {
		seqs   [][]int
		maxLen int
		want   string
	}{
		{nil, 0, "no sequences"},
		{[][]int{{1}, {}}, 0, "sequence 1 is empty"},
		{[][]int{{1}}, -1, "maxLen -1"},
	} {
		_, err := PadBatch(bad.seqs, bad.maxLen)
		wantError(t, err, bad.want)
	}
}

// TestBatchesCarryTargetsAndSecondSequences checks that per-token targets
// and second sequences follow their rows through shuffling, bucketing and
// truncation: targets padded with NoTarget, second sequences padded to
// their own length, and Rows splitting all of it alike.
func TestBatchesCarryTargetsAndSecondSequences(t *testing.T) {
	enc := &Encoded{
		IDs:     [][]int{{2, 3, 4}, {5}, {6, 7}, {8, 9, 10, 11}},
		Targets: [][]int{{3, 4, 1}, {1}, {7, 1}, {9, 10, 11, 1}},
		Second: &Encoded{
			IDs:     [][]int{{2, 20}, {2, 21, 22, 23}, {2}, {2, 24, 25}},
			Targets: [][]int{{20, 3}, {21, 22, 23, 3}, {3}, {24, 25, 3}},
		},
	}
	b, err := NewBatcher(enc, BatcherOptions{BatchSize: 2, Shuffle: true, Bucket: true, MaxLen: 3, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for it := b.Epoch(1); it.Next(); {
		batch := it.Batch()
		for i, row := range batch.Index {
			seen++
			n := min(len(enc.IDs[row]), 3)
			if batch.Lengths[i] != n {
				t.Errorf("row %d: length %d, want %d", row, batch.Lengths[i], n)
			}
			for s := 0; s < batch.Steps; s++ {
				want := NoTarget
				if s < n {
					want = enc.Targets[row][s]
				}
				if got := batch.Targets[i*batch.Steps+s]; got != want {
					t.Errorf("row %d step %d: target %d, want %d", row, s, got, want)
				}
			}
			second := batch.Second
			m := min(len(enc.Second.IDs[row]), 3)
			if second.Lengths[i] != m || second.Row(i)[m-1] != enc.Second.IDs[row][m-1] || second.Targets[i*second.Steps+m-1] != enc.Second.Targets[row][m-1] {
				t.Errorf("row %d: second sequence %v (targets %v), want %v", row, second.Row(i), second.Targets, enc.Second.IDs[row])
			}
		}
		half := batch.Rows(1, batch.Size)
		if half.Size != batch.Size-1 || half.Second.Size != half.Size || half.Targets[0] != batch.Targets[batch.Steps] || half.Tokens() >= batch.Tokens() {
			t.Errorf("Rows(1, %d) = %+v of %+v", batch.Size, half, batch)
		}
	}
	if seen != enc.Len() {
		t.Errorf("an epoch had %d rows, want %d", seen, enc.Len())
	}
}
