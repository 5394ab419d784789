// Package adaptertest is the conformance suite that every [core.Adapter]
// must pass: three servers in one process share one cluster back end, real
// clients connect to each, and every cluster-wide operation is checked
// from the clients' side.
//
// An adapter package runs it from a test:
//
//	func TestConformance(t *testing.T) {
//		adaptertest.Run(t, func(t testing.TB) func() core.Adapter {
//			cluster := core.NewMemoryCluster() // a fresh cluster per test
//			return func() core.Adapter { return cluster.Adapter() }
//		})
//	}
package adaptertest

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/internal/sioclient"
)

// Factory prepares a fresh cluster for one test and returns a function
// that gives a new adapter joined to it at each call (one per server).
type Factory func(t testing.TB) func() core.Adapter

// Timeout bounds each wait of the suite.
var Timeout = 5 * time.Second

// Run runs the suite.
func Run(t *testing.T, f Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, c *cluster)
	}{
		{"broadcast to all reaches every server", testBroadcastAll},
		{"broadcast to a room with except", testBroadcastRoomExcept},
		{"local broadcast stays on its server", testBroadcastLocal},
		{"socket broadcast excludes the sender", testSocketBroadcast},
		{"server count", testServerCount},
		{"fetch sockets", testFetchSockets},
		{"sockets join and leave", testSocketsJoinLeave},
		{"disconnect sockets", testDisconnectSockets},
		{"server-side emit with acks", testServerSideEmit},
		{"broadcast with acks", testBroadcastWithAck},
		{"broadcast with acks times out with partial answers", testBroadcastWithAckTimeout},
		{"all rooms", testAllRooms},
		{"remote socket", testRemoteSocket},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			newAdapter := f(t)
			c := newCluster(t, newAdapter, 3)
			tc.fn(t, c)
		})
	}
}

type node struct {
	srv *core.Server
	url string
}

type cluster struct {
	t     *testing.T
	nodes []*node
}

func newCluster(t *testing.T, newAdapter func() core.Adapter, n int) *cluster {
	t.Helper()
	c := &cluster{t: t}
	for i := 0; i < n; i++ {
		srv, err := core.New(core.Config{Adapter: newAdapter()})
		if err != nil {
			t.Fatal(err)
		}
		setup(srv, i)
		hs := httptest.NewServer(srv)
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), Timeout)
			defer cancel()
			_ = srv.Shutdown(ctx)
			hs.Close()
		})
		c.nodes = append(c.nodes, &node{srv: srv, url: hs.URL})
	}
	// Every server must see the others before the test starts.
	waitFor(t, "every server counts the cluster", func() bool {
		for _, nd := range c.nodes {
			k, err := nd.srv.Sockets().ServerCount(context.Background())
			if err != nil || k != n {
				return false
			}
		}
		return true
	})
	return c
}

// setup installs the handlers the suite's clients use.
func setup(srv *core.Server, index int) {
	srv.Use(func(s *core.Socket) error {
		s.SetData(map[string]any{"name": s.Handshake().Auth["name"], "server": index})
		return nil
	})
	srv.OnConnection(func(s *core.Socket) {
		if rooms, ok := s.Handshake().Auth["rooms"].([]any); ok {
			for _, r := range rooms {
				if rs, ok := r.(string); ok {
					s.Join(core.Room(rs))
				}
			}
		}
		s.On("broadcast", func(event string, payload any, ack core.Ack) {
			_ = s.Broadcast().Emit(event, payload)
			ack(true)
		})
	})
	srv.Sockets().OnServerSideEmit("hello", func(args []any, ack func(any)) {
		if ack == nil {
			return
		}
		ack(map[string]any{"from": index, "args": args})
	})
}

func (c *cluster) connect(i int, name string, rooms ...string) *sioclient.Client {
	c.t.Helper()
	return c.connectOpts(i, name, rooms, nil)
}

func (c *cluster) connectOpts(i int, name string, rooms []string, autoAck func(sioclient.Event) []any) *sioclient.Client {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	if rooms == nil {
		rooms = []string{}
	}
	cl, err := sioclient.Dial(ctx, c.nodes[i].url, sioclient.Options{
		Auth:    map[string]any{"name": name, "rooms": rooms},
		AutoAck: autoAck,
	})
	if err != nil {
		c.t.Fatalf("connect %s to server %d: %v", name, i, err)
	}
	c.t.Cleanup(func() { _ = cl.Close() })
	c.settle(i, cl, append(rooms, cl.ID)...)
	return cl
}

