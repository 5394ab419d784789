// Package jstest runs end-to-end scenarios in which the official Socket.IO
// JavaScript client (socket.io-client, pinned in testdata/package.json) drives
// a Socket.IO server.
//
// Each scenario is a standalone Node ESM script in testdata/scenarios. It
// connects to the server at env SIO_URL, which must implement the fixture
// contract described in testdata/README.md (testdata/fixture-node.mjs is the
// reference implementation using the official Node server), and exits 0 on
// success.
//
// Typical use from any package of the module:
//
//	func TestJS(t *testing.T) {
//		jstest.Setup(t)
//		url := startGoFixture(t) // e.g. "http://127.0.0.1:34567"
//		for _, s := range jstest.Scenarios(t) {
//			t.Run(s, func(t *testing.T) { jstest.Run(t, s, "SIO_URL="+url) })
//		}
//	}
package jstest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	// RunTimeout bounds one scenario run (the scripts have their own, shorter,
	// hard timeout).
	RunTimeout = 60 * time.Second
	// InstallTimeout bounds `npm ci`.
	InstallTimeout = 5 * time.Minute
	// FixtureStartTimeout bounds the wait for the Node fixture's "listening" line.
	FixtureStartTimeout = 20 * time.Second
)

// Dir returns the absolute path of the testdata directory (the npm project),
// located relative to this source file so that callers in any package can
// use it.
func Dir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("jstest: runtime.Caller failed")
	}
	return filepath.Join(filepath.Dir(file), "testdata")
}

// Node returns the path of the node binary. If node or npm is missing the
// test is skipped, unless env CI=true, in which case it fails.
func Node(t testing.TB) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = exec.LookPath("npm")
	}
	if err != nil {
		msg := fmt.Sprintf("jstest: Node.js and npm are required for the JavaScript client tests: %v", err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return node
}

var (
	setupMu   sync.Mutex
	setupDone bool
)

// Setup makes sure testdata/node_modules is installed from the lockfile,
// running `npm ci --no-audit --no-fund` when node_modules is missing or older
// than package-lock.json, and returns the testdata directory. Concurrent test
// binaries (go test ./... runs packages in parallel) are serialized with an
// exclusive file lock.
func Setup(t testing.TB) string {
	t.Helper()
	Node(t)
	dir := Dir()

	setupMu.Lock()
	defer setupMu.Unlock()
	if setupDone {
		return dir
	}

	unlock, err := lockFile(lockPath(dir))
	if err != nil {
		t.Fatalf("jstest: %v", err)
	}
	defer unlock()

	if needsInstall(dir) {
		npm, err := exec.LookPath("npm")
		if err != nil {
			t.Fatalf("jstest: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), InstallTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		cmd.WaitDelay = 5 * time.Second
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("jstest: npm ci in %s failed after %v: %v\n%s", dir, time.Since(start).Round(time.Millisecond), err, out)
		}
		t.Logf("jstest: npm ci in %s (%v)", dir, time.Since(start).Round(time.Millisecond))
		if needsInstall(dir) {
			t.Fatalf("jstest: node_modules in %s still looks stale after npm ci", dir)
		}
	}
	setupDone = true
	return dir
}

// lockPath is a lock file in os.TempDir() unique to this checkout.
func lockPath(dir string) string {
	sum := sha256.Sum256([]byte(dir))
	return filepath.Join(os.TempDir(), "sio-jstest-"+hex.EncodeToString(sum[:8])+".lock")
}

// needsInstall reports whether node_modules is missing or older than
// package-lock.json. npm writes node_modules/.package-lock.json on every
// install, so its modification time is the install time.
func needsInstall(dir string) bool {
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return true
	}
	installed, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json"))
	if err != nil {
		return true
	}
	return installed.ModTime().Before(lock.ModTime())
}

// Scenarios returns the file names of the scenario scripts
// (testdata/scenarios/*.mjs) that run against the fixture in its default
// mode, sorted. Scripts that need a special server mode are left out; see
// SpecialScenarios.
func Scenarios(t testing.TB) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(Dir(), "scenarios", "*.mjs"))
	if err != nil {
		t.Fatalf("jstest: %v", err)
	}
	if len(matches) == 0 {
		t.Fatalf("jstest: no scenarios found in %s", filepath.Join(Dir(), "scenarios"))
	}
	names := make([]string, 0, len(matches))
	for _, m := range matches {
		if name := filepath.Base(m); !isSpecial(name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// Run runs `node scenarios/<scenario>` in the testdata directory with env
// (KEY=VALUE entries, typically "SIO_URL=http://127.0.0.1:PORT") added to
// os.Environ(). The ".mjs" suffix of scenario is optional. The test fails
// with the combined output if the script exits non-zero or does not finish
// within RunTimeout; on success the output is logged.
func Run(t testing.TB, scenario string, env ...string) {
	t.Helper()
	if !strings.HasSuffix(scenario, ".mjs") {
		scenario += ".mjs"
	}
	RunScript(t, filepath.Join("scenarios", scenario), env...)
}

// RunScript runs a script of testdata (a path relative to it, e.g.
// "cluster/interop.mjs") as Run does.
func RunScript(t testing.TB, script string, env ...string) {
	t.Helper()
	node := Node(t)
	dir := Setup(t)
	scenario := script
	if _, err := os.Stat(filepath.Join(dir, script)); err != nil {
		t.Fatalf("jstest: unknown scenario %q: %v", scenario, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), RunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start).Round(time.Millisecond)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (killed after %v)", err, RunTimeout)
		}
		t.Fatalf("jstest: scenario %s failed after %v: %v\n--- output ---\n%s", scenario, elapsed, err, out.String())
	}
	t.Logf("jstest: scenario %s passed in %v\n%s", scenario, elapsed, out.String())
}

