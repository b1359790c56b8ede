package datasets

import (
	"math/rand/v2"
	"slices"

	"github.com/pkg/errors"
)

// NoTarget fills per-token targets where there is nothing to predict, past
// each row's length: a target no loss counts. It is PyTorch's default
// ignore_index.
const NoTarget = -100

// Batch is one padded batch: B rows of a token sequence padded to T steps,
// with what the task predicts of them.
type Batch struct {
	IDs     []int  // [B*T] row-major token ids, PadID after each row's length
	Lengths []int  // [B] true lengths, 1 <= Lengths[i] <= T
	Labels  []int  // [B] class indices; nil when the rows have no classes (and for PadBatch)
	Targets []int  // [B*T] per-token targets, row-major like IDs, NoTarget after each row's length; nil when the rows have none
	Second  *Batch // the rows' second sequence (a translation's target), padded to its own length; nil for one-sequence tasks
	Index   []int  // [B] positions of the rows in the encoded dataset
	Size    int    // B
	Steps   int    // T (max of Lengths)

	// Chars are the tokens' characters, each token's padded with 0 to
	// CharSteps: [B*T*CharSteps] row-major (character c of token t of row b
	// at (b*T + t)*CharSteps + c), with CharLengths [B*T] (0 past each
	// row's length); nil when the rows have none.
	Chars       []int
	CharLengths []int
	CharSteps   int
}

// Tokens returns the number of real (unpadded) tokens of the batch's
// sequences.
func (b Batch) Tokens() int {
	n := 0
	for _, l := range b.Lengths {
		n += l
	}
	if b.Second != nil {
		n += b.Second.Tokens()
	}
	return n
}

// Rows returns the batch of rows from <= i < to, sharing b's memory: one
// data-parallel worker's share.
func (b Batch) Rows(from, to int) Batch {
	part := Batch{IDs: b.IDs[from*b.Steps : to*b.Steps], Lengths: b.Lengths[from:to], Size: to - from, Steps: b.Steps}
	if b.Labels != nil {
		part.Labels = b.Labels[from:to]
	}
	if b.Targets != nil {
		part.Targets = b.Targets[from*b.Steps : to*b.Steps]
	}
	if b.Index != nil {
		part.Index = b.Index[from:to]
	}
	if b.Chars != nil {
		part.Chars = b.Chars[from*b.Steps*b.CharSteps : to*b.Steps*b.CharSteps]
		part.CharLengths = b.CharLengths[from*b.Steps : to*b.Steps]
		part.CharSteps = b.CharSteps
	}
	if b.Second != nil {
		second := b.Second.Rows(from, to)
		part.Second = &second
	}
	return part
}

// Row returns the ids of row i, padding included, [T].
func (b Batch) Row(i int) []int { return b.IDs[i*b.Steps : (i+1)*b.Steps] }

// Defaults of BatcherOptions.
const (
	// DefaultBatchSize is gornn's one default batch size, the lesson's.
	DefaultBatchSize    = 16
	DefaultBucketWindow = 50
)

// BatcherOptions says how a Batcher groups rows. The zero value gives
// batches of DefaultBatchSize rows in dataset order, the last one smaller.
type BatcherOptions struct {
	// BatchSize is B, the rows of a batch. Default DefaultBatchSize.
	BatchSize int
	// MaxLen truncates rows longer than this to their first MaxLen tokens.
	// Default 0: no truncation.
	MaxLen int
	// Shuffle draws a new row order every epoch, from Seed and the epoch
	// number. Default false: dataset order.
	Shuffle bool
	// Bucket sorts the rows by length within windows of BucketWindow
	// batches, so that a batch holds rows of similar length and needs less
	// padding, and then (with Shuffle) shuffles the batches. Default false.
	Bucket bool
	// BucketWindow is the size of a bucketing window, in batches. Default
	// DefaultBucketWindow.
	BucketWindow int
	// DropLast leaves out the last BatchSize-1 or fewer rows of each epoch's
	// order, so that every batch has exactly B rows. Default false.
	DropLast bool
	// Seed seeds the shuffles (math/rand/v2 PCG). The same seed and epoch
	// give the same batches, bit for bit.
	Seed uint64
}

