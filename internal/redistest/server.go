package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Bounds on every wait of this file.
const (
	readyTimeout    = 10 * time.Second // a started redis-server answers
	stopGrace       = 10 * time.Second // SIGTERM → exit, before SIGKILL
	killWait        = 5 * time.Second  // SIGKILL → exit
	restartPortWait = 10 * time.Second // the old port is bound again
	startAttempts   = 5                // fresh ports tried for a new server
)

type kind int

const (
	kindShared  kind = iota // the standalone of Addr
	kindCluster             // a node of Cluster
	kindPrivate             // StartPrivate: owned by one test
)

// errPortInUse marks a redis-server that exited because its port (or the
// cluster bus port) was taken.
var errPortInUse = errors.New("port in use")

// server is one redis-server process that this package started.
type server struct {
	kind kind
	port int
	bus  bool // cluster mode: port+10000 is used too
	addr string
	dir  string
	bin  string
	args []string

	mu   sync.Mutex
	cmd  *exec.Cmd     // nil while stopped
	done chan struct{} // closed when cmd has exited and been reaped
}

// registry holds every running or stopped server of this package, the
// ports it holds, and every PID it ever started.
var registry struct {
	mu       sync.Mutex
	servers  map[string]*server // by addr
	reserved map[int]bool
	pids     []int
}

func register(s *server) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.servers == nil {
		registry.servers = map[string]*server{}
	}
	registry.servers[s.addr] = s
}

func unregister(s *server) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.servers[s.addr] == s {
		delete(registry.servers, s.addr)
	}
	delete(registry.reserved, s.port)
	if s.bus {
		delete(registry.reserved, s.port+10000)
	}
}

func lookup(addr string) *server {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	return registry.servers[addr]
}

func recordPID(pid int) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	registry.pids = append(registry.pids, pid)
}

// startedPIDs returns the PID of every redis-server this package started.
func startedPIDs() []int {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	return append([]int(nil), registry.pids...)
}

// ephemeralLow is the first port the kernel hands out to outgoing
// connections; ports below it are not taken behind our back by clients.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 0 {
				return n
			}
		}
	}
	return 32768
}

