package core

import (
	"errors"

	"github.com/go-sio/sio/core/internal/sio"
)

// Errors.
var (
	// ErrReservedEvent is returned when emitting a reserved event name.
	ErrReservedEvent = errors.New("core: reserved event name")
	// ErrAckTimeout is returned when an acknowledgement did not arrive in
	// time ("operation has timed out" in the Node.js server).
	ErrAckTimeout = errors.New("core: operation has timed out")
	// ErrDisconnected is returned for an acknowledgement still awaited when
	// the socket disconnected, and for emits on a closed socket.
	ErrDisconnected = errors.New("core: socket has been disconnected")
	// ErrServerClosed is returned after Shutdown.
	ErrServerClosed = errors.New("core: server closed")
)

// ConnectError refuses a connection from a middleware: the client gets a
// CONNECT_ERROR packet with Message and Data (the connect_error event's
// err.message and err.data). Any other error refuses with its text only.
type ConnectError struct {
	Message string
	Data    any
}

func (e *ConnectError) Error() string { return e.Message }

// Disconnect reasons, with the strings of the Node.js server.
const (
	ReasonTransportError            = "transport error"
	ReasonTransportClose            = "transport close"
	ReasonForcedClose               = "forced close"
	ReasonPingTimeout               = "ping timeout"
	ReasonParseError                = "parse error"
	ReasonServerShuttingDown        = "server shutting down"
	ReasonForcedServerClose         = "forced server close"
	ReasonClientNamespaceDisconnect = "client namespace disconnect"
	ReasonServerNamespaceDisconnect = "server namespace disconnect"
)

// IsReservedEvent reports whether an event name is reserved by the
// protocol and cannot be emitted.
func IsReservedEvent(name string) bool { return sio.IsReserved(name) }