// Batcher cuts an Encoded dataset into padded batches, epoch by epoch. Each
// batch is padded to its own longest row (a batch of short rows stays
// short). Batches are built one at a time as an iteration asks for them.
// A Batcher is read-only after NewBatcher and safe for concurrent use; each
// iterator is not.
type Batcher struct {
	enc     *Encoded
	opts    BatcherOptions
	lengths []int // [N] row lengths after truncation
}

// NewBatcher returns a Batcher over enc. It checks that enc has rows, that
// every row is non-empty, that labels, targets and second sequences (where
// enc has them) match the rows, and that the options are in range.
func NewBatcher(enc *Encoded, opts BatcherOptions) (*Batcher, error) {
	if opts.BatchSize == 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.BucketWindow == 0 {
		opts.BucketWindow = DefaultBucketWindow
	}
	switch {
	case opts.BatchSize < 0 || opts.MaxLen < 0 || opts.BucketWindow < 0:
		return nil, errors.Errorf("batcher: BatchSize %d, MaxLen %d, BucketWindow %d: want none negative",
			opts.BatchSize, opts.MaxLen, opts.BucketWindow)
	case enc == nil || len(enc.IDs) == 0:
		return nil, errors.New("batcher: no rows")
	case enc.Labels != nil && len(enc.Labels) != len(enc.IDs):
		return nil, errors.Errorf("batcher: %d rows but %d labels", len(enc.IDs), len(enc.Labels))
	case opts.DropLast && len(enc.IDs) < opts.BatchSize:
		return nil, errors.Errorf("batcher: DropLast with %d rows, fewer than a batch of %d", len(enc.IDs), opts.BatchSize)
	}
	if err := enc.check(); err != nil {
		return nil, errors.Wrap(err, "batcher")
	}
	lengths := make([]int, len(enc.IDs))
	for i, ids := range enc.IDs {
		lengths[i] = len(ids)
		if opts.MaxLen > 0 {
			lengths[i] = min(lengths[i], opts.MaxLen)
		}
	}
	return &Batcher{enc: enc, opts: opts, lengths: lengths}, nil
}

// NumBatches returns the number of batches of every epoch.
func (b *Batcher) NumBatches() int {
	n, size := len(b.lengths), b.opts.BatchSize
	if b.opts.DropLast {
		return n / size
	}
	return (n + size - 1) / size
}

// plan returns the batches of an epoch as lists of row indices.
func (b *Batcher) plan(epoch int) [][]int {
	size := b.opts.BatchSize
	order := make([]int, len(b.lengths))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(b.opts.Seed, batchStream^uint64(epoch)))
	if b.opts.Shuffle {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	if b.opts.DropLast {
		order = order[:len(order)-len(order)%size]
	}
	if b.opts.Bucket {
		window := size * b.opts.BucketWindow
		for start := 0; start < len(order); start += window {
			slices.SortStableFunc(order[start:min(start+window, len(order))], func(x, y int) int {
				return b.lengths[x] - b.lengths[y]
			})
		}
	}
	batches := make([][]int, 0, b.NumBatches())
	for start := 0; start < len(order); start += size {
		batches = append(batches, order[start:min(start+size, len(order))])
	}
	if b.opts.Bucket && b.opts.Shuffle {
		rng.Shuffle(len(batches), func(i, j int) { batches[i], batches[j] = batches[j], batches[i] })
	}
	return batches
}

// PaddingRatio returns the share of padding in an epoch's batches: padded
// slots over all B*T slots, summed over the batches.
func (b *Batcher) PaddingRatio(epoch int) float64 {
	var slots, padded int
	for _, rows := range b.plan(epoch) {
		steps, tokens := 0, 0
		for _, row := range rows {
			steps = max(steps, b.lengths[row])
			tokens += b.lengths[row]
		}
		slots += steps * len(rows)
		padded += steps*len(rows) - tokens
	}
	return float64(padded) / float64(slots)
}

// Epoch returns an iterator over the batches of the given epoch:
//
//	it := batcher.Epoch(epoch)
//	for it.Next() {
//		batch := it.Batch()
//		...
//	}
func (b *Batcher) Epoch(epoch int) *BatchIterator {
	return &BatchIterator{batcher: b, batches: b.plan(epoch), current: -1}
}

