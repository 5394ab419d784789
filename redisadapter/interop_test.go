package redisadapter_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/internal/fixture"
	"github.com/go-sio/sio/internal/jstest"
	"github.com/go-sio/sio/internal/redistest"
	"github.com/go-sio/sio/redisadapter"
)

// TestNodeInterop puts a Go server and a Node server (socket.io 4.8 with
// @socket.io/redis-adapter 8.3) on one Redis and runs the cluster scenario
// with the official client: every cluster operation, invoked on either
// server, observed on clients of both, plus the Node emitter.
func TestNodeInterop(t *testing.T) {
	for _, tc := range []struct {
		adapter, mode string
	}{
		{"classic", ""},
		{"sharded", "dynamic"},
		{"sharded", "static"},
		{"sharded", "dynamic-private"},
	} {
		name := tc.adapter
		if tc.mode != "" {
			name += "-" + tc.mode
		}
		t.Run(name, func(t *testing.T) {
			jstest.Setup(t)
			redisURL := redistest.URL(t)
			prefix := redistest.Prefix(t)
			env := []string{"REDIS_URL=" + redisURL, "REDIS_PREFIX=" + prefix, "ADAPTER=" + tc.adapter}
			if tc.mode != "" {
				env = append(env, "SUBSCRIPTION_MODE="+tc.mode)
			}
			urlA := jstest.StartNodeServer(t, "cluster/server-node.mjs", append(env, "NAME=A")...)
			urlB := startGoClusterServer(t, tc.adapter, tc.mode, prefix, "B")
			jstest.RunScript(t, "cluster/interop.mjs", append(env, "URL_A="+urlA, "URL_B="+urlB)...)
		})
	}
}

func startGoClusterServer(t *testing.T, kind, mode, prefix, name string) string {
	t.Helper()
	rdb := redistest.Client(t)
	var ad *redisadapter.Adapter
	if kind == "classic" {
		ad = redisadapter.New(rdb, redisadapter.Config{Key: prefix, RequestsTimeout: 2 * time.Second})
	} else {
		ad = redisadapter.NewSharded(rdb, redisadapter.ShardedConfig{ChannelPrefix: prefix, SubscriptionMode: redisadapter.SubscriptionMode(mode)})
	}
	srv, err := core.New(core.Config{Adapter: ad})
	if err != nil {
		t.Fatal(err)
	}
	fixture.RegisterCluster(srv, fixture.ClusterConfig{Name: name, Adapter: kind, Prefix: prefix, SubscriptionMode: mode})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
		_ = srv.Shutdown(ctx)
	})
	waitOwnSubscription(t, rdb, kind, prefix, ad)
	return "http://" + ln.Addr().String()
}

// waitOwnSubscription waits until Redis counts this server's subscription,
// as the Node fixture does before it reports it is listening.
func waitOwnSubscription(t *testing.T, rdb *redis.Client, kind, prefix string, ad *redisadapter.Adapter) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int64
		if kind == "classic" {
			ch := prefix + "-response#/#" + ad.UID() + "#"
			m, err := rdb.PubSubNumSub(ctx, ch).Result()
			if err == nil {
				n = m[ch]
			}
		} else {
			ch := prefix + "#/#" + ad.UID() + "#"
			m, err := rdb.PubSubShardNumSub(ctx, ch).Result()
			if err == nil {
				n = m[ch]
			}
		}
		if n == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the Go server's subscriptions never became active")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
