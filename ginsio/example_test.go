package ginsio_test

import (
	"log"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"

	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/ginsio"
)

func ExampleMount() {
	srv, err := core.New(core.Config{})
	if err != nil {
		log.Fatal(err)
	}
	srv.OnConnection(func(s *core.Socket) {
		s.On("join", func(room core.Room, ack core.Ack) {
			s.Join(room)
			ack(true)
		})
	})

	r := gin.New()
	ginsio.Mount(r, srv) // GET, POST, OPTIONS /socket.io/*any
	r.POST("/api/rooms/:room/ping", func(c *gin.Context) {
		// Reaches the sockets of every server of the cluster.
		_ = ginsio.IO(c).To(core.Room(c.Param("room"))).Emit("ping")
		c.Status(http.StatusNoContent)
	})
	_ = r.Run(":3000")
}

func ExampleAuthFromMiddleware() {
	// The app's existing JWT middleware stores the claims under "claims"
	// (here a stand-in: any Authorization header is alice).
	requireJWT := func(c *gin.Context) {
		if c.GetHeader("Authorization") == "" {
			c.AbortWithStatus(http.StatusUnauthorized)
			return
		}
		c.Set("claims", jwt.MapClaims{"sub": "alice"})
		c.Next()
	}

	srv, _ := core.New(core.Config{})
	// Sockets pass the same middleware at the handshake: a header, or the
	// auth payload {token} turned into "Authorization: Bearer <token>".
	srv.Use(ginsio.AuthFromMiddleware(requireJWT, "claims"))
	srv.OnConnection(func(s *core.Socket) {
		data, _ := s.Data().(map[string]any)
		claims, _ := data["claims"].(jwt.MapClaims)
		sub, _ := claims.GetSubject()
		s.Join(core.Room("user:" + sub))
	})

	r := gin.New()
	ginsio.Mount(r, srv)
	_ = r.Run(":3000")
}
