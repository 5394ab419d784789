// Command conformance is the server that the official protocol test suites
// (socketio/engine.io-protocol and socketio/socket.io-protocol, directory
// test-suite/) run against, configured as their READMEs require:
//
//   - /engine.io/: a bare Engine.IO server that echoes every message;
//   - /socket.io/: a Socket.IO server whose "/" and "/custom" namespaces
//     emit "auth" with the handshake's auth payload on connection, and whose
//     "/" namespace answers "message" with "message-back" and acks
//     "message-with-ack" with the same arguments.
//
// Both use pingInterval 300ms, pingTimeout 200ms, maxPayload 1e6 and allow
// any origin. It listens on PORT (default 3000) on all interfaces.
package main

import (
	"log"
	"net/http"
	"os"
	"time"

	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/core/engineio"
)

func main() {
	cors := &core.CORS{Origins: []string{"*"}}

	eng, err := engineio.New(engineio.Config{
		PingInterval: 300 * time.Millisecond,
		PingTimeout:  200 * time.Millisecond,
		MaxPayload:   1e6,
		CORS:         cors,
		OnSession: func(s *engineio.Session) {
			s.SetHandler(echo{s})
		},
	})
	if err != nil {
		log.Fatal(err)
	}

	srv, err := core.New(core.Config{
		PingInterval:      300 * time.Millisecond,
		PingTimeout:       200 * time.Millisecond,
		MaxHTTPBufferSize: 1e6,
		ConnectTimeout:    time.Second,
		CORS:              cors,
	})
	if err != nil {
		log.Fatal(err)
	}
	srv.OnConnection(func(s *core.Socket) {
		_ = s.Emit("auth", s.Handshake().AuthRaw)
		s.On("message", func(args core.Args) { _ = s.Emit("message-back", args) })
		s.On("message-with-ack", func(args core.Args, ack core.Ack) { ack(args) })
	})
	srv.Of("/custom").OnConnection(func(s *core.Socket) {
		_ = s.Emit("auth", s.Handshake().AuthRaw)
	})

	mux := http.NewServeMux()
	mux.Handle("/engine.io/", eng)
	mux.Handle("/socket.io/", srv)

	port := os.Getenv("PORT")
	if port == "" {
		port = "3000"
	}
	log.Printf("conformance server on :%s", port)
	hs := &http.Server{Addr: ":" + port, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(hs.ListenAndServe())
}

// echo sends every message back on the same session.
type echo struct{ s *engineio.Session }

func (e echo) OnMessage(data []byte, binary bool) {
	if binary {
		_ = e.s.Send(engineio.Frame{Data: data, Binary: true})
		return
	}
	_ = e.s.Send(engineio.Frame{Data: append([]byte{'4'}, data...)})
}

func (echo) OnClose(string) {}
