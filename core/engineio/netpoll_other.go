//go:build !linux

package engineio

import (
	"net"
	"syscall"
)

// Elsewhere than Linux every WebSocket has its reader goroutine.

type pollState struct{}

func pollable(net.Conn) (syscall.RawConn, bool)     { return nil, false }
func (s *Server) pollRegister(*wsConn, func()) bool { return false }
func (s *Server) pollArm(*wsConn) bool              { return false }
func (s *Server) pollRemove(*wsConn)                {}
func (s *Server) pollWoken(*wsConn) bool            { return false }
func (s *Server) pollSeen(*wsConn)                  {}

type poller struct{}

// Never called: raw connections are only set on Linux.
func rawRead(syscall.RawConn, []byte) (int, error) { return 0, errWouldBlock }
func fdWrite(int, []byte) (int, error)             { return 0, errWouldBlock }
