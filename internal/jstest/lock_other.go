//go:build !unix

package jstest

import "sync"

var fallbackMu sync.Mutex

// lockFile only serializes within this process: flock is not available, so
// concurrent test binaries may race on `npm ci`.
func lockFile(string) (unlock func(), err error) {
	fallbackMu.Lock()
	return fallbackMu.Unlock, nil
}
