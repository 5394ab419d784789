package frameworktest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/go-sio/sio/auth"
	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/internal/redistest"
	"github.com/go-sio/sio/redisadapter"
)

// Routes is what [EmitFromRoute] needs of a framework.
type Routes struct {
	// Auth authenticates the sockets (HS256 tokens of [Secret]) and names
	// the room of a user.
	Auth *auth.Authenticator
	// Serve mounts srv on a new router, with Auth as the package's
	// Config.Auth, adds these routes, which emit through the package's
	// IO(c), and serves the router until t ends:
	//   - POST /rooms/:room emits "message" with the JSON body to the
	//     room and answers 204;
	//   - POST /me, behind the app's JWT middleware (HS256, [Secret]),
	//     emits "notice" "for you" to IO(c).User(), then "fence" to every
	//     socket, and answers 204;
	//   - POST /anonymous answers 204 if IO(c).User() fails with the
	//     package's ErrNoUser.
	Serve Mount
	// Refusals are requests that the JWT middleware of /me answers with
	// 401, each checked in a subtest of its name.
	Refusals []Refusal
}

// Refusal is a request to /me with Token as a Bearer token ("" for none).
type Refusal struct{ Name, Token string }

// EmitFromRoute: a REST handler on instance A emits, through Redis, to a
// socket connected to instance B: to a room, and, behind the app's JWT
// middleware, to the sockets of the user who made the request
// (Emitter.User), and to nobody else.
func EmitFromRoute(t *testing.T, r Routes) {
	rdb := redistest.Client(t)
	key := redistest.Prefix(t)
	var urls [2]string
	var srvs [2]*core.Server
	for i := range srvs {
		srv := NewServer(t, core.Config{Adapter: redisadapter.New(rdb, redisadapter.Config{Key: key})})
		srv.Use(r.Auth.Middleware())
		srv.OnConnection(func(s *core.Socket) {
			s.On("join", func(room core.Room, ack core.Ack) {
				s.Join(room)
				ack(true)
			})
		})
		srvs[i], urls[i] = srv, r.Serve(t, srv)
	}
	WaitServers(t, srvs[0], 2)
	WaitServers(t, srvs[1], 2)

	// The auth middleware joins each socket to its user's room before
	// the CONNECT is answered.
	alice := Dial(t, urls[1], WithToken(GoodToken(t, "alice")))
	bob := Dial(t, urls[1], WithToken(GoodToken(t, "bob")))
	if _, err := alice.EmitWithAck(Ctx(t), "join", "news"); err != nil {
		t.Fatal(err)
	}

	post := func(t *testing.T, path, token string, body any, want int) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, urls[0]+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("POST %s: %d %s, want %d", path, res.StatusCode, msg, want)
		}
	}

	t.Run("room", func(t *testing.T) {
		post(t, "/rooms/news", "", map[string]any{"text": "hello"}, http.StatusNoContent)
		ev := WaitNext(t, alice, "message")
		var got map[string]any
		if err := ev.Decode(&got); err != nil || got["text"] != "hello" {
			t.Fatalf("message %s: %v", ev.Args, err)
		}
	})
	t.Run("user", func(t *testing.T) {
		post(t, "/me", GoodToken(t, "alice"), nil, http.StatusNoContent)
		ev := WaitNext(t, alice, "notice")
		var got string
		if err := ev.Decode(&got); err != nil || got != "for you" {
			t.Fatalf("notice %s: %v", ev.Args, err)
		}
		// bob gets the fence and nothing before it.
		ev, err := bob.Next(Ctx(t))
		if err != nil || ev.Name != "fence" {
			t.Fatalf("bob got %q (%v), want only the fence", ev.Name, err)
		}
	})
	for _, rf := range r.Refusals {
		t.Run(rf.Name, func(t *testing.T) {
			post(t, "/me", rf.Token, nil, http.StatusUnauthorized)
		})
	}
	t.Run("no user", func(t *testing.T) {
		post(t, "/anonymous", "", nil, http.StatusNoContent)
	})
}
