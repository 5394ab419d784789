// Package chatapp is the chat application shared by the examples chat
// (Gin), echo and fiber: configuration, the Socket.IO server and its
// handlers, token issuance, the web page and shutdown. Each example adds
// only its framework's routes and JWT middleware.
package chatapp

import (
	"bytes"
	"context"
	"crypto/rand"
	_ "embed"
	"errors"
	"fmt"
	"html"
	"log"
	"os"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/go-redis/v9"

	"github.com/go-sio/sio/auth"
	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/redisadapter"
)

// Page is the web page of the chat, served at "/", as it loads the
// official Socket.IO client from DefaultClientURL. [App.Page] is the page
// of an app's Config.ClientURL.
//
//go:embed index.html
var Page []byte

// DefaultClientURL is where the page loads the official Socket.IO client
// from: the project's CDN.
const DefaultClientURL = "https://cdn.socket.io/4.8.1/socket.io.min.js"

// clientTag is the script element of Page that loads the client.
const clientTag = `<script src="` + DefaultClientURL + `"></script>`

// PageFor returns the page loading the client from clientURL (any URL a
// script src takes, "/js/socket.io.min.js" for one); empty means
// DefaultClientURL, that is Page.
func PageFor(clientURL string) []byte {
	if clientURL == "" || clientURL == DefaultClientURL {
		return Page
	}
	return bytes.Replace(Page, []byte(clientTag),
		[]byte(`<script src="`+html.EscapeString(clientURL)+`"></script>`), 1)
}

// Config configures [New].
type Config struct {
	// Port to listen on (env PORT). Zero means "3000".
	Port string
	// RedisURL (env REDIS_URL), e.g. redis://localhost:6379/0, makes the
	// server one of a cluster. Zero means a single in-memory server.
	RedisURL string
	// RedisKey prefixes the adapter's Redis channels. Zero means
	// "socket.io", the default of every Socket.IO Redis adapter.
	RedisKey string
	// Secret is the HS256 key of the tokens (env JWT_SECRET; random when
	// unset, and then tokens die with the process and the servers of a
	// cluster do not accept each other's tokens). Required.
	Secret []byte
	// ClientURL is where the page loads the official Socket.IO client
	// from (env SOCKETIO_CLIENT_URL), for a machine that cannot reach the
	// CDN: a copy of socket.io-client's dist/socket.io.min.js served
	// elsewhere. Zero means DefaultClientURL.
	ClientURL string
}

// FromEnv reads PORT, REDIS_URL, JWT_SECRET and SOCKETIO_CLIENT_URL;
// without JWT_SECRET the secret is 32 random bytes.
func FromEnv() Config {
	cfg := Config{Port: os.Getenv("PORT"), RedisURL: os.Getenv("REDIS_URL"), ClientURL: os.Getenv("SOCKETIO_CLIENT_URL")}
	if s := os.Getenv("JWT_SECRET"); s != "" {
		cfg.Secret = []byte(s)
	} else {
		cfg.Secret = make([]byte, 32)
		_, _ = rand.Read(cfg.Secret)
		log.Print("JWT_SECRET is not set: tokens are signed with a random key")
	}
	return cfg
}

// Message is what the sockets of a room receive as "message".
type Message struct {
	User string `json:"user"`
	Text string `json:"text"`
}

