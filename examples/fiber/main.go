// Command fiber is the chat of examples/chat on Fiber v2: same page, same
// routes, same environment (PORT, REDIS_URL, JWT_SECRET). Socket.IO runs
// natively on fasthttp. The REST route is guarded by gofiber/contrib/jwt,
// and the sockets accept the same tokens through fibersio.AuthFromFiberJWT.
//
//	go run ./examples/fiber
package main

import (
	"context"
	"errors"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"

	jwtware "github.com/gofiber/contrib/jwt"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/golang-jwt/jwt/v5"

	"github.com/go-sio/sio/auth"
	"github.com/go-sio/sio/examples/internal/chatapp"
	"github.com/go-sio/sio/fibersio"
)

func main() {
	f, app, err := newApp(chatapp.FromEnv())
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", ":"+app.Config.Port)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("listening on http://localhost:%s", app.Config.Port)
	if err := serve(ctx, ln, f, app); err != nil {
		log.Fatal(err)
	}
}

// serve serves f on ln until ctx ends, then shuts down gracefully: Fiber
// stops accepting and waits for its requests while the Socket.IO server
// ends parked polls and closes the WebSockets, which Fiber does not track.
func serve(ctx context.Context, ln net.Listener, f *fiber.App, app *chatapp.App) error {
	errc := make(chan error, 1)
	go func() { errc <- f.Listener(ln) }()
	select {
	case err := <-errc:
		return errors.Join(err, app.Shutdown(context.Background()))
	case <-ctx.Done():
	}
	log.Print("shutting down")
	done := make(chan error, 1)
	go func() { done <- f.ShutdownWithTimeout(chatapp.ShutdownTimeout) }()
	sctx, cancel := context.WithTimeout(context.Background(), chatapp.ShutdownTimeout)
	defer cancel()
	err := errors.Join(app.Shutdown(sctx), <-done)
	return errors.Join(err, <-errc)
}

func newApp(cfg chatapp.Config) (*fiber.App, *chatapp.App, error) {
	jwtCfg := jwtware.Config{
		SigningKey: jwtware.SigningKey{JWTAlg: jwtware.HS256, Key: cfg.Secret},
		ErrorHandler: func(c *fiber.Ctx, _ error) error {
			return c.Status(fiber.StatusUnauthorized).JSON(fiber.Map{"error": "invalid or missing token"})
		},
	}
	// The sockets accept the tokens the Fiber JWT middleware accepts.
	a, err := fibersio.AuthFromFiberJWT(jwtCfg, auth.Config{})
	if err != nil {
		return nil, nil, err
	}
	app, err := chatapp.New(cfg, a)
	if err != nil {
		return nil, nil, err
	}

	f := fiber.New(fiber.Config{DisableStartupMessage: true})
	fibersio.Mount(f, app.Server, fibersio.Config{Auth: a})
	f.Get("/", func(c *fiber.Ctx) error {
		c.Type("html", "utf-8")
		return c.Send(app.Page())
	})
	f.Post("/api/login", func(c *fiber.Ctx) error {
		var req struct {
			User string `json:"user"`
		}
		if err := c.BodyParser(&req); err != nil {
			return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"error": err.Error()})
		}
		token, err := app.Login(req.User)
		if err != nil {
			return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"error": err.Error()})
		}
		return c.JSON(fiber.Map{"token": token})
	})
	f.Post("/api/rooms/:room/messages", jwtware.New(jwtCfg), func(c *fiber.Ctx) error {
		var req struct {
			Text string `json:"text"`
		}
		if err := c.BodyParser(&req); err != nil {
			return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"error": err.Error()})
		}
		user, _ := c.Locals("user").(*jwt.Token).Claims.GetSubject()
		// fasthttp reuses the request's buffers: copy what the emit keeps.
		room := utils.CopyString(c.Params("room"))
		if err := chatapp.Post(fibersio.IO(c).BroadcastOperator, room, user, req.Text); err != nil {
			return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"error": err.Error()})
		}
		return c.SendStatus(fiber.StatusNoContent)
	})
	return f, app, nil
}
