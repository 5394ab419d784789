package fibersio_test

import (
	"log"

	jwtware "github.com/gofiber/contrib/jwt"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/go-sio/sio/auth"
	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/fibersio"
)

func ExampleMount() {
	srv, err := core.New(core.Config{})
	if err != nil {
		log.Fatal(err)
	}
	app := fiber.New()
	fibersio.Mount(app, srv) // GET, POST, OPTIONS /socket.io/*
	app.Post("/api/rooms/:room/ping", func(c *fiber.Ctx) error {
		// Reaches the sockets of every server of the cluster. The room name
		// is copied: fasthttp reuses the request's buffers.
		room := core.Room(utils.CopyString(c.Params("room")))
		_ = fibersio.IO(c).To(room).Emit("ping")
		return c.SendStatus(fiber.StatusNoContent)
	})
	_ = app.Listen(":3000")
}

func ExampleAuthFromFiberJWT() {
	jwtCfg := jwtware.Config{SigningKey: jwtware.SigningKey{
		JWTAlg: jwtware.HS256,
		Key:    []byte("secret-of-at-least-32-bytes-long"),
	}}

	// Sockets accept the tokens the REST routes accept.
	a, err := fibersio.AuthFromFiberJWT(jwtCfg, auth.Config{})
	if err != nil {
		log.Fatal(err)
	}
	srv, _ := core.New(core.Config{})
	srv.Use(a.Middleware())

	app := fiber.New()
	fibersio.Mount(app, srv, fibersio.Config{Auth: a})
	app.Post("/api/notify-me", jwtware.New(jwtCfg), func(c *fiber.Ctx) error {
		op, err := fibersio.IO(c).User() // the sockets of the token's subject
		if err != nil {
			return fiber.ErrForbidden
		}
		_ = op.Emit("notice", "hello")
		return c.SendStatus(fiber.StatusNoContent)
	})
}
