package echosio_test

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	echojwt "github.com/labstack/echo-jwt/v4"
	"github.com/labstack/echo/v4"

	"github.com/go-sio/sio/auth"
	"github.com/go-sio/sio/echosio"
	"github.com/go-sio/sio/internal/frameworktest"
)

// TestExpiryAndRefresh: through the Echo router, with the authenticator
// of echosio.AuthFromEchoJWT, a socket whose token expires gets
// auth:expired and is disconnected by the server; a socket that hands in a
// later token with auth:refresh before then survives the first exp (an ack
// round trip after it) and is disconnected at the new one.
func TestExpiryAndRefresh(t *testing.T) {
	frameworktest.ExpiryAndRefresh(t, func(t *testing.T, now func() time.Time) string {
		t.Helper()
		// The authenticator converted from the app's echo-jwt config, on
		// the test's clock.
		a, err := echosio.AuthFromEchoJWT(echojwt.Config{
			SigningKey:    frameworktest.Secret,
			NewClaimsFunc: func(echo.Context) jwt.Claims { return &jwt.RegisteredClaims{} },
		}, auth.Config{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return frameworktest.ServeAuth(t, mount, a)
	})
}