// settle waits until broadcasts from another server to each of rooms
// reach cl. Adapters may subscribe to a channel per room asynchronously
// (as Node's sharded adapter does); until that is done a broadcast to the
// room can be missed, so the suite waits for it before testing.
func (c *cluster) settle(i int, cl *sioclient.Client, rooms ...string) {
	c.t.Helper()
	from := c.nodes[(i+1)%len(c.nodes)].srv
	for _, r := range rooms {
		deadline := time.Now().Add(Timeout)
		for {
			if err := from.To(core.Room(r)).Emit("__settle", r); err != nil {
				c.t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			ev, err := cl.Next(ctx)
			cancel()
			if err == nil && ev.Name == "__settle" && str(c.t, ev.Args[0]) == r {
				break
			}
			if time.Now().After(deadline) {
				c.t.Fatalf("broadcasts to room %s never reached the client", r)
			}
		}
	}
	// Drain late duplicates of the probes.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	for {
		ev, err := cl.Next(ctx)
		if err != nil {
			return
		}
		if ev.Name != "__settle" {
			c.t.Fatalf("unexpected event %q while settling", ev.Name)
		}
	}
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// expectEvent waits for the next event named name on cl.
func expectEvent(t testing.TB, cl *sioclient.Client, name string) sioclient.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	for {
		ev, err := cl.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %q: %v", name, err)
		}
		if ev.Name == name {
			return ev
		}
	}
}

// expectNoEvent checks that no event named name arrives within d: used
// after a marker event proves the earlier broadcast was delivered.
func expectNoEvent(t testing.TB, cl *sioclient.Client, name string, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		ev, err := cl.Next(ctx)
		if err != nil {
			return
		}
		if ev.Name == name {
			t.Fatalf("unexpected %q with %s", name, ev.Args)
		}
	}
}

// barrier sends a marker to every given client through server 0 and waits
// for it, so that everything broadcast before has arrived.
func (c *cluster) barrier(cls ...*sioclient.Client) {
	c.t.Helper()
	if err := c.nodes[0].srv.Emit("barrier"); err != nil {
		c.t.Fatal(err)
	}
	for _, cl := range cls {
		expectEvent(c.t, cl, "barrier")
	}
}

func str(t testing.TB, raw json.RawMessage) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("not a string: %s", raw)
	}
	return s
}

func testBroadcastAll(t *testing.T, c *cluster) {
	a, b, d := c.connect(0, "a"), c.connect(1, "b"), c.connect(2, "d")
	if err := c.nodes[1].srv.Emit("hello", "world", 1); err != nil {
		t.Fatal(err)
	}
	for _, cl := range []*sioclient.Client{a, b, d} {
		ev := expectEvent(t, cl, "hello")
		if got := string(ev.Args[0]) + string(ev.Args[1]); got != `"world"1` {
			t.Fatalf("args = %s", got)
		}
	}
}

func testBroadcastRoomExcept(t *testing.T, c *cluster) {
	a := c.connect(0, "a", "r")
	b := c.connect(1, "b", "r", "x")
	d := c.connect(2, "d")
	if err := c.nodes[2].srv.To("r").Except("x").Emit("news", "n1"); err != nil {
		t.Fatal(err)
	}
	if ev := expectEvent(t, a, "news"); str(t, ev.Args[0]) != "n1" {
		t.Fatalf("a got %s", ev.Args)
	}
	c.barrier(a, b, d)
	expectNoEvent(t, b, "news", 50*time.Millisecond)
	expectNoEvent(t, d, "news", 50*time.Millisecond)
	// Several rooms: each socket once.
	if err := c.nodes[0].srv.To("r", "x").Emit("multi"); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, a, "multi")
	expectEvent(t, b, "multi")
	c.barrier(a, b, d)
	expectNoEvent(t, b, "multi", 50*time.Millisecond)
}

func testBroadcastLocal(t *testing.T, c *cluster) {
	a, b := c.connect(0, "a"), c.connect(1, "b")
	if err := c.nodes[0].srv.Sockets().Local().Emit("only-here"); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, a, "only-here")
	c.barrier(a, b)
	expectNoEvent(t, b, "only-here", 50*time.Millisecond)
}

