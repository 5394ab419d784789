// Command chat is a Gin app with real-time chat: a web page to log in, join
// rooms and chat, and a REST API that posts into a room.
//
//	go run ./examples/chat                          # one server, in memory
//	REDIS_URL=redis://localhost:6379/0 JWT_SECRET=s3cr3t PORT=3001 go run ./examples/chat
//	REDIS_URL=redis://localhost:6379/0 JWT_SECRET=s3cr3t PORT=3002 go run ./examples/chat
//
// Open http://localhost:3000. With REDIS_URL the servers form a cluster:
// a message posted to any of them reaches the sockets of all. Give them
// the same JWT_SECRET (random when unset) so that they accept each other's
// tokens. The page loads the official client from the Socket.IO CDN;
// SOCKETIO_CLIENT_URL points it elsewhere (to a copy of socket.io-client's
// dist/socket.io.min.js) where the CDN is out of reach.
//
// The API:
//
//	POST /api/login {"user":"alice"}                  → {"token":"..."}
//	POST /api/rooms/{room}/messages {"text":"..."}    → 204
//	     with Authorization: Bearer <token>; emits "message" {"user","text"} to the room
//
// Sockets send the token in the auth payload (io({auth: {token}})), join a
// room with emit("join", room, ack) and chat with emit("message", room,
// text, ack). Ctrl-C shuts down cleanly: HTTP first, then the Socket.IO
// server.
package main

import (
	"context"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"

	"github.com/go-sio/sio/examples/internal/chatapp"
	"github.com/go-sio/sio/ginsio"
)

func main() {
	app, err := chatapp.New(chatapp.FromEnv(), nil)
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.ListenAndServe(ctx, newRouter(app)); err != nil {
		log.Fatal(err)
	}
}

func newRouter(app *chatapp.App) *gin.Engine {
	r := gin.New()
	r.Use(gin.Recovery())
	ginsio.Mount(r, app.Server, ginsio.Config{Auth: app.Auth})

	r.GET("/", func(c *gin.Context) {
		c.Data(http.StatusOK, "text/html; charset=utf-8", app.Page())
	})
	r.POST("/api/login", func(c *gin.Context) {
		var req struct {
			User string `json:"user"`
		}
		if err := c.ShouldBindJSON(&req); err != nil {
			c.JSON(http.StatusBadRequest, gin.H{"error": err.Error()})
			return
		}
		token, err := app.Login(req.User)
		if err != nil {
			c.JSON(http.StatusBadRequest, gin.H{"error": err.Error()})
			return
		}
		c.JSON(http.StatusOK, gin.H{"token": token})
	})
	r.POST("/api/rooms/:room/messages", requireJWT(app), func(c *gin.Context) {
		var req struct {
			Text string `json:"text"`
		}
		if err := c.ShouldBindJSON(&req); err != nil {
			c.JSON(http.StatusBadRequest, gin.H{"error": err.Error()})
			return
		}
		claims := c.MustGet(ginsio.DefaultClaimsKey).(jwt.Claims)
		user, _ := claims.GetSubject()
		if err := chatapp.Post(ginsio.IO(c).BroadcastOperator, c.Param("room"), user, req.Text); err != nil {
			c.JSON(http.StatusBadRequest, gin.H{"error": err.Error()})
			return
		}
		c.Status(http.StatusNoContent)
	})
	return r
}

// requireJWT is the app's JWT middleware: it checks the Bearer token with
// the same authenticator as the sockets and stores its claims where
// ginsio.IO(c).User() looks for them.
func requireJWT(app *chatapp.App) gin.HandlerFunc {
	return func(c *gin.Context) {
		raw, _ := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
		claims, err := app.Auth.Authenticate(raw)
		if err != nil {
			c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "invalid or missing token"})
			return
		}
		c.Set(ginsio.DefaultClaimsKey, claims)
		c.Next()
	}
}
