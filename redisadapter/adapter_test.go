package redisadapter_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/core/adaptertest"
	"github.com/go-sio/sio/internal/redistest"
	"github.com/go-sio/sio/redisadapter"
)

// TestMain checks that no goroutine outlives the tests: adapters stop
// their readers when their server shuts down.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(redistest.WithCleanup(m), redistest.IgnoreGoroutines()...)
}

// TestConformance runs the adapter conformance suite on the classic
// adapter, three servers on one real Redis.
func TestConformance(t *testing.T) {
	adaptertest.Run(t, func(t testing.TB) func() core.Adapter {
		rdb := redistest.Client(t)
		prefix := redistest.Prefix(t)
		return func() core.Adapter {
			return redisadapter.New(rdb, redisadapter.Config{Key: prefix})
		}
	})
}

// TestConformanceSharded runs the suite on the sharded adapter, in each
// subscription mode, on a standalone Redis 7.
func TestConformanceSharded(t *testing.T) {
	for _, mode := range []redisadapter.SubscriptionMode{redisadapter.Static, redisadapter.Dynamic, redisadapter.DynamicPrivate} {
		t.Run(string(mode), func(t *testing.T) {
			adaptertest.Run(t, func(t testing.TB) func() core.Adapter {
				rdb := redistest.Client(t)
				prefix := redistest.Prefix(t)
				return func() core.Adapter {
					return redisadapter.NewSharded(rdb, redisadapter.ShardedConfig{ChannelPrefix: prefix, SubscriptionMode: mode})
				}
			})
		})
	}
}

// TestConformanceShardedCluster runs the suite on the sharded adapter over
// a real three-master Redis Cluster.
func TestConformanceShardedCluster(t *testing.T) {
	adaptertest.Run(t, func(t testing.TB) func() core.Adapter {
		rdb := redistest.ClusterClient(t)
		prefix := redistest.Prefix(t)
		return func() core.Adapter {
			return redisadapter.NewSharded(rdb, redisadapter.ShardedConfig{ChannelPrefix: prefix})
		}
	})
}

// TestConformanceClassicCluster runs the suite on the classic adapter over
// a Redis Cluster client (Pub/Sub messages reach every node there).
func TestConformanceClassicCluster(t *testing.T) {
	adaptertest.Run(t, func(t testing.TB) func() core.Adapter {
		rdb := redistest.ClusterClient(t)
		prefix := redistest.Prefix(t)
		return func() core.Adapter {
			return redisadapter.New(rdb, redisadapter.Config{Key: prefix})
		}
	})
}
