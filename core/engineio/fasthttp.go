package engineio

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"
)

// ServeFastHTTP serves Engine.IO on fasthttp natively: polling through the
// request context and WebSocket through the fasthttp upgrader (a net/http
// adaptor cannot hijack the connection).
//
// fasthttp does not tell a handler that its client left, so a parked poll
// whose client vanished ends with the next heartbeat instead of at once.
func (s *Server) ServeFastHTTP(ctx *fasthttp.RequestCtx) {
	req := newFastRequest(ctx)
	var pre response
	if c := s.cfg.CORS; c != nil && c.apply(req, &pre) {
		writeFastResponse(ctx, &pre)
		return
	}
	for _, h := range pre.header {
		ctx.Response.Header.Add(h[0], h[1])
	}
	isUpgrade := websocket.FastHTTPIsWebSocketUpgrade(ctx)
	rt := s.route(req, isUpgrade)
	if rt.res != nil {
		if isUpgrade {
			rt.res = upgradeRefusal(rt.res)
		}
		writeFastResponse(ctx, rt.res)
		return
	}
	if rt.upgrade {
		sess := rt.sess
		began := sess != nil && sess.beginUpgrade()
		endUpgrade := func() {
			if began {
				sess.endUpgrade()
			}
		}
		err := s.fasthttp.Upgrade(ctx, func(c *websocket.Conn) {
			if !s.track() {
				endUpgrade()
				_ = c.NetConn().Close()
				return
			}
			defer s.wg.Done()
			if sess == nil {
				s.serveNewWebSocket(c.NetConn(), nil, req, rt.protocol, false)
			} else {
				s.serveUpgrade(c.NetConn(), sess, began, false)
			}
		})
		if err != nil {
			endUpgrade() // refused and answered
		}
		return
	}
	if rt.sess == nil {
		writeFastResponse(ctx, s.handshakePolling(req, rt.protocol))
		return
	}
	switch string(ctx.Method()) {
	case http.MethodGet:
		if res := rt.sess.handleGet(nil); res != nil {
			compressResponse(res, string(ctx.Request.Header.Peek("Accept-Encoding")))
			writeFastResponse(ctx, res)
		}
	case http.MethodPost:
		body := ctx.PostBody()
		tooLarge := len(body) > s.cfg.MaxPayload
		if !tooLarge {
			body = append([]byte(nil), body...)
		}
		if !rt.sess.beginPost() {
			writeFastResponse(ctx, emptyResponse(400))
			return
		}
		res := rt.sess.handlePost(string(ctx.Request.Header.ContentType()), body, tooLarge)
		rt.sess.endPost()
		writeFastResponse(ctx, res)
	default:
		writeFastResponse(ctx, emptyResponse(500))
	}
}

// newFastRequest copies what the engine keeps out of fasthttp's reused buffers.
func newFastRequest(ctx *fasthttp.RequestCtx) *Request {
	q := url.Values{}
	for k, v := range ctx.QueryArgs().All() {
		q.Add(string(k), string(v))
	}
	h := http.Header{}
	for k, v := range ctx.Request.Header.All() {
		h.Add(string(k), string(v))
	}
	return &Request{
		Method:     string(ctx.Method()),
		URL:        string(ctx.RequestURI()),
		Host:       string(ctx.Host()),
		Query:      q,
		Header:     h,
		RemoteAddr: ctx.RemoteAddr().String(),
		Secure:     ctx.IsTLS(),
	}
}

func writeFastResponse(ctx *fasthttp.RequestCtx, res *response) {
	for _, kv := range res.header {
		ctx.Response.Header.Set(kv[0], kv[1])
	}
	if res.header != nil && res.status != 204 {
		ctx.Response.Header.Set("Content-Length", strconv.Itoa(len(res.body)))
	}
	ctx.SetStatusCode(res.status)
	ctx.SetBody(res.body)
}
