package models

import (
	"container/list"

	"github.com/gornn/gornn/graph"
	"github.com/pkg/errors"
)

// netKey identifies a compiled network: its rows, padded length, mode
// and replica.
type netKey struct {
	batch, steps int
	mode         graph.Mode
	replica      int
}

// closer is a compiled network that releases its graph.
type closer interface{ close() error }

// netCache keeps a model's compiled networks, at most max of them, the
// least recently used dropped first, and one graph.Workspace per replica:
// a replica's graphs never run at the same time, so they share their
// kernels' scratch memory.
type netCache[N closer] struct {
	max        int
	byKey      map[netKey]*list.Element
	lru        *list.List // of *netEntry[N], most recent first
	workspaces map[int]*graph.Workspace
}

type netEntry[N closer] struct {
	key netKey
	net N
}

func newNetCache[N closer](max int) *netCache[N] {
	return &netCache[N]{max: max, byKey: map[netKey]*list.Element{}, lru: list.New(), workspaces: map[int]*graph.Workspace{}}
}

// get returns the network of key, building it with build (given the
// replica's workspace) when the cache lacks it.
func (c *netCache[N]) get(key netKey, build func(ws *graph.Workspace) (N, error)) (N, error) {
	if e, ok := c.byKey[key]; ok {
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
	c.byKey[key] = c.lru.PushFront(&netEntry[N]{key: key, net: net})
	for c.lru.Len() > c.max {
		oldest := c.lru.Remove(c.lru.Back()).(*netEntry[N])
		delete(c.byKey, oldest.key)
		if err := oldest.net.close(); err != nil {
			return net, errors.Wrap(err, "models: closing a cached graph")
		}
	}
	return net, nil
}