func testSocketBroadcast(t *testing.T, c *cluster) {
	a, b, d := c.connect(0, "a"), c.connect(1, "b"), c.connect(2, "d")
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	if _, err := a.EmitWithAck(ctx, "broadcast", "from-a", 42); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, b, "from-a")
	expectEvent(t, d, "from-a")
	c.barrier(a)
	expectNoEvent(t, a, "from-a", 50*time.Millisecond)
}

func testServerCount(t *testing.T, c *cluster) {
	for i, nd := range c.nodes {
		n, err := nd.srv.Sockets().ServerCount(context.Background())
		if err != nil || n != len(c.nodes) {
			t.Fatalf("server %d counts %d (%v), want %d", i, n, err, len(c.nodes))
		}
	}
}

func ids(socks []*core.RemoteSocket) []string {
	out := make([]string, len(socks))
	for i, s := range socks {
		out[i] = string(s.ID())
	}
	sort.Strings(out)
	return out
}

func testFetchSockets(t *testing.T, c *cluster) {
	a := c.connect(0, "a", "r")
	b := c.connect(1, "b", "r")
	d := c.connect(2, "d")
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	all, err := c.nodes[0].srv.Sockets().FetchSockets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{a.ID, b.ID, d.ID}
	sort.Strings(want)
	if got := ids(all); !slices.Equal(got, want) {
		t.Fatalf("fetched %v, want %v", got, want)
	}
	for _, s := range all {
		if s.Handshake() == nil || s.Handshake().Auth["name"] == nil {
			t.Fatalf("socket %s: handshake auth missing: %+v", s.ID(), s.Handshake())
		}
		data, err := core.DataAs[map[string]any](s)
		if err != nil || data["name"] != s.Handshake().Auth["name"] {
			t.Fatalf("socket %s: data %v (%v)", s.ID(), s.Data(), err)
		}
		if !slices.Contains(s.Rooms(), core.Room(s.ID())) {
			t.Fatalf("socket %s: rooms %v lack its own id", s.ID(), s.Rooms())
		}
	}
	inR, err := c.nodes[2].srv.To("r").FetchSockets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantR := []string{a.ID, b.ID}
	sort.Strings(wantR)
	if got := ids(inR); !slices.Equal(got, wantR) {
		t.Fatalf("fetched in r %v, want %v", got, wantR)
	}
	local, err := c.nodes[2].srv.Sockets().Local().FetchSockets(ctx)
	if err != nil || len(local) != 1 || string(local[0].ID()) != d.ID {
		t.Fatalf("local fetch: %v %v", ids(local), err)
	}
}

func roomsOf(t testing.TB, c *cluster, id string) []core.Room {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	socks, err := c.nodes[0].srv.Sockets().FetchSockets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range socks {
		if string(s.ID()) == id {
			return s.Rooms()
		}
	}
	return nil
}

func testSocketsJoinLeave(t *testing.T, c *cluster) {
	a := c.connect(0, "a")
	b := c.connect(1, "b", "r")
	d := c.connect(2, "d", "r")
	ctx := context.Background()
	if err := c.nodes[0].srv.To("r").SocketsJoin(ctx, "joined"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b and d joined", func() bool {
		return slices.Contains(roomsOf(t, c, b.ID), "joined") && slices.Contains(roomsOf(t, c, d.ID), "joined")
	})
	if slices.Contains(roomsOf(t, c, a.ID), "joined") {
		t.Fatal("a joined but is not in r")
	}
	if err := c.nodes[0].srv.To("joined").Emit("in-joined"); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, b, "in-joined")
	expectEvent(t, d, "in-joined")
	if err := c.nodes[1].srv.Sockets().SocketsLeave(ctx, "joined"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "everyone left", func() bool {
		return !slices.Contains(roomsOf(t, c, b.ID), "joined") && !slices.Contains(roomsOf(t, c, d.ID), "joined")
	})
}

