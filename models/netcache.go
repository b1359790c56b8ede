package models

import (
	"container/list"

	"github.com/gornn/gornn/graph"
	"github.com/pkg/errors"
)

// netCache keeps a model's compiled networks, at most max of them, the
// least recently used dropped beyond it, with one graph.Workspace per
// replica: a replica's graphs never run at the same time, so they share
// their kernels' scratch memory.
type netCache[N any] struct {
	max        int
	networks   map[networkKey]*list.Element
	lru        *list.List // of *netEntry[N], most recent first
	workspaces map[int]*graph.Workspace
	close      func(N) error
}

type netEntry[N any] struct {
	key networkKey
	net N
}

func newNetCache[N any](max int, close func(N) error) *netCache[N] {
	return &netCache[N]{max: max, networks: map[networkKey]*list.Element{}, lru: list.New(), workspaces: map[int]*graph.Workspace{}, close: close}
}

// get returns the network of key, built by build with the replica's
// workspace when it is not cached.
func (c *netCache[N]) get(key networkKey, build func(ws *graph.Workspace) (N, error)) (N, error) {
	if e, ok := c.networks[key]; ok {
		c.lru.MoveToFront(e)
		return e.Value.(*netEntry[N]).net, nil
	}
	ws := c.workspaces[key.replica]
	if ws == nil {
		ws = graph.NewWorkspace()
		c.workspaces[key.replica] = ws
	}
	net, err := build(ws)
	if err != nil {
		return net, err
	}
	c.networks[key] = c.lru.PushFront(&netEntry[N]{key: key, net: net})
	for c.lru.Len() > c.max {
		oldest := c.lru.Remove(c.lru.Back()).(*netEntry[N])
		delete(c.networks, oldest.key)
		if err := c.close(oldest.net); err != nil {
			return net, errors.Wrap(err, "models: closing a cached graph")
		}
	}
	return net, nil
}
