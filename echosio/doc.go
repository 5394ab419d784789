// Package echosio mounts a Socket.IO server ([core.Server]) on an Echo v4
// router and lets ordinary Echo handlers emit to sockets.
//
// Start with [Mount]:
//
//	srv, _ := core.New(core.Config{})
//	e := echo.New()
//	echosio.Mount(e, srv) // GET, POST and OPTIONS on /socket.io/*
//	e.POST("/api/ping", func(c echo.Context) error {
//		_ = echosio.IO(c).To("lobby").Emit("ping") // every server of the cluster
//		return c.NoContent(http.StatusNoContent)
//	})
//
// [Handler] is the bare [echo.HandlerFunc] for routes you register
// yourself. Both transports and the polling-to-WebSocket upgrade go through
// Echo unchanged: *echo.Response implements http.Hijacker, http.Flusher
// and Unwrap, and nothing is written before the upgrade hijacks the
// connection.
//
// # Emitting from routes
//
// [Mount] also adds the [Inject] middleware to the router, so [IO] works in
// every route: with an *echo.Echo, Use middleware runs for all routes;
// with an *echo.Group, for the routes added to the group after Mount. For
// other routes add Inject yourself. [IO] returns an [Emitter]: the
// broadcast operators of the main namespace, which reach the sockets of
// every server through the server's adapter (a Redis adapter makes that a
// cluster). [Emitter.User] reaches the sockets of the user who made the
// request: echo-jwt stores the request's token in the context (key "user"
// by default, [Config].ClaimsKey otherwise), and [Config].Auth names the
// rooms (the auth package joins each authenticated socket to its user's
// room).
//
// # Authentication
//
// Sockets are authenticated at the Socket.IO handshake by the auth package
// (github.com/go-sio/sio/auth). [AuthFromEchoJWT] builds its
// [auth.Authenticator] from the app's echo-jwt configuration, so that REST
// routes and sockets accept the same tokens. echo-jwt itself sees only an
// HTTP request (headers, query, cookies), never the CONNECT auth payload,
// which is the only place a browser can put a token on a WebSocket
// connection; the converted authenticator looks in the auth payload
// ("token") first, then where echo-jwt's TokenLookup looks.
//
// # Paths
//
// Mount registers srv.Path()+"*" relative to the router it is given. Mount
// on the *echo.Echo, or on a group without a prefix; with a prefixed
// group, make the prefix part of [core.Config].Path and mount on the Echo.
package echosio
