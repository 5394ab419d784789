package redistest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"
)

// envChild runs TestChildProcess as the child of TestPdeathsig.
const envChild = "REDISTEST_CHILD"

func TestMain(m *testing.M) {
	code := WithCleanup(m).Run()
	if code == 0 && os.Getenv(envChild) == "" {
		for _, pid := range startedPIDs() {
			if processAlive(pid) {
				fmt.Fprintf(os.Stderr, "redistest: redis-server PID %d still runs after Cleanup\n", pid)
				code = 1
			}
		}
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "redistest: goroutines left after Cleanup: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// processAlive reports whether pid is a live (not zombie) process.
func processAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return false
	}
	state := s[i+2]
	return state != 'Z' && state != 'X'
}

func needProc(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("checks processes through /proc (Linux)")
	}
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestAddrAnswersPING(t *testing.T) {
	addr := Addr(t)
	if err := ping(addr, time.Second); err != nil {
		t.Fatalf("Addr %s: PING: %v", addr, err)
	}
	opts, err := redis.ParseURL(URL(t))
	if err != nil {
		t.Fatalf("URL %q: %v", URL(t), err)
	}
	if os.Getenv(EnvURL) == "" && opts.Addr != addr {
		t.Fatalf("URL %q names %s, Addr is %s", URL(t), opts.Addr, addr)
	}
	ctx := ctxT(t, 5*time.Second)
	c := Client(t)
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("Client PING: %v", err)
	}
	key := Prefix(t) + ":k"
	if err := c.Set(ctx, key, "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if got := c.Get(ctx, key).Val(); got != "v" {
		t.Fatalf("GET %s = %q", key, got)
	}
	c.Del(ctx, key)
}

// TestSpawnedStandalone exercises the path Addr takes when no Redis
// answers on 127.0.0.1:6379.
func TestSpawnedStandalone(t *testing.T) {
	if err := requireBinaries("redis-server"); err != nil {
		unavailable(t, err)
	}
	s, err := startNew(kindShared, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.stop(); unregister(s); os.RemoveAll(s.dir) })
	if s.addr == systemAddr {
		t.Fatalf("spawned on %s", s.addr)
	}
	if err := ping(s.addr, time.Second); err != nil {
		t.Fatal(err)
	}
	for _, kv := range [][2]string{{"appendonly", "no"}, {"save", ""}, {"bind", "127.0.0.1"}} {
		if got := configGet(t, s.addr, kv[0]); got != kv[1] {
			t.Errorf("CONFIG GET %s = %q, want %q", kv[0], got, kv[1])
		}
	}
}

// configGet returns the value of CONFIG GET name.
func configGet(t *testing.T, addr, name string) string {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	m, err := c.ConfigGet(ctxT(t, 5*time.Second), name).Result()
	if err != nil {
		t.Fatalf("CONFIG GET %s: %v", name, err)
	}
	return m[name]
}

func TestPrefixUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		p := Prefix(t)
		if !strings.HasPrefix(p, "siotest-TestPrefixUnique-") {
			t.Fatalf("Prefix = %q", p)
		}
		if seen[p] {
			t.Fatalf("Prefix %q twice", p)
		}
		seen[p] = true
	}
	t.Run("odd name {tag}/x y", func(t *testing.T) {
		p := Prefix(t)
		for _, r := range p {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				t.Fatalf("Prefix %q holds %q", p, r)
			}
		}
		if !strings.HasPrefix(p, "siotest-TestPrefixUnique_odd_name__tag__x_y-") {
			t.Fatalf("Prefix = %q", p)
		}
	})
}

func serverPID(t *testing.T, c *redis.Client) int {
	t.Helper()
	info, err := c.Info(ctxT(t, 5*time.Second), "server").Result()
	if err != nil {
		t.Fatalf("INFO server: %v", err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	t.Fatalf("INFO server without process_id")
	return 0
}

func TestStartPrivateRestart(t *testing.T) {
	addr := StartPrivate(t)
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })
	ctx := ctxT(t, 20*time.Second)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	pid1 := serverPID(t, c)

	Restart(t, addr)

	// The same client, whose pooled connection died with the old process,
	// works again (go-redis drops the dead connection and dials anew).
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING after Restart: %v", err)
	}
	if pid2 := serverPID(t, c); pid2 == pid1 {
		t.Fatalf("same PID %d after Restart", pid1)
	}
	if err := c.Get(ctx, "k").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET k after Restart: %v, want redis.Nil (no persistence)", err)
	}
}

func TestStopStart(t *testing.T) {
	addr := StartPrivate(t)
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { c.Close() })
	ctx := ctxT(t, 20*time.Second)
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	Stop(t, addr)
	Stop(t, addr) // no-op
	if err := ping(addr, time.Second); err == nil {
		t.Fatal("PING answered after Stop")
	}
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("client PING answered after Stop")
	}
	Start(t, addr)
	Start(t, addr) // no-op
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("client PING after Start: %v", err)
	}
}

func TestRestartSkipsForeignRedis(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:1", Addr(t)} {
		var inner *testing.T
		t.Run("Restart", func(t *testing.T) {
			inner = t
			Restart(t, addr)
			t.Errorf("Restart(%s) went on", addr)
		})
		if !inner.Skipped() {
			t.Fatalf("Restart(%s) did not skip", addr)
		}
	}
	if err := ping(Addr(t), time.Second); err != nil {
		t.Fatalf("Addr down after a refused Restart: %v", err)
	}
}

