// Package engineio is an Engine.IO v4 server: the transport layer under
// Socket.IO. It serves HTTP long-polling and WebSocket, upgrades a polling
// session to WebSocket, runs the heartbeat and reports every session to its
// owner, which exchanges messages with it.
//
// Most programs use it through [github.com/go-sio/sio/core]; use it directly
// for a bare Engine.IO endpoint. A [Server] is an [net/http.Handler] and also
// serves fasthttp through [Server.ServeFastHTTP].
//
// Concurrency: a [Session] is safe for concurrent use. Its [Handler] is called
// for one session at a time, in the order the client sent its packets: from
// the goroutine of the polling POST request or of the WebSocket reader.
package engineio