func canListen(port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

// pickPort reserves a random free loopback port in 20000–29999; with bus,
// port+10000 is free too, and both stay below the ephemeral range when it
// leaves room for that.
func pickPort(bus bool) (int, error) {
	const lo = 20000
	n := 10000
	if bus {
		if room := ephemeralLow() - 10000 - lo; room >= 1000 && room < n {
			n = room
		}
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.reserved == nil {
		registry.reserved = map[int]bool{}
	}
	for range 200 {
		p := lo + rand.IntN(n)
		if registry.reserved[p] || registry.reserved[p+10000] || registry.reserved[p-10000] {
			continue
		}
		if !canListen(p) || (bus && !canListen(p+10000)) {
			continue
		}
		registry.reserved[p] = true
		if bus {
			registry.reserved[p+10000] = true
		}
		return p, nil
	}
	return 0, errors.New("no free loopback port found in 20000–29999")
}

// startNew starts a redis-server of kind k on a fresh port in a fresh temp
// dir, trying another port when the one picked was taken meanwhile.
func startNew(k kind, extra func(port int) []string) (*server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, err
	}
	var last error
	for range startAttempts {
		s := &server{kind: k, bin: bin, bus: k == kindCluster}
		if s.port, err = pickPort(s.bus); err != nil {
			return nil, err
		}
		s.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
		if s.dir, err = os.MkdirTemp("", fmt.Sprintf("redistest-%d-", s.port)); err != nil {
			unregister(s)
			return nil, err
		}
		s.args = []string{
			"--port", strconv.Itoa(s.port),
			"--bind", "127.0.0.1",
			"--save", "",
			"--appendonly", "no",
			"--dir", s.dir,
		}
		if extra != nil {
			s.args = append(s.args, extra(s.port)...)
		}
		s.mu.Lock()
		err = s.startLocked()
		s.mu.Unlock()
		if err == nil {
			register(s)
			return s, nil
		}
		unregister(s)
		_ = os.RemoveAll(s.dir)
		last = err
		if !errors.Is(err, errPortInUse) {
			return nil, err
		}
	}
	return nil, last
}

// waitProcess reaps cmd and closes done. Named for IgnoreGoroutines.
func waitProcess(cmd *exec.Cmd, done chan struct{}) {
	_ = cmd.Wait()
	close(done)
}

// startLocked starts the process and waits until it answers as itself
// (INFO's process_id is its PID), bounded by readyTimeout.
func (s *server) startLocked() error {
	logPath := filepath.Join(s.dir, "redis.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(s.bin, s.args...)
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr()
	err = startCmd(cmd)
	_ = logf.Close() // the child has its own copy
	if err != nil {
		return err
	}
	done := make(chan struct{})
	go waitProcess(cmd, done)
	s.cmd, s.done = cmd, done
	recordPID(cmd.Process.Pid)

	want := "process_id:" + strconv.Itoa(cmd.Process.Pid) + "\r\n"
	deadline := time.Now().Add(readyTimeout)
	for {
		select {
		case <-done:
			s.cmd = nil
			tail := logTail(logPath)
			if strings.Contains(tail, "in use") {
				return fmt.Errorf("redis-server on %s: %w; log:\n%s", s.addr, errPortInUse, tail)
			}
			return fmt.Errorf("redis-server on %s exited (%v); log:\n%s", s.addr, cmd.ProcessState, tail)
		default:
		}
		if info, err := command(s.addr, 500*time.Millisecond, "INFO", "server"); err == nil && strings.Contains(info, want) {
			return nil
		}
		if time.Now().After(deadline) {
			s.killLocked()
			return fmt.Errorf("redis-server on %s did not answer within %v; log:\n%s", s.addr, readyTimeout, logTail(logPath))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *server) runningLocked() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.done:
		s.cmd = nil
		return false
	default:
		return true
	}
}

func (s *server) pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.runningLocked() {
		return 0
	}
	return s.cmd.Process.Pid
}

// stop sends SIGTERM and waits for the exit (SIGKILL after stopGrace).
// It reports whether the process is gone.
func (s *server) stop() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.runningLocked() {
		return true
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		s.cmd = nil
		return true
	case <-time.After(stopGrace):
	}
	return s.killLocked()
}

func (s *server) killLocked() bool {
	_ = s.cmd.Process.Kill()
	select {
	case <-s.done:
		s.cmd = nil
		return true
	case <-time.After(killWait):
		return false
	}
}

// restart starts a stopped server again on its own port, waiting a bounded
// time for the port to be free.
func (s *server) restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.runningLocked() {
		return nil
	}
	deadline := time.Now().Add(restartPortWait)
	for {
		err := s.startLocked()
		if err == nil || !errors.Is(err, errPortInUse) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// logTail returns the last lines of a redis log.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}

// readReply reads one RESP2 reply: simple string, error, integer or bulk
// string (a nil bulk string reads as "").
func readReply(r io.Reader) (string, error) {
	br := bufio.NewReader(r)
	line, err := br.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", errors.New(line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return "", fmt.Errorf("bad bulk length %q", line)
		}
		if n < 0 {
			return "", nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	default:
		return "", fmt.Errorf("unsupported reply %q", line)
	}
}

func requireBinaries(names ...string) error {
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			return fmt.Errorf("%w: %s is not on PATH (install it, e.g. apt-get install redis-server)", errUnavailable, n)
		}
	}
	return nil
}

