package core

import (
	"context"
	"sync"
)

// MemoryCluster connects servers of one process, as a Redis adapter
// connects servers of several: each server built with an adapter from
// [MemoryCluster.Adapter] sees the others. It serves tests and examples
// that run a cluster in one process; messages are passed by reference.
type MemoryCluster struct {
	mu      sync.RWMutex
	members map[*memoryBackend]struct{}
}

// NewMemoryCluster returns an empty in-process cluster.
func NewMemoryCluster() *MemoryCluster {
	return &MemoryCluster{members: make(map[*memoryBackend]struct{})}
}

// Adapter returns a new adapter joined to the cluster; give each server
// its own.
func (c *MemoryCluster) Adapter() *ClusterAdapter {
	return NewClusterAdapter(&memoryBackend{cluster: c, nsps: map[string]bool{}}, ClusterConfig{})
}

// NewMemoryAdapter returns the default adapter: a server alone in its
// cluster.
func NewMemoryAdapter() *ClusterAdapter { return NewMemoryCluster().Adapter() }

type memoryBackend struct {
	cluster *MemoryCluster
	recv    ClusterReceiver

	mu   sync.RWMutex
	nsps map[string]bool
}

func (b *memoryBackend) Start(r ClusterReceiver) error {
	b.recv = r
	b.cluster.mu.Lock()
	b.cluster.members[b] = struct{}{}
	b.cluster.mu.Unlock()
	return nil
}

func (b *memoryBackend) AddNamespace(_ context.Context, nsp string) error {
	b.mu.Lock()
	b.nsps[nsp] = true
	b.mu.Unlock()
	return nil
}

func (b *memoryBackend) RemoveNamespace(_ context.Context, nsp string) error {
	b.mu.Lock()
	delete(b.nsps, nsp)
	b.mu.Unlock()
	return nil
}

func (b *memoryBackend) serves(nsp string) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.nsps[nsp]
}

func (b *memoryBackend) peers(nsp string) []*memoryBackend {
	b.cluster.mu.RLock()
	defer b.cluster.mu.RUnlock()
	var out []*memoryBackend
	for m := range b.cluster.members {
		if m != b && m.serves(nsp) {
			out = append(out, m)
		}
	}
	return out
}

func (b *memoryBackend) Publish(_ context.Context, msg *ClusterMessage) error {
	for _, p := range b.peers(msg.Nsp) {
		p.recv.OnMessage(msg)
	}
	return nil
}

func (b *memoryBackend) PublishResponse(_ context.Context, to string, msg *ClusterMessage) error {
	b.cluster.mu.RLock()
	var target *memoryBackend
	for m := range b.cluster.members {
		if m.recv != nil && m.recv.UID() == to {
			target = m
		}
	}
	b.cluster.mu.RUnlock()
	if target != nil {
		target.recv.OnResponse(msg)
	}
	return nil
}

func (b *memoryBackend) ServerCount(_ context.Context, nsp string) (int, error) {
	return len(b.peers(nsp)) + 1, nil
}

func (b *memoryBackend) Close(context.Context) error {
	b.cluster.mu.Lock()
	delete(b.cluster.members, b)
	b.cluster.mu.Unlock()
	return nil
}
