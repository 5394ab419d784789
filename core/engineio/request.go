package engineio

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Request describes an HTTP request to the engine, whichever server
// (net/http or fasthttp) received it. The first request of a session is
// kept as its handshake request.
type Request struct {
	Method string
	// URL is the request URI as received (path and query).
	URL string
	// Host is the Host header.
	Host   string
	Query  url.Values
	Header http.Header
	// RemoteAddr is the peer's address, host and port.
	RemoteAddr string
	// Secure reports whether the request came over TLS.
	Secure bool
}

// RemoteIP is the peer's IP address without the port.
func (r *Request) RemoteIP() string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func newRequest(r *http.Request) *Request {
	return &Request{
		Method:     r.Method,
		URL:        r.RequestURI,
		Host:       r.Host,
		Query:      r.URL.Query(),
		Header:     r.Header,
		RemoteAddr: r.RemoteAddr,
		Secure:     r.TLS != nil,
	}
}

func isUpgradeRequest(h http.Header) bool {
	return headerHasToken(h, "Connection", "upgrade") && headerHasToken(h, "Upgrade", "websocket")
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, part := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}

// Error codes of the engine's JSON error answers.
const (
	codeUnknownTransport    = 0
	codeUnknownSID          = 1
	codeBadHandshakeMethod  = 2
	codeBadRequest          = 3
	codeForbidden           = 4
	codeUnsupportedProtocol = 5
)

var errorMessages = [...]string{
	"Transport unknown",
	"Session ID unknown",
	"Bad handshake method",
	"Bad request",
	"Forbidden",
	"Unsupported protocol version",
}

// response is what the engine answers to a plain HTTP request; both HTTP
// entry points write it their own way.
type response struct {
	status int
	header [][2]string
	body   []byte
	// compressible marks a polling body that may be gzipped.
	compressible bool
	// message is the text of an error answer, for the plain-text form a
	// refused WebSocket upgrade gets.
	message string
}

func (r *response) set(k, v string) { r.header = append(r.header, [2]string{k, v}) }

func errorResponse(code int, message string) *response {
	if message == "" {
		message = errorMessages[code]
	}
	status := http.StatusBadRequest
	if code == codeForbidden {
		status = http.StatusForbidden
	}
	b := []byte(`{"code":`)
	b = append(b, byte('0'+code))
	b = append(b, `,"message":`...)
	b = appendJSONString(b, message)
	b = append(b, '}')
	res := &response{status: status, body: b, message: message}
	res.set("Content-Type", "application/json")
	return res
}

func emptyResponse(status int) *response {
	return &response{status: status}
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string the way JSON.stringify does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
