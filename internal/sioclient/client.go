// Package sioclient is a small Socket.IO v5 client over WebSocket, for the
// project's own tests and load tools: one namespace per connection, JSON
// arguments (no binary), acks both ways, automatic pongs.
package sioclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
)

// Event is an event received from the server.
type Event struct {
	Name string
	Args []json.RawMessage
	// AckID is the server's ack id, -1 when it asked for none.
	AckID int64
	// Attachments are the binary attachments of a binary event; Args
	// hold their placeholders.
	Attachments [][]byte
}

// Decode decodes the arguments into dst, in order.
func (e Event) Decode(dst ...any) error {
	for i, d := range dst {
		if i >= len(e.Args) {
			break
		}
		if err := json.Unmarshal(e.Args[i], d); err != nil {
			return err
		}
	}
	return nil
}

// ConnectError is the server's CONNECT_ERROR.
type ConnectError struct {
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

func (e *ConnectError) Error() string { return "sioclient: connect error: " + e.Message }

// Client is one connection to one namespace. It is safe for concurrent use.
type Client struct {
	ws  *websocket.Conn
	nsp string
	// ID is the socket id the server gave.
	ID string

	wmu    sync.Mutex
	mu     sync.Mutex
	nextID int64
	acks   map[int64]chan []json.RawMessage
	events chan Event
	done   chan struct{}
	err    error
	// AutoAck, when set, answers the server's ack requests.
	autoAck func(Event) []any
}

// Options configure Dial.
type Options struct {
	// Namespace, "/" by default.
	Namespace string
	// Auth is the CONNECT payload.
	Auth any
	// Header is sent with the WebSocket handshake.
	Header http.Header
	// Query adds parameters to the handshake URL.
	Query url.Values
	// Path is the server's path; "/socket.io/" by default.
	Path string
	// AutoAck answers the server's ack requests with its result.
	AutoAck func(Event) []any
	// Buffer is the capacity of the event channel; 1024 by default.
	Buffer int
}

// Dial connects to a server at base (http://host:port, path /socket.io/).
func Dial(ctx context.Context, base string, o Options) (*Client, error) {
	if o.Namespace == "" {
		o.Namespace = "/"
	}
	if o.Buffer <= 0 {
		o.Buffer = 1024
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	if o.Path != "" {
		u.Path = o.Path
	} else if u.Path == "" || u.Path == "/" {
		u.Path = "/socket.io/"
	}
	q := url.Values{}
	for k, v := range o.Query {
		q[k] = v
	}
	q.Set("EIO", "4")
	q.Set("transport", "websocket")
	u.RawQuery = q.Encode()
	ws, _, err := websocket.DefaultDialer.DialContext(ctx, u.String(), o.Header)
	if err != nil {
		return nil, err
	}
	c := &Client{ws: ws, nsp: o.Namespace, acks: map[int64]chan []json.RawMessage{},
		events: make(chan Event, o.Buffer), done: make(chan struct{}), autoAck: o.AutoAck}
	if dl, ok := ctx.Deadline(); ok {
		_ = ws.SetReadDeadline(dl)
	}
	// open packet
	_, msg, err := ws.ReadMessage()
	if err != nil || len(msg) == 0 || msg[0] != '0' {
		ws.Close()
		return nil, fmt.Errorf("sioclient: no open packet: %v", err)
	}
	connect := "40"
	if c.nsp != "/" {
		connect += c.nsp + ","
	}
	if o.Auth != nil {
		b, err := json.Marshal(o.Auth)
		if err != nil {
			ws.Close()
			return nil, err
		}
		connect += string(b)
	}
	if err := c.write(connect); err != nil {
		ws.Close()
		return nil, err
	}
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			ws.Close()
			return nil, err
		}
		s := string(msg)
		if s == "2" {
			_ = c.write("3")
			continue
		}
		typ, nsp, _, payload := parse(s)
		if nsp != c.nsp {
			continue
		}
		switch typ {
		case '0':
			var ans struct {
				SID string `json:"sid"`
			}
			if err := json.Unmarshal([]byte(payload), &ans); err != nil {
				ws.Close()
				return nil, err
			}
			c.ID = ans.SID
			_ = ws.SetReadDeadline(time.Time{})
			go c.readLoop()
			return c, nil
		case '4':
			ce := &ConnectError{}
			_ = json.Unmarshal([]byte(payload), ce)
			ws.Close()
			return nil, ce
		}
	}
}

// parse splits "4<type>[nsp,][id]payload".
func parse(s string) (typ byte, nsp string, id int64, payload string) {
	id = -1
	nsp = "/"
	if len(s) < 2 || s[0] != '4' {
		return 0, nsp, id, ""
	}
	typ = s[1]
	rest := s[2:]
	if strings.HasPrefix(rest, "/") {
		i := strings.IndexByte(rest, ',')
		if i < 0 {
			return typ, rest, id, ""
		}
		nsp, rest = rest[:i], rest[i+1:]
	}
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	if j > 0 {
		id, _ = strconv.ParseInt(rest[:j], 10, 64)
	}
	return typ, nsp, id, rest[j:]
}

