package main

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pkg/errors"
)

// recordingRun is a batch function that records its batches and answers
// each row with key*1000 + its first id.
type recordingRun struct {
	mu      sync.Mutex
	batches [][][]int
	keys    []int
	fail    error
}

func (r *recordingRun) run(key int, rows [][]int) ([]int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, rows)
	r.keys = append(r.keys, key)
	if r.fail != nil {
		return nil, r.fail
	}
	out := make([]int, len(rows))
	for i, ids := range rows {
		out[i] = key*1000 + ids[0]
	}
	return out, nil
}

// TestBatcherRoutesResultsInOrder checks that rows of several keys, more
// than a batch holds, come back to their request in order, from batches of
// one key and at most maxBatch rows.
func TestBatcherRoutesResultsInOrder(t *testing.T) {
	rec := &recordingRun{}
	b := newBatcher(3, time.Hour, 2, rec.run, nil)
	defer b.stop()
	keys := []int{1, 2, 1, 1, 2, 1, 1, 3}
	rows := make([][]int, len(keys))
	want := make([]int, len(keys))
	for i, k := range keys {
		rows[i] = []int{i}
		want[i] = k*1000 + i
	}
	b.arrive()
	got, err := b.submit(context.Background(), keys, rows).wait()
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("results %v (%v), want %v", got, err, want)
	}
	for i, batch := range rec.batches {
		if len(batch) > 3 {
			t.Errorf("batch %d has %d rows, over max-batch 3", i, len(batch))
		}
		for _, row := range batch {
			if keys[row[0]] != rec.keys[i] {
				t.Errorf("batch %d of key %d holds row %d of key %d", i, rec.keys[i], row[0], keys[row[0]])
			}
		}
	}
}

// TestBatcherWaitsForArrivingRequests checks the waiting rule: a request
// waits (here without limit) while another request is on its way, and
// then both leave in one batch.
func TestBatcherWaitsForArrivingRequests(t *testing.T) {
	rec := &recordingRun{}
	var observed []int
	b := newBatcher(64, time.Hour, 1, rec.run, func(n int) { observed = append(observed, n) })
	defer b.stop()
	b.arrive()
	b.arrive()
	first := b.submit(context.Background(), []int{7, 7}, [][]int{{1}, {2}})
	select {
	case <-first.done:
		t.Fatal("the first request left while the second was arriving")
	default:
	}
	second := b.submit(context.Background(), []int{7}, [][]int{{3}})
	if got, err := first.wait(); err != nil || !slices.Equal(got, []int{7001, 7002}) {
		t.Errorf("first: %v %v", got, err)
	}
	if got, err := second.wait(); err != nil || !slices.Equal(got, []int{7003}) {
		t.Errorf("second: %v %v", got, err)
	}
	if !slices.Equal(observed, []int{3}) {
		t.Errorf("batches of %v rows, want one of 3", observed)
	}
}

// TestBatcherEndings checks a failing batch, a request whose context ends
// before its rows run, and that stop runs what is queued.
func TestBatcherEndings(t *testing.T) {
	t.Run("error", func(t *testing.T) {
		rec := &recordingRun{fail: errors.New("boom")}
		b := newBatcher(4, 0, 1, rec.run, nil)
		defer b.stop()
		b.arrive()
		if _, err := b.submit(context.Background(), []int{1, 1}, [][]int{{1}, {2}}).wait(); err == nil || err.Error() != "boom" {
			t.Errorf("error %v, want boom", err)
		}
	})
	t.Run("request ended", func(t *testing.T) {
		rec := &recordingRun{}
		b := newBatcher(4, time.Hour, 1, rec.run, nil)
		ctx, cancel := context.WithCancel(context.Background())
		b.arrive()
		b.arrive() // a second request keeps the first waiting
		job := b.submit(ctx, []int{1}, [][]int{{1}})
		cancel()
		if _, err := job.wait(); !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
		b.leave()
		b.stop()
		if len(rec.batches) != 0 {
			t.Errorf("the ended request's rows ran: %v", rec.batches)
		}
	})
	t.Run("stop runs the queue", func(t *testing.T) {
		rec := &recordingRun{}
		b := newBatcher(4, time.Hour, 1, rec.run, nil)
		b.arrive()
		b.arrive()
		job := b.submit(context.Background(), []int{2}, [][]int{{5}})
		b.stop()
		if got, err := job.wait(); err != nil || !slices.Equal(got, []int{2005}) {
			t.Errorf("after stop: %v %v", got, err)
		}
	})
}

func TestGraphRows(t *testing.T) {
	for _, c := range []struct{ n, want int }{{1, 1}, {7, 7}, {8, 8}, {9, 16}, {16, 16}, {17, 24}, {64, 64}, {65, 72}} {
		if got := graphRows(c.n); got != c.want {
			t.Errorf("graphRows(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}