// Errors of requests, for 400 answers.
var (
	ErrBadUser = errors.New("user must be 1 to 32 letters, digits, '-' or '_'")
	ErrBadRoom = errors.New("room must be 1 to 32 letters, digits, '-' or '_'")
	ErrBadText = errors.New("text must be 1 to 1000 characters")
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// ValidRoom reports whether room is a chat room name. Names hold no ':',
// so that no one can join the "user:<sub>" rooms of the auth package.
func ValidRoom(room string) bool { return nameRE.MatchString(room) }

// App is a chat server: the Socket.IO server and what it needs.
type App struct {
	Config Config
	// Server is the Socket.IO server, to mount on the framework's router.
	Server *core.Server
	// Auth authenticates sockets and names users' rooms.
	Auth *auth.Authenticator
	rdb  *redis.Client
	page []byte
}

// New builds the Socket.IO server of the chat. Sockets authenticate with
// a (the token in the auth payload), which must accept the HS256 tokens of
// cfg.Secret; nil means such an authenticator. With cfg.RedisURL the server joins the cluster on that Redis.
func New(cfg Config, a *auth.Authenticator) (*App, error) {
	if cfg.Port == "" {
		cfg.Port = "3000"
	}
	if len(cfg.Secret) == 0 {
		return nil, errors.New("chatapp: no secret")
	}
	if a == nil {
		var err error
		a, err = auth.New(auth.Config{SigningKey: cfg.Secret, ValidMethods: []string{"HS256"}})
		if err != nil {
			return nil, err
		}
	}
	app := &App{Config: cfg, Auth: a, page: PageFor(cfg.ClientURL)}
	scfg := core.Config{}
	if cfg.RedisURL != "" {
		opts, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		app.rdb = redis.NewClient(opts)
		scfg.Adapter = redisadapter.New(app.rdb, redisadapter.Config{Key: cfg.RedisKey})
	}
	srv, err := core.New(scfg)
	if err != nil {
		if app.rdb != nil {
			_ = app.rdb.Close()
		}
		return nil, err
	}
	app.Server = srv
	srv.Use(a.Middleware())
	srv.OnConnection(app.onConnection)
	return app, nil
}

func (app *App) onConnection(s *core.Socket) {
	user := User(s)
	s.On("join", func(room string, ack core.Ack) {
		if !ValidRoom(room) {
			ack(false)
			return
		}
		s.Join(core.Room(room))
		ack(true)
	})
	s.On("leave", func(room string, ack core.Ack) {
		s.Leave(core.Room(room))
		ack(true)
	})
	s.On("message", func(room, text string, ack core.Ack) {
		if !inRoom(s, core.Room(room)) || CheckText(text) != nil {
			ack(false)
			return
		}
		ack(app.Server.To(core.Room(room)).Emit("message", Message{User: user, Text: text}) == nil)
	})
}

// Page is the web page of the chat, served at "/": [Page] with the
// client loaded from Config.ClientURL.
func (app *App) Page() []byte { return app.page }

// User is the subject of an authenticated socket's token.
func User(s *core.Socket) string {
	c, err := auth.Claims[jwt.Claims](s)
	if err != nil {
		return ""
	}
	sub, _ := c.GetSubject()
	return sub
}

func inRoom(s *core.Socket, room core.Room) bool {
	for _, r := range s.Rooms() {
		if r == room {
			return true
		}
	}
	return false
}

// CheckText validates a message text.
func CheckText(text string) error {
	if n := utf8.RuneCountInString(strings.TrimSpace(text)); n == 0 || n > 1000 {
		return ErrBadText
	}
	return nil
}

// Login issues a token for user, valid for 12 hours.
func (app *App) Login(user string) (string, error) {
	if !nameRE.MatchString(user) {
		return "", ErrBadUser
	}
	now := time.Now()
	return jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Subject:   user,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(12 * time.Hour)),
	}).SignedString(app.Config.Secret)
}

// Post sends text from user to room through op (the framework's
// emitter, e.g. ginsio.IO(c)), on every server of the cluster.
func Post(op core.BroadcastOperator, room, user, text string) error {
	if !ValidRoom(room) {
		return ErrBadRoom
	}
	if err := CheckText(text); err != nil {
		return err
	}
	return op.To(core.Room(room)).Emit("message", Message{User: user, Text: text})
}

// Shutdown disconnects every socket, closes the adapter and the Redis
// client. Call it once the HTTP server stopped accepting requests (or
// from http.Server.RegisterOnShutdown, so that parked polls end).
func (app *App) Shutdown(ctx context.Context) error {
	err := app.Server.Shutdown(ctx)
	if app.rdb != nil {
		err = errors.Join(err, app.rdb.Close())
	}
	return err
}
