package ginsio_test

import (
	"testing"
	"time"

	"github.com/go-sio/sio/auth"
	"github.com/go-sio/sio/ginsio"
	"github.com/go-sio/sio/internal/frameworktest"
)

// TestExpiryAndRefresh: through the Gin router, a socket whose token
// expires gets auth:expired and is disconnected by the server; a socket
// that hands in a later token with auth:refresh before then survives the
// first exp (an ack round trip after it) and is disconnected at the new
// one.
func TestExpiryAndRefresh(t *testing.T) {
	frameworktest.ExpiryAndRefresh(t, func(t *testing.T, now func() time.Time) string {
		t.Helper()
		a, err := auth.New(auth.Config{SigningKey: frameworktest.Secret, ValidMethods: []string{"HS256"}, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return frameworktest.ServeAuth(t, mountWith(ginsio.Config{Auth: a}, nil), a)
	})
}