// StartPrivate starts a redis-server for t alone, on a free loopback port,
// and kills it when t ends. Use it with Stop, Start and Restart. Skips t
// (fails it under CI=true) when redis-server is not on PATH.
func StartPrivate(t testing.TB) (addr string) {
	t.Helper()
	if err := requireBinaries("redis-server"); err != nil {
		unavailable(t, err)
	}
	s, err := startNew(kindPrivate, nil)
	if err != nil {
		t.Fatalf("redistest: StartPrivate: %v", err)
	}
	t.Cleanup(func() {
		s.stop()
		unregister(s)
		_ = os.RemoveAll(s.dir)
	})
	return s.addr
}

// private returns the StartPrivate server at addr, or skips t.
func private(t testing.TB, op, addr string) *server {
	t.Helper()
	s := lookup(addr)
	if s == nil || s.kind != kindPrivate {
		t.Skipf("redistest: %s(%s): not a Redis started by StartPrivate; "+
			"outage tests need their own: addr := redistest.StartPrivate(t)", op, addr)
	}
	return s
}

// Stop stops the StartPrivate Redis at addr (SIGTERM, then waits for it to
// exit) and leaves it down until Start or Restart. A no-op if it is down.
// Skips t when addr was not started by StartPrivate.
func Stop(t testing.TB, addr string) {
	t.Helper()
	s := private(t, "Stop", addr)
	if !s.stop() {
		t.Fatalf("redistest: Stop(%s): redis-server did not exit", addr)
	}
}

// Start starts the StartPrivate Redis at addr again on the same port,
// after Stop, and waits until it answers. A no-op if it is up. Skips t
// when addr was not started by StartPrivate. The data is gone: there is
// no persistence.
func Start(t testing.TB, addr string) {
	t.Helper()
	s := private(t, "Start", addr)
	if err := s.restart(); err != nil {
		t.Fatalf("redistest: Start(%s): %v", addr, err)
	}
}

// Restart is Stop then Start.
func Restart(t testing.TB, addr string) {
	t.Helper()
	s := private(t, "Restart", addr)
	if !s.stop() {
		t.Fatalf("redistest: Restart(%s): redis-server did not exit", addr)
	}
	if err := s.restart(); err != nil {
		t.Fatalf("redistest: Restart(%s): %v", addr, err)
	}
}

// Cleanup stops every redis-server this package started (shared, cluster
// and any StartPrivate one still up), removes their temp dirs, and forgets
// them, so that a later Addr or Cluster starts afresh. Call it from
// TestMain after m.Run (or use WithCleanup). Safe to call more than once.
func Cleanup() {
	registry.mu.Lock()
	servers := make([]*server, 0, len(registry.servers))
	for _, s := range registry.servers {
		servers = append(servers, s)
	}
	registry.servers = nil
	registry.reserved = nil
	registry.mu.Unlock()

	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.stop()
			_ = os.RemoveAll(s.dir)
		}()
	}
	wg.Wait()

	standalone.mu.Lock()
	if standalone.resolved && (standalone.srv != nil || standalone.err != nil) {
		standalone.resolved = false
		standalone.addr, standalone.url, standalone.opts, standalone.srv, standalone.err = "", "", nil, nil, nil
	}
	standalone.mu.Unlock()

	cluster.mu.Lock()
	if cluster.resolved && (cluster.srvs != nil || cluster.err != nil) {
		cluster.resolved = false
		cluster.addrs, cluster.srvs, cluster.err = nil, nil, nil
	}
	cluster.mu.Unlock()

	stopSpawner()
}

// TestingM is what testing.M and goleak.VerifyTestMain agree on.
type TestingM interface{ Run() int }

type withCleanup struct{ m TestingM }

func (w withCleanup) Run() int {
	defer Cleanup()
	return w.m.Run()
}

// WithCleanup wraps m so that Run calls Cleanup after the tests:
//
//	func TestMain(m *testing.M) { os.Exit(redistest.WithCleanup(m).Run()) }
//	func TestMain(m *testing.M) { goleak.VerifyTestMain(redistest.WithCleanup(m)) }
func WithCleanup(m TestingM) TestingM { return withCleanup{m} }
