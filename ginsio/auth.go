package ginsio

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/go-sio/sio/core"
)

// AuthFromMiddleware turns an existing Gin JWT middleware into a
// Socket.IO middleware (srv.Use(ginsio.AuthFromMiddleware(mw, "claims"))).
//
// For each connection to a namespace it runs mw on a gin.Context that
// holds a copy of the handshake's HTTP request (method GET, its URL,
// headers, cookies and client address) and records the response. If mw
// aborts the context or answers with a status of 400 or more, the client
// gets a CONNECT_ERROR with message "unauthorized" and data
// {"code": "token_invalid"}; nothing mw wrote reaches the client. Else the
// value mw stored under claimsKey, if any, becomes the socket's
// data["claims"] (the data becomes a map[string]any, keeping the entries
// of an existing map).
//
// mw sees what an HTTP request carries, not the CONNECT auth payload; when
// the handshake has no Authorization header and the auth payload has a
// string "token", the request gets "Authorization: Bearer <token>", so that
// browser clients, which cannot set headers on a WebSocket, can
// authenticate with io(url, {auth: {token}}).
//
// Unlike the auth package, this middleware joins no user room; join one in
// a connection handler if [Emitter.User] should reach these sockets.
func AuthFromMiddleware(mw gin.HandlerFunc, claimsKey string) core.Middleware {
	engine := gin.New()
	return func(s *core.Socket) error {
		req, err := handshakeRequest(s.Handshake())
		if err != nil {
			return unauthorized()
		}
		rec := httptest.NewRecorder()
		c := gin.CreateTestContextOnly(rec, engine)
		c.Request = req
		mw(c)
		if c.IsAborted() || c.Writer.Status() >= http.StatusBadRequest {
			return unauthorized()
		}
		if claimsKey == "" {
			return nil
		}
		v, ok := c.Get(claimsKey)
		if !ok {
			return nil
		}
		data := map[string]any{}
		if old, ok := s.Data().(map[string]any); ok {
			for k, x := range old {
				data[k] = x
			}
		}
		data["claims"] = v
		s.SetData(data)
		return nil
	}
}

func unauthorized() error {
	return &core.ConnectError{Message: "unauthorized", Data: map[string]any{"code": "token_invalid"}}
}

// handshakeRequest rebuilds the first HTTP request of a connection.
func handshakeRequest(h *core.Handshake) (*http.Request, error) {
	u, err := url.ParseRequestURI(h.URL)
	if err != nil {
		return nil, err
	}
	header := h.Headers.Clone()
	if header == nil {
		header = http.Header{}
	}
	if header.Get("Authorization") == "" {
		if tok, ok := h.Auth["token"].(string); ok && tok != "" {
			header.Set("Authorization", "Bearer "+tok)
		}
	}
	host := header.Get("Host")
	header.Del("Host")
	req := &http.Request{
		Method:     http.MethodGet,
		URL:        u,
		RequestURI: h.URL,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     header,
		Host:       host,
		RemoteAddr: net.JoinHostPort(h.Address, "0"),
		Body:       http.NoBody,
	}
	return req, nil
}