func testDisconnectSockets(t *testing.T, c *cluster) {
	a := c.connect(0, "a")
	b := c.connect(1, "b", "bye")
	d := c.connect(2, "d", "bye")
	if err := c.nodes[0].srv.To("bye").DisconnectSockets(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	for _, cl := range []*sioclient.Client{b, d} {
		select {
		case <-cl.Done():
			if cl.Err() != sioclient.ErrServerDisconnect {
				t.Fatalf("client ended with %v, want a server disconnect", cl.Err())
			}
		case <-time.After(Timeout):
			t.Fatal("client not disconnected")
		}
	}
	c.barrier(a)
}

func testServerSideEmit(t *testing.T, c *cluster) {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	resps, err := c.nodes[0].srv.Sockets().ServerSideEmitWithAck(ctx, "hello", "x", 1.0)
	if err != nil {
		t.Fatal(err)
	}
	var from []int
	for _, r := range resps {
		b, _ := json.Marshal(r)
		var v struct {
			From int   `json:"from"`
			Args []any `json:"args"`
		}
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("response %s: %v", b, err)
		}
		if len(v.Args) != 2 || v.Args[0] != "x" {
			t.Fatalf("server %d got args %v", v.From, v.Args)
		}
		from = append(from, v.From)
	}
	sort.Ints(from)
	if !slices.Equal(from, []int{1, 2}) {
		t.Fatalf("answers from %v, want [1 2] (never the emitter)", from)
	}
	if err := c.nodes[0].srv.Sockets().ServerSideEmit(ctx, "connection"); err == nil {
		t.Fatal("reserved name accepted")
	}
}

func testBroadcastWithAck(t *testing.T, c *cluster) {
	answer := func(name string) func(sioclient.Event) []any {
		return func(sioclient.Event) []any { return []any{name} }
	}
	c.connectOpts(0, "a", nil, answer("a"))
	c.connectOpts(1, "b", nil, answer("b"))
	c.connectOpts(2, "d", nil, answer("d"))
	c.connectOpts(2, "e", nil, answer("e"))
	ctx := context.Background()
	resps, err := c.nodes[0].srv.Sockets().Timeout(2*time.Second).EmitWithAck(ctx, "question")
	if err != nil {
		t.Fatalf("%v (answers %v)", err, resps)
	}
	var got []string
	for _, r := range resps {
		got = append(got, r.(string))
	}
	sort.Strings(got)
	if !slices.Equal(got, []string{"a", "b", "d", "e"}) {
		t.Fatalf("answers %v", got)
	}
}

func testBroadcastWithAckTimeout(t *testing.T, c *cluster) {
	c.connectOpts(0, "a", nil, func(sioclient.Event) []any { return []any{"a"} })
	c.connectOpts(1, "silent", nil, nil)
	start := time.Now()
	resps, err := c.nodes[0].srv.Sockets().Timeout(300*time.Millisecond).EmitWithAck(context.Background(), "question")
	if err != core.ErrAckTimeout {
		t.Fatalf("err = %v, want ErrAckTimeout", err)
	}
	if len(resps) != 1 || resps[0] != "a" {
		t.Fatalf("partial answers %v, want [a]", resps)
	}
	if el := time.Since(start); el < 250*time.Millisecond {
		t.Fatalf("returned after %v, before the timeout", el)
	}
}

func testAllRooms(t *testing.T, c *cluster) {
	c.connect(0, "a", "r1")
	c.connect(1, "b", "r2")
	c.connect(2, "d", "r3")
	rooms, err := c.nodes[0].srv.Sockets().AllRooms(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []core.Room{"r1", "r2", "r3"} {
		if !slices.Contains(rooms, r) {
			t.Fatalf("all rooms %v lacks %s", rooms, r)
		}
	}
}

func testRemoteSocket(t *testing.T, c *cluster) {
	b := c.connectOpts(1, "b", nil, func(sioclient.Event) []any { return []any{"yes"} })
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	socks, err := c.nodes[0].srv.Sockets().FetchSockets(ctx)
	if err != nil || len(socks) != 1 {
		t.Fatalf("fetch: %d sockets, %v", len(socks), err)
	}
	rs := socks[0]
	if err := rs.Emit("direct", "hi"); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, b, "direct")
	ans, err := rs.EmitWithAck(ctx, "ask")
	if err != nil || ans != "yes" {
		t.Fatalf("answer %v, %v", ans, err)
	}
	if err := rs.Join(ctx, "vip"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b joined vip", func() bool { return slices.Contains(roomsOf(t, c, b.ID), "vip") })
	if err := rs.Disconnect(ctx, true); err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.Done():
	case <-time.After(Timeout):
		t.Fatal("remote disconnect did not reach b")
	}
}
