// Package ginsio mounts a Socket.IO server ([core.Server]) on a Gin router
// and lets ordinary Gin handlers emit to sockets.
//
// Start with [Mount]:
//
//	srv, _ := core.New(core.Config{})
//	r := gin.New()
//	ginsio.Mount(r, srv) // GET, POST and OPTIONS on /socket.io/*any
//	r.POST("/api/ping", func(c *gin.Context) {
//		_ = ginsio.IO(c).To("lobby").Emit("ping") // every server of the cluster
//		c.Status(http.StatusNoContent)
//	})
//
// [Handler] is the bare [gin.HandlerFunc] for routes you register
// yourself. Both transports and the polling-to-WebSocket upgrade go through
// Gin unchanged: Gin's ResponseWriter implements http.Hijacker and
// http.Flusher, and nothing is written before the upgrade hijacks the
// connection.
//
// # Emitting from routes
//
// [Mount] also installs the [Inject] middleware on the router, so [IO]
// works in every route registered after Mount; for routes registered
// before it, or on another router, add Inject yourself. [IO] returns an
// [Emitter]: the broadcast operators of the main namespace, which reach the
// sockets of every server through the server's adapter (a Redis adapter
// makes that a cluster). [Emitter.User] reaches the sockets of the user who
// made the request, when the app's JWT middleware stored the request's
// claims in the context (under [Config].ClaimsKey) and [Config].Auth names
// the rooms (the auth package joins each authenticated socket to its
// user's room).
//
// # Authentication
//
// Sockets are best authenticated by the auth package
// (github.com/go-sio/sio/auth): srv.Use(a.Middleware()) reads the token from
// the CONNECT auth payload, which is the only place a browser can put it on
// a WebSocket connection, and from headers and the query.
//
// [AuthFromMiddleware] reuses instead an existing Gin JWT middleware: it
// runs it against the handshake's HTTP request. A Gin middleware sees only
// HTTP headers, the query and cookies, never the CONNECT auth payload; to
// keep browser clients working, AuthFromMiddleware turns an auth payload
// {"token": "..."} into an "Authorization: Bearer ..." header when the
// handshake has no Authorization header.
//
// # Paths
//
// Mount registers srv.Path()+"*any" relative to the router it is given.
// Mount on the engine, or on a group without a prefix; with a prefixed
// group, make the prefix part of [core.Config].Path and mount on the engine.
package ginsio
