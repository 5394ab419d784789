// Package auth authenticates Socket.IO connections with JSON Web Tokens
// (github.com/golang-jwt/jwt/v5), at the handshake: the only moment the
// client's auth payload exists. Start with [New] and
// [Authenticator.Middleware]:
//
//	a, err := auth.New(auth.Config{SigningKey: []byte(secret)})
//	...
//	srv.Use(a.Middleware())
//	srv.OnConnection(func(s *core.Socket) {
//		claims, _ := auth.Claims[jwt.MapClaims](s)
//		...
//	})
//
// # Where the token comes from
//
// Config.Lookup lists the places, in order; the first that holds a token
// decides. The default is the CONNECT payload's token field (what a
// browser sends with io({auth: {token}})), then an Authorization: Bearer
// header, then the token query parameter. [FromCookie] reads a cookie.
//
// # Validation
//
// The algorithms are always pinned (jwt.WithValidMethods):
// Config.ValidMethods, or those that fit Config.SigningKey. "none" is
// never accepted. Issuer, Audience and Leeway are checked when set;
// Config.ParserOptions adds any other golang-jwt option
// (jwt.WithExpirationRequired, for one).
//
// # Refusals
//
// A socket whose token is bad or missing gets a CONNECT_ERROR whose
// message is "unauthorized" and whose data is {"code": CODE}; on the
// client, err.message and err.data.code of the connect_error event. Only
// that socket is refused. Config.OnError may replace the refusal.
//
//	code                  Go error (errors.Is)     cause
//	token_missing         ErrTokenMissing          no source held a token
//	token_invalid         ErrTokenInvalid          malformed; bad signature;
//	                                               the key function failed;
//	                                               wrong iss or aud; a
//	                                               required claim missing
//	token_expired         ErrTokenExpired          exp + Leeway has passed
//	token_not_yet_valid   ErrTokenNotValidYet      nbf - Leeway is ahead
//	method_not_allowed    ErrMethodNotAllowed      alg not pinned (or "none")
//
// A token both expired and invalid in another way is token_invalid. The
// client should fetch a new token on token_expired, and ask its user to
// sign in again on the others. [Code] maps an error to its code.
//
// # The authenticated socket
//
// The middleware stores the claims (the type Config.NewClaims returns,
// jwt.MapClaims by default) in the socket's data, under "claims": when
// the data is nil it becomes map[string]any{"claims": claims}; when it is
// a map[string]any the claims are added (to a copy: the map is never
// written in place). Any other data is left alone and the claims are kept
// beside the socket instead: then they do not travel with FetchSockets.
// [Claims] reads them back, typed, from a *core.Socket or from a
// *core.RemoteSocket of FetchSockets (decoded from JSON when the socket
// lives on another server). [Token] returns the raw token in force.
//
// A socket whose claims have a subject (sub) joins the room
// RoomPrefix+sub ("user:" + sub by default): srv.To(room) reaches every
// connection of that user, on every server. [Authenticator.Room] names it.
//
// # Expiry and refresh
//
// A socket whose token has an exp is disconnected at exp + Leeway +
// ExpiryGrace: the server emits "auth:expired" with {"code":
// "token_expired", "exp": <unix seconds>}, then disconnects the socket
// (the client sees "io server disconnect" and, as for any server
// disconnect, does not reconnect by itself). A negative ExpiryGrace turns
// this off.
//
// To stay connected the client hands in a new token before then, in band,
// with the refresh event ("auth:refresh", Config.RefreshEvent) and an
// acknowledgement:
//
//	socket.emit("auth:refresh", newToken, (res) => ...)          // a string
//	socket.emit("auth:refresh", {token: newToken}, (res) => ...) // or {token}
//
// The new token is validated with the same rules, and must have the same
// subject as the current claims (the same absence of one, if they had
// none). On success the server replaces the claims (in the data too) and
// the token, re-arms the expiry timer for the new exp, and answers
//
//	{"ok": true, "exp": <unix seconds, or null when the token has no exp>}
//
// On failure it answers {"ok": false, "code": CODE}, with a code of the
// table above or "subject_mismatch", and keeps the old claims: the old
// expiry still applies. A refresh after the expiry fired is refused
// (token_expired). Keep the client's auth option current as well (a
// function in the JS client), so that a reconnection sends the new token.
//
// # Limits
//
// Use one Authenticator per socket (not two in a middleware chain). With
// connection state recovery, set RecoveryConfig.RunMiddlewares: a socket
// restored without middlewares keeps its claims in its data but has no
// expiry timer and no refresh handler. The room is joined when the socket
// connects, after the connection handlers registered before the first
// connection of its namespace have run.
package auth
