package core

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// jsDateLayout is how JavaScript's Date.prototype.toString writes a date,
// in UTC.
const jsDateLayout = "Mon Jan 02 2006 15:04:05 GMT-0700"

type handshakeJSON struct {
	Headers map[string]string `json:"headers"`
	Time    string            `json:"time"`
	Address string            `json:"address"`
	XDomain bool              `json:"xdomain"`
	Secure  bool              `json:"secure"`
	Issued  int64             `json:"issued"`
	URL     string            `json:"url"`
	Query   map[string]any    `json:"query"`
	Auth    json.RawMessage   `json:"auth"`
}

// MarshalJSON writes the handshake as the Node.js server serialises
// socket.handshake (lower-case header names, JavaScript date string,
// issued in milliseconds), so that Node servers of a cluster read it.
func (h *Handshake) MarshalJSON() ([]byte, error) {
	j := handshakeJSON{
		Headers: make(map[string]string, len(h.Headers)),
		Time:    h.Time.UTC().Format(jsDateLayout) + " (Coordinated Universal Time)",
		Address: h.Address,
		XDomain: h.XDomain,
		Secure:  h.Secure,
		Issued:  h.Time.UnixMilli(),
		URL:     h.URL,
		Query:   make(map[string]any, len(h.Query)),
		Auth:    h.AuthRaw,
	}
	for k, v := range h.Headers {
		j.Headers[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	for k, v := range h.Query {
		if len(v) == 1 {
			j.Query[k] = v[0]
		} else {
			j.Query[k] = v
		}
	}
	if len(j.Auth) == 0 {
		j.Auth = json.RawMessage("{}")
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads a handshake written by [Handshake.MarshalJSON] or by
// a Node.js server.
func (h *Handshake) UnmarshalJSON(b []byte) error {
	var j handshakeJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	h.Headers = make(http.Header, len(j.Headers))
	for k, v := range j.Headers {
		h.Headers.Set(k, v)
	}
	h.Time = time.UnixMilli(j.Issued)
	h.Address = j.Address
	h.XDomain = j.XDomain
	h.Secure = j.Secure
	h.URL = j.URL
	h.Query = make(url.Values, len(j.Query))
	for k, v := range j.Query {
		switch t := v.(type) {
		case string:
			h.Query.Set(k, t)
		case []any:
			for _, e := range t {
				if s, ok := e.(string); ok {
					h.Query.Add(k, s)
				}
			}
		}
	}
	h.AuthRaw = j.Auth
	if len(h.AuthRaw) == 0 || string(h.AuthRaw) == "null" {
		h.AuthRaw = json.RawMessage("{}")
	}
	h.Auth = nil
	_ = json.Unmarshal(h.AuthRaw, &h.Auth)
	if h.Auth == nil {
		h.Auth = map[string]any{}
	}
	return nil
}
