package auth_test

import (
	"log"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/go-sio/sio/auth"
	"github.com/go-sio/sio/core"
)

func Example() {
	srv, err := core.New(core.Config{})
	if err != nil {
		log.Fatal(err)
	}
	a, err := auth.New(auth.Config{
		SigningKey:  []byte("a secret of at least 32 bytes...."), // HS256/384/512 pinned
		Issuer:      "https://login.example.com",
		Audience:    "chat",
		Leeway:      5 * time.Second,
		ExpiryGrace: 10 * time.Second,
	})
	if err != nil {
		log.Fatal(err)
	}
	srv.Use(a.Middleware()) // a bad token: connect_error "unauthorized", data.code
	srv.OnConnection(func(s *core.Socket) {
		claims, err := auth.Claims[jwt.MapClaims](s)
		if err != nil {
			return
		}
		user, _ := claims.GetSubject()
		// Every connection of the user is in its room, on every server.
		_ = srv.To(core.Room("user:"+user)).Emit("presence", user, "online")
	})
	http.Handle(srv.Path(), srv)
}

// Claims of your own type: NewClaims returns a pointer to it.
func ExampleClaims() {
	type Claims struct {
		jwt.RegisteredClaims
		Role string `json:"role"`
	}
	srv, _ := core.New(core.Config{})
	a, err := auth.New(auth.Config{
		SigningKey: []byte("a secret of at least 32 bytes...."),
		NewClaims:  func() jwt.Claims { return new(Claims) },
	})
	if err != nil {
		log.Fatal(err)
	}
	srv.Use(a.Middleware())
	srv.OnConnection(func(s *core.Socket) {
		c, _ := auth.Claims[*Claims](s)
		if c.Role == "admin" {
			s.Join("admins")
		}
	})
}
