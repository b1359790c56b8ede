package models

import (
	"container/list"
	"sync"

	"github.com/pkg/errors"
)

// graphCache keeps compiled graphs by key, at most max of them: the least
// recently used is closed and dropped beyond it. It is safe for concurrent
// use; a build runs under its lock.
type graphCache[K comparable, V any] struct {
	mu      sync.Mutex
	max     int
	close   func(V) error
	entries map[K]*list.Element
	lru     *list.List // of *cacheEntry[K, V], most recent first
}

type cacheEntry[K comparable, V any] struct {
	key   K
	value V
}

func newGraphCache[K comparable, V any](max int, close func(V) error) *graphCache[K, V] {
	return &graphCache[K, V]{max: max, close: close, entries: map[K]*list.Element{}, lru: list.New()}
}

// get returns the value of key, built by build when absent.
func (c *graphCache[K, V]) get(key K, build func() (V, error)) (V, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		c.lru.MoveToFront(e)
		return e.Value.(*cacheEntry[K, V]).value, nil
	}
	v, err := build()
	if err != nil {
		return v, err
	}
	c.entries[key] = c.lru.PushFront(&cacheEntry[K, V]{key, v})
	for c.lru.Len() > c.max {
		oldest := c.lru.Remove(c.lru.Back()).(*cacheEntry[K, V])
		delete(c.entries, oldest.key)
		if err := c.close(oldest.value); err != nil {
			return v, errors.Wrap(err, "models: closing a cached graph")
		}
	}
	return v, nil
}
