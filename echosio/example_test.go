package echosio_test

import (
	"log"
	"net/http"

	echojwt "github.com/labstack/echo-jwt/v4"
	"github.com/labstack/echo/v4"

	"github.com/go-sio/sio/auth"
	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/echosio"
)

func ExampleMount() {
	srv, err := core.New(core.Config{})
	if err != nil {
		log.Fatal(err)
	}
	e := echo.New()
	echosio.Mount(e, srv) // GET, POST, OPTIONS /socket.io/*
	e.POST("/api/rooms/:room/ping", func(c echo.Context) error {
		// Reaches the sockets of every server of the cluster.
		_ = echosio.IO(c).To(core.Room(c.Param("room"))).Emit("ping")
		return c.NoContent(http.StatusNoContent)
	})
	_ = e.Start(":3000")
}

func ExampleAuthFromEchoJWT() {
	jwtCfg := echojwt.Config{SigningKey: []byte("secret-of-at-least-32-bytes-long")}

	// Sockets accept the tokens the REST routes accept.
	a, err := echosio.AuthFromEchoJWT(jwtCfg, auth.Config{})
	if err != nil {
		log.Fatal(err)
	}
	srv, _ := core.New(core.Config{})
	srv.Use(a.Middleware())

	e := echo.New()
	echosio.Mount(e, srv, echosio.Config{Auth: a})
	e.POST("/api/notify-me", func(c echo.Context) error {
		op, err := echosio.IO(c).User() // the sockets of the token's subject
		if err != nil {
			return echo.ErrForbidden
		}
		_ = op.Emit("notice", "hello")
		return c.NoContent(http.StatusNoContent)
	}, echojwt.WithConfig(jwtCfg))
}