// StartNodeFixture starts testdata/fixture-node.mjs (the Node reference
// implementation of the fixture contract) on a free port of 127.0.0.1 and
// returns its base URL, e.g. "http://127.0.0.1:34567". env entries are added
// to os.Environ(); PORT defaults to 0 (the fixture reports the port it got).
// The process is killed in t.Cleanup; its output is logged if the test failed.
func StartNodeFixture(t testing.TB, env ...string) (url string) {
	t.Helper()
	return StartNodeServer(t, "fixture-node.mjs", env...)
}

// StartNodeServer starts a Node server script of testdata (a path relative
// to it, e.g. "cluster/server-node.mjs") that prints "listening <port>"
// when ready, and returns its base URL, as StartNodeFixture does.
func StartNodeServer(t testing.TB, script string, env ...string) (url string) {
	t.Helper()
	node := Node(t)
	dir := Setup(t)

	cmd := exec.Command(node, script)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "PORT=0"), env...)
	cmd.WaitDelay = 5 * time.Second
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("jstest: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("jstest: starting node fixture: %v", err)
	}

	var logOut lockedBuffer
	portc := make(chan int, 1)
	scanDone := make(chan struct{})
	go func() {
		defer close(scanDone)
		sc := bufio.NewScanner(stdout)
		found := false
		for sc.Scan() {
			line := sc.Text()
			logOut.WriteString(line + "\n")
			if found {
				continue
			}
			if rest, ok := strings.CutPrefix(line, "listening "); ok {
				if p, err := strconv.Atoi(strings.TrimSpace(rest)); err == nil && p > 0 {
					found = true
					portc <- p
				}
			}
		}
		// Keep draining until EOF so the fixture never blocks on a full pipe.
		_, _ = io.Copy(io.Discard, stdout)
	}()

	exited := make(chan error, 1)
	go func() {
		<-scanDone
		exited <- cmd.Wait()
	}()

	stop := func() {
		_ = cmd.Process.Kill()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
		}
	}

	select {
	case port := <-portc:
		url = "http://127.0.0.1:" + strconv.Itoa(port)
	case err := <-exited:
		t.Fatalf("jstest: node fixture exited before listening: %v\nstdout:\n%s\nstderr:\n%s", err, logOut.String(), stderr.String())
	case <-time.After(FixtureStartTimeout):
		stop()
		t.Fatalf("jstest: node fixture did not print \"listening <port>\" within %v\nstdout:\n%s\nstderr:\n%s", FixtureStartTimeout, logOut.String(), stderr.String())
	}

	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("jstest: node fixture output:\nstdout:\n%s\nstderr:\n%s", logOut.String(), stderr.String())
		}
	})
	return url
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) WriteString(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.WriteString(s)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
