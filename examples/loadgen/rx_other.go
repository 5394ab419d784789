//go:build !linux

package main

import "errors"

// startReading starts the connection's reader goroutine.
func (c *client) startReading() error {
	go c.readLoop()
	return nil
}

var errNoRaw = errors.New("raw descriptors are read on Linux only")

func (c *client) writeRaw([]byte) error { return errNoRaw }
func (c *client) shutdownRaw()          {}
func (c *client) closeRaw()             {}