// BatchIterator yields the batches of one epoch, building each when asked.
type BatchIterator struct {
	batcher *Batcher
	batches [][]int
	current int
}

// Next moves to the next batch and reports whether there is one.
func (it *BatchIterator) Next() bool {
	if it.current < len(it.batches) {
		it.current++
	}
	return it.current < len(it.batches)
}

// Batch returns the current batch, newly allocated: it stays valid after
// Next. It returns the zero Batch before the first Next or after the last.
func (it *BatchIterator) Batch() Batch {
	if it.current < 0 || it.current >= len(it.batches) {
		return Batch{}
	}
	rows := it.batches[it.current]
	batch := it.batcher.enc.batch(rows, it.batcher.opts.MaxLen)
	batch.Index = slices.Clone(rows)
	return batch
}

// batch lays the given rows of e out as a padded batch, truncated to
// maxLen (0: no truncation).
func (e *Encoded) batch(rows []int, maxLen int) Batch {
	seqs := make([][]int, len(rows))
	for i, row := range rows {
		seqs[i] = e.IDs[row]
	}
	batch := padRows(seqs, maxLen)
	if e.Labels != nil {
		batch.Labels = make([]int, len(rows))
		for i, row := range rows {
			batch.Labels[i] = e.Labels[row]
		}
	}
	if e.Targets != nil {
		batch.Targets = make([]int, len(batch.IDs))
		for i := range batch.Targets {
			batch.Targets[i] = NoTarget
		}
		for i, row := range rows {
			copy(batch.Targets[i*batch.Steps:i*batch.Steps+batch.Lengths[i]], e.Targets[row])
		}
	}
	if e.Chars != nil {
		batch.addChars(e.Chars, rows)
	}
	if e.Second != nil {
		second := e.Second.batch(rows, maxLen)
		batch.Second = &second
	}
	return batch
}

// addChars lays out the characters of the batch's tokens, the given rows
// of chars, padded to the longest token.
func (b *Batch) addChars(chars [][][]int, rows []int) {
	b.CharSteps = 1
	for i, row := range rows {
		for _, c := range chars[row][:b.Lengths[i]] {
			b.CharSteps = max(b.CharSteps, len(c))
		}
	}
	b.Chars = make([]int, len(b.IDs)*b.CharSteps)
	b.CharLengths = make([]int, len(b.IDs))
	for i, row := range rows {
		for t, c := range chars[row][:b.Lengths[i]] {
			w := i*b.Steps + t
			b.CharLengths[w] = len(c)
			copy(b.Chars[w*b.CharSteps:], c)
		}
	}
}

// PadBatch pads token id sequences into one batch, for prediction: rows
// longer than maxLen (when maxLen > 0) keep their first maxLen ids, Labels
// is nil and Index is 0..B-1. Every sequence must be non-empty.
func PadBatch(seqs [][]int, maxLen int) (Batch, error) {
	if len(seqs) == 0 {
		return Batch{}, errors.New("pad batch: no sequences")
	}
	if maxLen < 0 {
		return Batch{}, errors.Errorf("pad batch: maxLen %d, want >= 0", maxLen)
	}
	index := make([]int, len(seqs))
	for i, seq := range seqs {
		if len(seq) == 0 {
			return Batch{}, errors.Errorf("pad batch: sequence %d is empty", i)
		}
		index[i] = i
	}
	batch := padRows(seqs, maxLen)
	batch.Index = index
	return batch, nil
}

// padRows lays non-empty seqs out as a [B, T] batch, T the longest length
// after truncation to maxLen (0: none).
func padRows(seqs [][]int, maxLen int) Batch {
	lengths := make([]int, len(seqs))
	steps := 0
	for i, seq := range seqs {
		lengths[i] = len(seq)
		if maxLen > 0 {
			lengths[i] = min(lengths[i], maxLen)
		}
		steps = max(steps, lengths[i])
	}
	ids := make([]int, len(seqs)*steps) // all PadID (0) until filled
	for i, seq := range seqs {
		copy(ids[i*steps:], seq[:lengths[i]])
	}
	return Batch{IDs: ids, Lengths: lengths, Size: len(seqs), Steps: steps}
}