func (c *Client) write(s string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ws.WriteMessage(websocket.TextMessage, []byte(s))
}

func (c *Client) prefix(typ byte) string {
	p := "4" + string(typ)
	if c.nsp != "/" {
		p += c.nsp + ","
	}
	return p
}

func encode(event string, args []any) (string, error) {
	all := append([]any{event}, args...)
	b, err := json.Marshal(all)
	return string(b), err
}

// Emit sends an event.
func (c *Client) Emit(event string, args ...any) error {
	data, err := encode(event, args)
	if err != nil {
		return err
	}
	return c.write(c.prefix('2') + data)
}

// EmitWithAck sends an event and waits for the server's ack.
func (c *Client) EmitWithAck(ctx context.Context, event string, args ...any) ([]json.RawMessage, error) {
	data, err := encode(event, args)
	if err != nil {
		return nil, err
	}
	ch := make(chan []json.RawMessage, 1)
	c.mu.Lock()
	id := c.nextID
	c.nextID++
	c.acks[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.acks, id)
		c.mu.Unlock()
	}()
	if err := c.write(c.prefix('2') + strconv.FormatInt(id, 10) + data); err != nil {
		return nil, err
	}
	select {
	case a := <-ch:
		return a, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.done:
		return nil, c.Err()
	}
}

// Ack answers a server's ack request.
func (c *Client) Ack(id int64, args ...any) error {
	b, err := json.Marshal(append([]any{}, args...))
	if err != nil {
		return err
	}
	return c.write(c.prefix('3') + strconv.FormatInt(id, 10) + string(b))
}

// Events delivers the server's events; it is closed when the connection
// ends. Events are dropped when nobody reads and the buffer is full.
func (c *Client) Events() <-chan Event { return c.events }

// Next waits for the next event.
func (c *Client) Next(ctx context.Context) (Event, error) {
	select {
	case e, ok := <-c.events:
		if !ok {
			return Event{}, c.Err()
		}
		return e, nil
	case <-ctx.Done():
		return Event{}, ctx.Err()
	}
}

// Done is closed when the connection ends.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is why the connection ended.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		return errors.New("sioclient: closed")
	}
	return c.err
}

// Disconnected reports the DISCONNECT packet as this error.
var ErrServerDisconnect = errors.New("sioclient: io server disconnect")

func (c *Client) readLoop() {
	defer close(c.events)
	var pending *Event
	want := 0
	for {
		mt, msg, err := c.ws.ReadMessage()
		if err != nil {
			c.end(err)
			return
		}
		if mt == websocket.BinaryMessage {
			if pending == nil {
				continue
			}
			pending.Attachments = append(pending.Attachments, msg)
			if len(pending.Attachments) == want {
				c.deliver(*pending)
				pending = nil
			}
			continue
		}
		s := string(msg)
		if strings.HasPrefix(s, "45") {
			// BINARY_EVENT: "45<n>-[nsp,][id][...]"
			dash := strings.IndexByte(s, '-')
			if dash < 0 {
				continue
			}
			n, err := strconv.Atoi(s[2:dash])
			if err != nil || n <= 0 {
				continue
			}
			_, nsp, id, payload := parse("42" + s[dash+1:])
			if nsp != c.nsp {
				continue
			}
			var raw []json.RawMessage
			if json.Unmarshal([]byte(payload), &raw) != nil || len(raw) == 0 {
				continue
			}
			var name string
			_ = json.Unmarshal(raw[0], &name)
			pending, want = &Event{Name: name, Args: raw[1:], AckID: id}, n
			continue
		}
		if s == "2" {
			_ = c.write("3")
			continue
		}
		typ, nsp, id, payload := parse(s)
		if nsp != c.nsp {
			continue
		}
		switch typ {
		case '1':
			c.end(ErrServerDisconnect)
			c.ws.Close()
			return
		case '2':
			var raw []json.RawMessage
			if json.Unmarshal([]byte(payload), &raw) != nil || len(raw) == 0 {
				continue
			}
			var name string
			_ = json.Unmarshal(raw[0], &name)
			c.deliver(Event{Name: name, Args: raw[1:], AckID: id})
		case '3':
			var raw []json.RawMessage
			_ = json.Unmarshal([]byte(payload), &raw)
			c.mu.Lock()
			ch := c.acks[id]
			c.mu.Unlock()
			if ch != nil {
				select {
				case ch <- raw:
				default:
				}
			}
		}
	}
}

func (c *Client) deliver(ev Event) {
	if ev.AckID >= 0 && c.autoAck != nil {
		_ = c.Ack(ev.AckID, c.autoAck(ev)...)
	}
	select {
	case c.events <- ev:
	default:
	}
}

func (c *Client) end(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
	select {
	case <-c.done:
	default:
		close(c.done)
	}
}

// Close closes the connection.
func (c *Client) Close() error {
	err := c.ws.Close()
	<-c.done
	return err
}
