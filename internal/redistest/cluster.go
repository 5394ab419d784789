package redistest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	clusterNodes       = 3
	clusterCreateLimit = 30 * time.Second // redis-cli --cluster create
	clusterOKLimit     = 20 * time.Second // cluster_state:ok on every node
)

// cluster is the resolved Redis Cluster of Cluster; Cleanup resets it.
var cluster struct {
	mu       sync.Mutex
	resolved bool
	addrs    []string
	srvs     []*server // non-nil when this package started them
	err      error
}

func resolveCluster() {
	c := &cluster
	if env := os.Getenv(EnvClusterAddrs); env != "" {
		for _, a := range strings.Split(env, ",") {
			if a = strings.TrimSpace(a); a != "" {
				c.addrs = append(c.addrs, a)
			}
		}
		if len(c.addrs) == 0 {
			c.err = fmt.Errorf("redistest: env %s=%q holds no address", EnvClusterAddrs, env)
			return
		}
		for _, a := range c.addrs {
			if err := ping(a, 2*time.Second); err != nil {
				c.err = fmt.Errorf("redistest: env %s: %s does not answer PING: %v", EnvClusterAddrs, a, err)
				return
			}
		}
		return
	}
	if err := requireBinaries("redis-server", "redis-cli"); err != nil {
		c.err = fmt.Errorf("%w (needed to start a Redis Cluster; or set env %s)", err, EnvClusterAddrs)
		return
	}
	srvs, err := startCluster()
	if err != nil {
		c.err = fmt.Errorf("redistest: starting a Redis Cluster: %v", err)
		return
	}
	c.srvs = srvs
	for _, s := range srvs {
		c.addrs = append(c.addrs, s.addr)
	}
}

func startCluster() (srvs []*server, err error) {
	defer func() {
		if err != nil {
			for _, s := range srvs {
				s.stop()
				unregister(s)
				_ = os.RemoveAll(s.dir)
			}
			srvs = nil
		}
	}()
	for range clusterNodes {
		s, err := startNew(kindCluster, func(port int) []string {
			return []string{
				"--cluster-enabled", "yes",
				"--cluster-config-file", "nodes-" + strconv.Itoa(port) + ".conf",
				"--cluster-node-timeout", "5000",
			}
		})
		if err != nil {
			return srvs, err
		}
		srvs = append(srvs, s)
	}

	ctx, cancel := context.WithTimeout(context.Background(), clusterCreateLimit)
	defer cancel()
	args := []string{"--cluster", "create"}
	for _, s := range srvs {
		args = append(args, s.addr)
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput()
	if err != nil {
		return srvs, fmt.Errorf("redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}

	want := []string{"cluster_state:ok", "cluster_known_nodes:" + strconv.Itoa(clusterNodes)}
	deadline := time.Now().Add(clusterOKLimit)
	for _, s := range srvs {
		for {
			info, err := command(s.addr, time.Second, "CLUSTER", "INFO")
			if err == nil && containsAll(info, want) {
				break
			}
			if time.Now().After(deadline) {
				return srvs, fmt.Errorf("%s: no %v within %v after redis-cli --cluster create; CLUSTER INFO: %q, %v",
					s.addr, want, clusterOKLimit, info, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return srvs, nil
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// Cluster returns the addresses (host:port) of the masters of a Redis
// Cluster with every slot covered: env REDIS_CLUSTER_ADDRS, or three
// masters without replicas that this package starts once per test binary.
// Skips t (fails it under CI=true) when redis-server or redis-cli is not on
// PATH. The cluster is shared: use Prefix for channels and keys.
func Cluster(t testing.TB) []string {
	t.Helper()
	c := &cluster
	c.mu.Lock()
	if !c.resolved {
		resolveCluster()
		c.resolved = true
	}
	addrs, err := append([]string(nil), c.addrs...), c.err
	c.mu.Unlock()
	if err != nil {
		unavailable(t, err)
	}
	return addrs
}

// ClusterClient returns a go-redis cluster client on Cluster(t), closed
// when t ends.
func ClusterClient(t testing.TB) *redis.ClusterClient {
	t.Helper()
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: Cluster(t)})
	t.Cleanup(func() { _ = c.Close() })
	return c
}
