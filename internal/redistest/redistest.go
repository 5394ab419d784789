// Package redistest gives tests a real Redis (standalone or a 3-master
// Redis Cluster) and the helpers to use it safely from parallel tests.
//
// Where the Redis comes from, in order:
//
//   - standalone: env REDIS_URL (redis://host:port/db); else a Redis already
//     answering PING on 127.0.0.1:6379; else a redis-server this package starts
//     once per test binary on a free loopback port.
//   - cluster: env REDIS_CLUSTER_ADDRS (host:port,host:port,...); else three
//     redis-server processes in cluster mode that this package starts once per
//     test binary and joins with redis-cli --cluster create.
//
// When no Redis can be had the test is skipped, or fails when env CI is true.
//
// Processes started here are stopped by Cleanup (call it from TestMain, or
// use WithCleanup); on Linux they are also killed by the kernel when the test
// binary dies (Pdeathsig), so a crashed or timed-out test binary leaves none
// behind.
//
//	func TestMain(m *testing.M) { os.Exit(redistest.WithCleanup(m).Run()) }
//	// or, with goleak:
//	func TestMain(m *testing.M) { goleak.VerifyTestMain(redistest.WithCleanup(m)) }
//
// Tests sharing one Redis keep apart by putting Prefix(t) in front of every
// key and channel they use.
package redistest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Environment variables read by this package.
const (
	EnvURL          = "REDIS_URL"           // redis://host:port/db of a standalone Redis to use
	EnvClusterAddrs = "REDIS_CLUSTER_ADDRS" // comma-separated host:port of a Redis Cluster to use
	EnvCI           = "CI"                  // "true": fail instead of skipping when no Redis can be had
)

// systemAddr is the Redis that Addr uses when it answers PING.
const systemAddr = "127.0.0.1:6379"

// probeSystem is false in tests that must exercise the spawning path.
var probeSystem = true

// errUnavailable marks "no Redis can be had here": skip, or fail under CI.
var errUnavailable = errors.New("redistest: unavailable")

// inCI reports whether env CI asks for failures instead of skips.
func inCI() bool {
	v, err := strconv.ParseBool(os.Getenv(EnvCI))
	return err == nil && v
}

// unavailable skips t, or fails it under CI, because of err.
func unavailable(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, errUnavailable) && !inCI() {
		t.Skip(err.Error())
	}
	t.Fatal(err.Error())
}

// standalone is the resolved Redis of Addr; Cleanup resets it.
var standalone struct {
	mu       sync.Mutex
	resolved bool
	addr     string
	url      string
	opts     *redis.Options
	srv      *server // non-nil when this package started it
	err      error
}

func resolveStandalone() {
	s := &standalone
	if u := os.Getenv(EnvURL); u != "" {
		opts, err := redis.ParseURL(u)
		if err != nil {
			s.err = fmt.Errorf("redistest: env %s=%q: %v", EnvURL, u, err)
			return
		}
		if err := pingOpts(opts, 2*time.Second); err != nil {
			s.err = fmt.Errorf("redistest: env %s=%q does not answer PING: %v", EnvURL, u, err)
			return
		}
		s.addr, s.url, s.opts = opts.Addr, u, opts
		return
	}
	if probeSystem && ping(systemAddr, time.Second) == nil {
		s.addr, s.url = systemAddr, "redis://"+systemAddr+"/0"
		s.opts = &redis.Options{Addr: systemAddr}
		return
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		s.err = fmt.Errorf("%w: no Redis for this test: env %s is unset, %s does not answer PING, "+
			"and redis-server is not on PATH (install it, e.g. apt-get install redis-server)",
			errUnavailable, EnvURL, systemAddr)
		return
	}
	srv, err := startNew(kindShared, nil)
	if err != nil {
		s.err = fmt.Errorf("redistest: starting redis-server: %v", err)
		return
	}
	s.srv = srv
	s.addr, s.url = srv.addr, "redis://"+srv.addr+"/0"
	s.opts = &redis.Options{Addr: srv.addr}
}

func getStandalone(t testing.TB) (addr, url string, opts redis.Options) {
	t.Helper()
	s := &standalone
	s.mu.Lock()
	if !s.resolved {
		resolveStandalone()
		s.resolved = true
	}
	addr, url, err := s.addr, s.url, s.err
	if s.opts != nil {
		opts = *s.opts
	}
	s.mu.Unlock()
	if err != nil {
		unavailable(t, err)
	}
	return addr, url, opts
}

// Addr returns the host:port of a usable standalone Redis (see the package
// doc for where it comes from), or skips t (fails it under CI=true) when
// there is none. The Redis may be shared with other tests and other test
// binaries: use Prefix for keys and channels.
func Addr(t testing.TB) string {
	t.Helper()
	addr, _, _ := getStandalone(t)
	return addr
}

// URL is Addr as a redis:// URL: env REDIS_URL as given, or redis://host:port/0.
func URL(t testing.TB) string {
	t.Helper()
	_, url, _ := getStandalone(t)
	return url
}

// Client returns a go-redis client on Addr(t) (with the password and
// database of REDIS_URL when set), closed when t ends.
func Client(t testing.TB) *redis.Client {
	t.Helper()
	_, _, opts := getStandalone(t)
	c := redis.NewClient(&opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Prefix returns a key and channel prefix unique to this test run:
// "siotest-" + t.Name() reduced to [A-Za-z0-9_-] + "-" + 6 random
// characters. It holds no hash-tag braces.
func Prefix(t testing.TB) string {
	t.Helper()
	const maxName = 48
	var b strings.Builder
	for _, r := range t.Name() {
		if b.Len() >= maxName {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return "siotest-" + b.String() + "-" + randomString(6)
}

func randomString(n int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return string(b)
}

// pingOpts sends PING through go-redis with opts (for URLs with a password).
func pingOpts(opts *redis.Options, timeout time.Duration) error {
	o := *opts
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout = timeout, timeout, timeout
	o.MaxRetries = -1
	c := redis.NewClient(&o)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return c.Ping(ctx).Err()
}

// ping sends PING to addr on a fresh connection and wants +PONG, within timeout.
func ping(addr string, timeout time.Duration) error {
	reply, err := command(addr, timeout, "PING")
	if err != nil {
		return err
	}
	if reply != "PONG" {
		return fmt.Errorf("PING answered %q", reply)
	}
	return nil
}

// command sends one command to addr on a fresh connection and returns a
// simple-string, bulk-string or integer reply as text; an error reply is
// returned as an error. The whole exchange is bounded by timeout.
func command(addr string, timeout time.Duration, args ...string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return "", err
	}
	var req strings.Builder
	fmt.Fprintf(&req, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&req, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(req.String())); err != nil {
		return "", err
	}
	return readReply(conn)
}