func TestClusterShardedPubSub(t *testing.T) {
	addrs := Cluster(t)
	if os.Getenv(EnvClusterAddrs) == "" && len(addrs) != 3 {
		t.Fatalf("Cluster = %v, want 3 masters", addrs)
	}
	for _, a := range addrs {
		info, err := command(a, time.Second, "CLUSTER", "INFO")
		if err != nil || !strings.Contains(info, "cluster_state:ok") {
			t.Fatalf("%s: CLUSTER INFO: %q %v", a, info, err)
		}
	}
	cc := ClusterClient(t)
	ctx := ctxT(t, 20*time.Second)
	ch := Prefix(t) + ":ch"

	ps := cc.SSubscribe(ctx, ch)
	defer ps.Close()
	msg, err := ps.Receive(ctx)
	if err != nil {
		t.Fatalf("SSUBSCRIBE: %v", err)
	}
	if sub, ok := msg.(*redis.Subscription); !ok || sub.Kind != "ssubscribe" || sub.Channel != ch {
		t.Fatalf("SSUBSCRIBE confirmation = %#v", msg)
	}

	shardNumSub := func() int64 {
		var mu sync.Mutex
		var sum int64
		err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			m, err := c.PubSubShardNumSub(ctx, ch).Result()
			if err != nil {
				return err
			}
			mu.Lock()
			sum += m[ch]
			mu.Unlock()
			return nil
		})
		if err != nil {
			t.Fatalf("PUBSUB SHARDNUMSUB: %v", err)
		}
		return sum
	}
	if n := shardNumSub(); n != 1 {
		t.Fatalf("PUBSUB SHARDNUMSUB summed over masters = %d, want 1", n)
	}

	if n, err := cc.SPublish(ctx, ch, "hello").Result(); err != nil || n != 1 {
		t.Fatalf("SPUBLISH = %d, %v; want 1 receiver", n, err)
	}
	m, err := ps.ReceiveMessage(ctx)
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	if m.Channel != ch || m.Payload != "hello" {
		t.Fatalf("message = %q on %q", m.Payload, m.Channel)
	}

	if err := ps.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for shardNumSub() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("subscriber still counted 5 s after Close")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestChildProcess is the child of TestPdeathsig: it starts a standalone
// and a cluster, prints their PIDs and waits to be killed.
func TestChildProcess(t *testing.T) {
	if os.Getenv(envChild) == "" {
		t.Skip("child of TestPdeathsig only")
	}
	probeSystem = false
	addr := Addr(t)
	if addr == systemAddr {
		t.Fatalf("child got %s, want a spawned Redis", addr)
	}
	Cluster(t)
	var pids []string
	for _, pid := range startedPIDs() {
		pids = append(pids, strconv.Itoa(pid))
	}
	fmt.Printf("REDISTEST_PIDS %s\n", strings.Join(pids, " "))
	time.Sleep(60 * time.Second) // killed long before
}

// TestPdeathsig kills a test binary that started redis-servers (without
// Cleanup) and wants the kernel to have killed them too.
func TestPdeathsig(t *testing.T) {
	needProc(t)
	if err := requireBinaries("redis-server", "redis-cli"); err != nil {
		unavailable(t, err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildProcess$", "-test.v", "-test.count=1")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, EnvURL+"=") && !strings.HasPrefix(kv, EnvClusterAddrs+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	// The killed child cannot remove its temp dirs: put them in ours.
	cmd.Env = append(cmd.Env, envChild+"=1", "TMPDIR="+t.TempDir())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	pidLine := make(chan string, 1)
	go func() {
		var lines []string
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if l, ok := strings.CutPrefix(sc.Text(), "REDISTEST_PIDS "); ok {
				pidLine <- l
			} else {
				lines = append(lines, sc.Text())
			}
		}
		pidLine <- "ERR child output: " + strings.Join(lines, "\n")
	}()
	var line string
	select {
	case line = <-pidLine:
	case <-time.After(60 * time.Second):
		t.Fatal("child printed no PIDs within 60 s")
	}
	if strings.HasPrefix(line, "ERR ") {
		t.Fatal(line)
	}
	var pids []int
	for _, f := range strings.Fields(line) {
		pid, _ := strconv.Atoi(f)
		if !processAlive(pid) {
			t.Fatalf("child's redis-server %d is not running", pid)
		}
		pids = append(pids, pid)
	}
	if len(pids) != 4 {
		t.Fatalf("child started %d redis-servers (%q), want 4", len(pids), line)
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range pids {
		for processAlive(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("redis-server %d outlived its killed parent", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// TestCleanup runs last: Cleanup stops every redis-server of ours, even a
// private one whose test did not end, and a later Cluster starts afresh.
func TestCleanup(t *testing.T) {
	needProc(t)
	if err := requireBinaries("redis-server", "redis-cli"); err != nil {
		unavailable(t, err)
	}
	Cluster(t)
	stray, err := startNew(kindPrivate, nil)
	if err != nil {
		t.Fatal(err)
	}
	var running []int
	registry.mu.Lock()
	for _, s := range registry.servers {
		if pid := s.pid(); pid != 0 {
			running = append(running, pid)
		}
	}
	registry.mu.Unlock()
	if len(running) < 4 {
		t.Fatalf("%d redis-servers running before Cleanup, want ≥ 4", len(running))
	}

	Cleanup()
	Cleanup() // again: a no-op

	for _, pid := range startedPIDs() {
		if processAlive(pid) {
			t.Errorf("redis-server %d still runs after Cleanup", pid)
		}
	}
	if _, err := os.Stat(stray.dir); !os.IsNotExist(err) {
		t.Errorf("temp dir %s left after Cleanup: %v", stray.dir, err)
	}
	if err := ping(stray.addr, time.Second); err == nil {
		t.Errorf("%s answers after Cleanup", stray.addr)
	}

	// Usable again after Cleanup (TestMain's Cleanup stops these).
	addrs := Cluster(t)
	if err := ping(addrs[0], time.Second); err != nil {
		t.Fatalf("Cluster after Cleanup: %v", err)
	}
}
