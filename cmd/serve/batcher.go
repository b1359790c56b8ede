package main

import (
	"context"
	"sync"
	"time"
)

// batcher is a dynamic batcher, like Triton's: it merges the rows of
// concurrent requests into batches of at most maxBatch rows and runs them
// on workers goroutines, routing each row's result back to its request in
// order.
//
// Rows (of type R: a text, its tokens or their ids) are grouped by a key
// (of type K: the padded length they run at, say), so a batch holds rows
// of one key only. A batch leaves when it is full, when its
// oldest row has waited maxWait, or as soon as no request is on its way
// to the batcher (every request the model has received has queued its
// rows): waiting then could gather nothing, so a lone request is not
// delayed. While the workers are busy, rows pile up and leave together
// when one is free: under load batches grow by themselves.
type batcher[K comparable, R, T any] struct {
	maxBatch int
	maxWait  time.Duration
	// run runs one batch: rows, all of key key, giving one result each.
	run func(key K, rows []R) ([]T, error)
	// observe, when not nil, is told each batch's row count.
	observe func(rows int)

	mu       sync.Mutex
	groups   map[K][]pendingRow[R, T] // queued rows by key, oldest first
	arriving int                      // requests received but not queued yet
	wake     chan struct{}            // closed, and replaced, when rows arrive or draining starts
	draining bool                     // dispatch at once (shutdown)
	stopped  bool                     // workers exit once the queue is empty
	done     sync.WaitGroup
}

// pendingRow is one queued row: row index of job's rows.
type pendingRow[R, T any] struct {
	job    *batchJob[T]
	index  int
	row    R
	queued time.Time
}

// batchJob is one request's rows on their way through the batcher.
type batchJob[T any] struct {
	ctx     context.Context
	mu      sync.Mutex
	results []T
	left    int
	err     error
	done    chan struct{} // closed when every row has its result, or on the first error
}

// newBatcher starts a batcher with workers workers.
func newBatcher[K comparable, R, T any](maxBatch int, maxWait time.Duration, workers int, run func(key K, rows []R) ([]T, error), observe func(int)) *batcher[K, R, T] {
	b := &batcher[K, R, T]{maxBatch: maxBatch, maxWait: maxWait, run: run, observe: observe, groups: map[K][]pendingRow[R, T]{}, wake: make(chan struct{})}
	for range workers {
		b.done.Add(1)
		go b.work()
	}
	return b
}

// arrive records that a request is on its way to submit (its body being
// read and tokenized); it must be followed by one submit or leave.
func (b *batcher[K, R, T]) arrive() {
	b.mu.Lock()
	b.arriving++
	b.mu.Unlock()
}

// leave records that an arrived request will not submit (it failed).
func (b *batcher[K, R, T]) leave() {
	b.mu.Lock()
	b.arriving--
	b.signal()
	b.mu.Unlock()
}

// submit queues rows, each under the key of the same index, for an
// arrived request and returns the job that collects their results (done
// at once when there are none). ctx is the request's: rows whose request
// has ended are dropped rather than run.
func (b *batcher[K, R, T]) submit(ctx context.Context, keys []K, rows []R) *batchJob[T] {
	job := &batchJob[T]{ctx: ctx, results: make([]T, len(rows)), left: len(rows), done: make(chan struct{})}
	if len(rows) == 0 {
		close(job.done)
	}
	now := time.Now()
	b.mu.Lock()
	for i, row := range rows {
		b.groups[keys[i]] = append(b.groups[keys[i]], pendingRow[R, T]{job: job, index: i, row: row, queued: now})
	}
	b.arriving--
	b.signal()
	b.mu.Unlock()
	return job
}

// wait returns the job's results once they are all in, or the context's
// error when it ends first.
func (job *batchJob[T]) wait() ([]T, error) {
	select {
	case <-job.done:
		return job.results, job.err
	case <-job.ctx.Done():
		return nil, job.ctx.Err()
	}
}

// deliver records row index's result, or err.
func (job *batchJob[T]) deliver(index int, result T, err error) {
	job.mu.Lock()
	defer job.mu.Unlock()
	if job.left == 0 {
		return // an earlier error finished the job
	}
	if err != nil {
		job.err, job.left = err, 0
		close(job.done)
		return
	}
	job.results[index] = result
	if job.left--; job.left == 0 {
		close(job.done)
	}
}

// signal wakes the waiting workers; b.mu is held.
func (b *batcher[K, R, T]) signal() {
	close(b.wake)
	b.wake = make(chan struct{})
}

// drain makes every queued and future row leave at once (shutdown).
func (b *batcher[K, R, T]) drain() {
	b.mu.Lock()
	b.draining = true
	b.signal()
	b.mu.Unlock()
}

// stop runs what is queued, then stops the workers and waits for them.
func (b *batcher[K, R, T]) stop() {
	b.mu.Lock()
	b.draining, b.stopped = true, true
	b.signal()
	b.mu.Unlock()
	b.done.Wait()
}

func (b *batcher[K, R, T]) work() {
	defer b.done.Done()
	for {
		key, batch, ok := b.next()
		if !ok {
			return
		}
		live := batch[:0]
		for _, row := range batch {
			if row.job.ctx.Err() == nil {
				live = append(live, row)
			}
		}
		if len(live) == 0 {
			continue
		}
		rows := make([]R, len(live))
		for i, row := range live {
			rows[i] = row.row
		}
		if b.observe != nil {
			b.observe(len(rows))
		}
		results, err := b.run(key, rows)
		for i, row := range live {
			var result T
			if err == nil {
				result = results[i]
			}
			row.job.deliver(row.index, result, err)
		}
	}
}

// next waits for a batch that may leave and takes it off the queue: the
// ready group whose oldest row came first, at most maxBatch of its rows.
// It returns false when the batcher is stopped and empty.
func (b *batcher[K, R, T]) next() (key K, batch []pendingRow[R, T], ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		if b.stopped && len(b.groups) == 0 {
			return key, nil, false
		}
		now := time.Now()
		found, due := false, time.Time{}
		for k, rows := range b.groups {
			deadline := rows[0].queued.Add(b.maxWait)
			ready := len(rows) >= b.maxBatch || b.draining || b.arriving == 0 || !now.Before(deadline)
			switch {
			case ready && (!found || rows[0].queued.Before(b.groups[key][0].queued)):
				key, found = k, true
			case !ready && (due.IsZero() || deadline.Before(due)):
				due = deadline
			}
		}
		if found {
			rows := b.groups[key]
			n := min(len(rows), b.maxBatch)
			batch = rows[:n:n]
			if n == len(rows) {
				delete(b.groups, key)
			} else {
				b.groups[key] = rows[n:]
				b.signal() // another worker may take the rest
			}
			return key, batch, true
		}
		wake := b.wake
		b.mu.Unlock()
		if due.IsZero() {
			<-wake
		} else {
			timer := time.NewTimer(time.Until(due))
			select {
			case <-wake:
			case <-timer.C:
			}
			timer.Stop()
		}
		b.mu.Lock()
	}
}

// graphRows returns the rows a batch of n rows runs as, filler rows
// included: n up to 8, then n rounded up to a multiple of 8. A model
// compiles a graph for each batch size, so a model batching up to
// -max-batch rows compiles at most 8 + max-batch/8 sizes (per length
// bucket), at the cost of at most 7 filler rows.
func graphRows(n int) int {
	if n <= 8 {
		return n
	}
	return (n + 7) / 8 * 8
}
