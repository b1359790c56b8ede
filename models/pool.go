package models

import (
	"container/list"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/gornn/gornn/graph"
	"github.com/pkg/errors"
)

// compiled is a compiled network a networkCache holds: a model kind's own
// network type, whose Close releases its graph.
type compiled interface {
	Close() error
}

// networkCache keeps at most max compiled networks by key (any comparable
// value: a model kind's batch shape), dropping and closing the least
// recently used beyond it. It is safe for concurrent use (a build runs
// under its lock); the training path owns one, and each inferenceSlot one
// of its own.
type networkCache struct {
	mu    sync.Mutex
	max   int
	byKey map[any]*list.Element
	lru   *list.List // of *cacheEntry, most recent first
}

type cacheEntry struct {
	key any
	net compiled
}

func newNetworkCache(max int) *networkCache {
	return &networkCache{max: max, byKey: map[any]*list.Element{}, lru: list.New()}
}

// get returns the network cached under key, or the one build returns,
// which it then caches.
func (c *networkCache) get(key any, build func() (compiled, error)) (compiled, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok {
		c.lru.MoveToFront(e)
		return e.Value.(*cacheEntry).net, nil
	}
	net, err := build()
	if err != nil {
		return nil, err
	}
	c.byKey[key] = c.lru.PushFront(&cacheEntry{key: key, net: net})
	for c.lru.Len() > c.max {
		oldest := c.lru.Remove(c.lru.Back()).(*cacheEntry)
		delete(c.byKey, oldest.key)
		if err := oldest.net.Close(); err != nil {
			return nil, errors.Wrap(err, "models: closing a cached graph")
		}
	}
	return net, nil
}

// len returns the number of networks cached.
func (c *networkCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// workspaces holds one graph.Workspace per key (a training replica, say):
// the graphs of one key never run at the same time, so they share their
// kernels' scratch memory. It is safe for concurrent use.
type workspaces struct {
	mu    sync.Mutex
	byKey map[any]*graph.Workspace
}

// get returns the workspace of key, new on first use.
func (w *workspaces) get(key any) *graph.Workspace {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.byKey == nil {
		w.byKey = map[any]*graph.Workspace{}
	}
	ws := w.byKey[key]
	if ws == nil {
		ws = graph.NewWorkspace()
		w.byKey[key] = ws
	}
	return ws
}

// inferencePool makes a model's inference safe for concurrent use. It lends
// each caller a slot of its own: a graph.Workspace and a cache of the
// networks compiled over it, which no other goroutine touches while the
// slot is lent. Every slot's networks share the model's parameters, which
// inference only reads. At most size slots exist, each created on first
// demand and kept for reuse; a caller finding them all lent waits for one.
//
// Any model kind uses it the same way: hold an inferencePool, and run each
// inference call inside pool.with, building networks with the slot's
// workspace through slot.networks.get.
type inferencePool struct {
	maxGraphs int
	lend      chan struct{} // one token per slot lent
	mu        sync.Mutex
	idle      []*inferenceSlot
}

// inferenceSlot is what one inference call holds: its own workspace and
// networks.
type inferenceSlot struct {
	workspace *graph.Workspace
	networks  *networkCache
}

// newInferencePool returns a pool of at most size slots (default
// runtime.GOMAXPROCS(0) when size is 0), each keeping at most maxGraphs
// networks.
func newInferencePool(size, maxGraphs int) *inferencePool {
	if size <= 0 {
		size = runtime.GOMAXPROCS(0)
	}
	return &inferencePool{maxGraphs: maxGraphs, lend: make(chan struct{}, size)}
}

// with runs f with a slot lent for its duration.
func (p *inferencePool) with(f func(s *inferenceSlot) error) error {
	p.lend <- struct{}{}
	defer func() { <-p.lend }()
	p.mu.Lock()
	var s *inferenceSlot
	if n := len(p.idle); n > 0 {
		s, p.idle = p.idle[n-1], p.idle[:n-1]
	}
	p.mu.Unlock()
	if s == nil {
		s = &inferenceSlot{workspace: graph.NewWorkspace(), networks: newNetworkCache(p.maxGraphs)}
	}
	defer func() {
		p.mu.Lock()
		p.idle = append(p.idle, s)
		p.mu.Unlock()
	}()
	return f(s)
}

// inChunks runs f over [0, n) cut into chunks of at most size, in order
// of from; the chunks run at once on as many slots as the pool lends
// (one goroutine each), so that a large call uses every core. A chunk's
// result must depend only on the chunk (f writes it at [from, to) of
// the caller's results), so the results do not depend on which slot ran
// what. It returns the error of the first failing chunk, wrapped with
// what its indices are (texts, sources), and starts no chunk after a
// failure.
func (p *inferencePool) inChunks(n, size int, what string, f func(slot *inferenceSlot, from, to int) error) error {
	chunks := (n + size - 1) / size
	errs := make([]error, chunks)
	var next atomic.Int64
	var failed atomic.Bool
	work := func(slot *inferenceSlot) error {
		for c := int(next.Add(1) - 1); c < chunks && !failed.Load(); c = int(next.Add(1) - 1) {
			from, to := c*size, min((c+1)*size, n)
			if err := f(slot, from, to); err != nil {
				errs[c] = errors.Wrapf(err, "models: %s %d..%d", what, from, to-1)
				failed.Store(true)
			}
		}
		return nil
	}
	var wg sync.WaitGroup
	for range min(chunks, cap(p.lend)) - 1 {
		wg.Go(func() { p.with(work) })
	}
	p.with(work)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
