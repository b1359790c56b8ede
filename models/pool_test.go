package models

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pkg/errors"
)

// TestInferencePoolBoundsSlots checks that an inference pool never lends
// more slots at once than its size, never lends one slot twice at once,
// and reuses its slots.
func TestInferencePoolBoundsSlots(t *testing.T) {
	const size, callers = 3, 24
	p := newInferencePool(size, 4)
	var lent, most atomic.Int32
	var mu sync.Mutex
	holders := map[*inferenceSlot]bool{}
	seen := map[*inferenceSlot]bool{}
	var wg sync.WaitGroup
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := p.with(func(s *inferenceSlot) error {
				n := lent.Add(1)
				defer lent.Add(-1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				mu.Lock()
				twice := holders[s]
				holders[s], seen[s] = true, true
				mu.Unlock()
				if twice {
					return errors.New("a slot lent twice at once")
				}
				runtime.Gosched()
				mu.Lock()
				delete(holders, s)
				mu.Unlock()
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if most.Load() > size || len(seen) > size {
		t.Errorf("%d slots lent at once, %d made; want at most %d", most.Load(), len(seen), size)
	}
}

// TestNetworkCacheEvictsLeastRecent checks the cache's LRU order and that
// it closes what it drops.
func TestNetworkCacheEvictsLeastRecent(t *testing.T) {
	c := newNetworkCache(2)
	built := map[string]*fakeNetwork{}
	get := func(key string) {
		_, err := c.get(key, func() (compiled, error) {
			built[key] = &fakeNetwork{}
			return built[key], nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	get("a")
	get("b")
	get("a") // b is now the least recently used
	get("c")
	if !built["b"].closed || built["a"].closed || built["c"].closed || c.len() != 2 {
		t.Errorf("after a, b, a, c: closed a=%v b=%v c=%v, %d cached; want only b closed, 2 cached",
			built["a"].closed, built["b"].closed, built["c"].closed, c.len())
	}
}

type fakeNetwork struct{ closed bool }

func (f *fakeNetwork) Close() error { f.closed = true; return nil }

// TestInferencePoolInChunks checks that inChunks covers [0, n) once in
// chunks of at most size, whatever the pool's size, and reports the
// failing chunk's error with its indices.
func TestInferencePoolInChunks(t *testing.T) {
	for _, c := range []struct {
		name          string
		pool, n, size int
		failAt        int // a chunk's from that fails; -1: none
		wantErr       string
	}{
		{"one chunk", 2, 5, 8, -1, ""},
		{"exact chunks", 2, 16, 4, -1, ""},
		{"ragged", 3, 23, 4, -1, ""},
		{"one slot", 1, 23, 4, -1, ""},
		{"none", 2, 0, 4, -1, ""},
		{"a failure", 2, 23, 4, 8, "models: texts 8..11: chunk failed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newInferencePool(c.pool, 4)
			seen := make([]atomic.Int32, c.n)
			err := p.inChunks(c.n, c.size, "texts", func(_ *inferenceSlot, from, to int) error {
				if to-from > c.size || to <= from {
					t.Errorf("chunk [%d, %d) of size %d", from, to, c.size)
				}
				if from == c.failAt {
					return errors.New("chunk failed")
				}
				for i := from; i < to; i++ {
					seen[i].Add(1)
				}
				return nil
			})
			if c.wantErr != "" {
				if err == nil || err.Error() != c.wantErr {
					t.Errorf("error %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := range seen {
				if n := seen[i].Load(); n != 1 {
					t.Errorf("index %d covered %d times", i, n)
				}
			}
		})
	}
}
