package fibersio_test

import (
	"testing"
	"time"

	jwtware "github.com/gofiber/contrib/jwt"
	"github.com/golang-jwt/jwt/v5"

	"github.com/go-sio/sio/auth"
	"github.com/go-sio/sio/fibersio"
	"github.com/go-sio/sio/internal/frameworktest"
)

// TestExpiryAndRefresh: through the Fiber app, with the authenticator of
// fibersio.AuthFromFiberJWT, a socket whose token expires gets
// auth:expired and is disconnected by the server; a socket that hands in a
// later token with auth:refresh before then survives the first exp (an ack
// round trip after it) and is disconnected at the new one.
func TestExpiryAndRefresh(t *testing.T) {
	frameworktest.ExpiryAndRefresh(t, func(t *testing.T, now func() time.Time) string {
		t.Helper()
		// The authenticator converted from the app's contrib/jwt config,
		// on the test's clock.
		a, err := fibersio.AuthFromFiberJWT(jwtware.Config{
			SigningKey: jwtware.SigningKey{JWTAlg: jwtware.HS256, Key: frameworktest.Secret},
			Claims:     &jwt.RegisteredClaims{},
		}, auth.Config{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return frameworktest.ServeAuth(t, mount, a)
	})
}
