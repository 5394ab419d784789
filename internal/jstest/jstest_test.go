package jstest

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
)

// known lists the scenarios that must exist; a new script in
// testdata/scenarios is picked up automatically by Scenarios().
var known = []string{
	"acks.mjs",
	"binary.mjs",
	"middleware.mjs",
	"namespaces.mjs",
	"polling.mjs",
	"reconnect.mjs",
	"rooms.mjs",
	"upgrade.mjs",
	"websocket.mjs",
}

// TestScenariosAgainstNode validates the scenario scripts against the Node
// reference implementation of the fixture contract (official socket.io
// server), proving that they test real Socket.IO behaviour.
func TestScenariosAgainstNode(t *testing.T) {
	Setup(t)
	scenarios := Scenarios(t)
	for _, k := range known {
		if !slices.Contains(scenarios, k) {
			t.Errorf("scenario %s is missing from testdata/scenarios", k)
		}
	}
	url := StartNodeFixture(t)
	t.Logf("node fixture at %s", url)
	for _, s := range scenarios {
		t.Run(s, func(t *testing.T) {
			Run(t, s, "SIO_URL="+url)
		})
	}
}

// TestRunReportsFailure checks that a failing scenario (here: no server at
// the URL) is reported as a failure rather than hanging or passing.
func TestRunReportsFailure(t *testing.T) {
	Setup(t)
	ft := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Port 1 on loopback: connection refused, so the scenario must fail
		// (connect_error / hard timeout), never pass.
		Run(ft, "polling", "SIO_URL=http://127.0.0.1:1", "SIO_SCENARIO_TIMEOUT_MS=3000")
	}()
	<-done
	if !ft.failed {
		t.Fatal("Run did not fail for a scenario that cannot connect")
	}
	t.Logf("failure reported as expected: %.300s", ft.msg)
}

// fakeTB captures Fatalf from Run without failing the real test.
type fakeTB struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = true
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fakeTB) Logf(format string, args ...any) {}
