package engineio

import (
	"crypto/sha1"
	"encoding/base64"
	"net"
	"net/http"
	"time"
)

// acceptWebSocket takes over the connection of a WebSocket opening
// handshake (RFC 6455 §4.2) on net/http and returns the 101 answer for the
// caller to write (with the first frames: one syscall). header holds extra
// answer headers (CORS). On a refusal it has written the HTTP answer.
func acceptWebSocket(w http.ResponseWriter, r *http.Request, header [][2]string) (net.Conn, []byte, bool) {
	refuse := func(status int) (net.Conn, []byte, bool) {
		w.Header().Set("Sec-Websocket-Version", "13")
		http.Error(w, http.StatusText(status), status)
		return nil, nil, false
	}
	if r.Method != http.MethodGet {
		return refuse(http.StatusMethodNotAllowed)
	}
	if !headerHasToken(r.Header, "Sec-Websocket-Version", "13") {
		return refuse(http.StatusBadRequest)
	}
	key := r.Header.Get("Sec-Websocket-Key")
	if k, err := base64.StdEncoding.DecodeString(key); err != nil || len(k) != 16 {
		return refuse(http.StatusBadRequest)
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return refuse(http.StatusInternalServerError)
	}
	if brw.Reader.Buffered() > 0 {
		// The client may not send frames before it has the answer.
		_ = conn.Close()
		return nil, nil, false
	}
	// Drop the deadlines the HTTP server may have set for the request.
	_ = conn.SetDeadline(time.Time{})
	b := make([]byte, 0, 256)
	b = append(b, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	b = appendAcceptKey(b, key)
	b = append(b, "\r\n"...)
	for _, h := range header {
		b = append(b, h[0]...)
		b = append(b, ": "...)
		b = append(b, h[1]...)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	return conn, b, true
}

// appendAcceptKey appends Sec-WebSocket-Accept for the client's key.
func appendAcceptKey(dst []byte, key string) []byte {
	h := sha1.New()
	h.Write([]byte(key))
	h.Write([]byte("258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	var sum [sha1.Size]byte
	return base64.StdEncoding.AppendEncode(dst, h.Sum(sum[:0]))
}
