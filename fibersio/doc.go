// Package fibersio mounts a Socket.IO server ([core.Server]) on a Fiber v2
// app and lets ordinary Fiber handlers emit to sockets.
//
// Start with [Mount]:
//
//	srv, _ := core.New(core.Config{})
//	app := fiber.New()
//	fibersio.Mount(app, srv) // GET, POST and OPTIONS on /socket.io/*
//	app.Post("/api/ping", func(c *fiber.Ctx) error {
//		_ = fibersio.IO(c).To("lobby").Emit("ping") // every server of the cluster
//		return c.SendStatus(fiber.StatusNoContent)
//	})
//
// Fiber runs on fasthttp, so [Handler] serves the request natively with
// [core.Server.ServeFastHTTP], WebSocket included (through the fasthttp
// upgrader, which hijacks the fasthttp connection). It does not go through
// Fiber's net/http adaptor, whose ResponseWriter cannot be hijacked.
//
// fasthttp reuses the buffers of a request once its handler returns, and
// the strings of a fiber.Ctx (c.Params, c.Query, c.Get...) point into them
// unless fiber.Config.Immutable is set. Copy those that an emit keeps,
// room names included, with utils.CopyString: the adapter may hold them
// after the handler returns.
//
// Call srv.Shutdown when the app shuts down: app.Shutdown does not close
// hijacked WebSocket connections, and a parked long-polling request holds
// its connection until the server answers it.
//
// # Emitting from routes
//
// [Mount] also adds the [Inject] middleware to the router, so [IO] works in
// every route registered after Mount; for routes registered before it, or
// on another router, add Inject yourself. [IO] returns an [Emitter]: the
// broadcast operators of the main namespace, which reach the sockets of
// every server through the server's adapter (a Redis adapter makes that a
// cluster). [Emitter.User] reaches the sockets of the user who made the
// request: gofiber/contrib/jwt stores the request's token in c.Locals
// ("user" by default, [Config].ClaimsKey otherwise), and [Config].Auth
// names the rooms (the auth package joins each authenticated socket to its
// user's room).
//
// # Authentication
//
// Sockets are authenticated at the Socket.IO handshake by the auth package
// (github.com/go-sio/sio/auth). [AuthFromFiberJWT] builds its
// [auth.Authenticator] from the app's gofiber/contrib/jwt configuration, so
// that REST routes and sockets accept the same tokens. The Fiber JWT
// middleware itself sees only an HTTP request (headers, query, cookies),
// never the CONNECT auth payload, which is the only place a browser can
// put a token on a WebSocket connection; the converted authenticator looks
// in the auth payload ("token") first, then where TokenLookup looks.
//
// # Paths
//
// Mount registers srv.Path()+"*" relative to the router it is given. Mount
// on the app, or on a group without a prefix; with a prefixed group, make
// the prefix part of [core.Config].Path and mount on the app.
package fibersio
