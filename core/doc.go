// Package core is a Socket.IO v4 server (Engine.IO v4, Socket.IO protocol
// v5) that the official clients cannot tell from the Node.js reference.
//
// Start with [New]: a [Server] is an [net/http.Handler] for its path
// (/socket.io/ by default) and serves fasthttp with [Server.ServeFastHTTP].
// Clients connect to [Namespace]s; each connection to a namespace is a
// [Socket], which receives events through handlers registered with
// [Socket.On] and sends with [Socket.Emit]. Broadcasts select sockets by
// room with a [BroadcastOperator] and go through the server's [Adapter],
// which carries them to the other servers of a cluster.
//
// # Goroutines
//
// The packets of one connection are handled one at a time, in order, by
// the goroutine reading that connection: middlewares, connection handlers
// and event handlers of its sockets all run there and never overlap. (On
// Linux an idle WebSocket holds no goroutine: one is started when data
// arrives.) No lock
// of the server is held while they run. A handler that blocks delays only
// its own connection. Writes never block the caller: each connection has a
// bounded queue drained by its own writer, and a client that falls too far
// behind is disconnected.
package core
