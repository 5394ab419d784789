// Command echo is the chat of examples/chat on Echo v4: same page, same
// routes, same environment (PORT, REDIS_URL, JWT_SECRET). The REST route
// is guarded by echo-jwt, and the sockets accept the same tokens through
// echosio.AuthFromEchoJWT.
//
//	go run ./examples/echo
package main

import (
	"context"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/golang-jwt/jwt/v5"
	echojwt "github.com/labstack/echo-jwt/v4"
	"github.com/labstack/echo/v4"

	"github.com/go-sio/sio/auth"
	"github.com/go-sio/sio/echosio"
	"github.com/go-sio/sio/examples/internal/chatapp"
)

func main() {
	e, app, err := newApp(chatapp.FromEnv())
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.ListenAndServe(ctx, e); err != nil {
		log.Fatal(err)
	}
}

func newApp(cfg chatapp.Config) (*echo.Echo, *chatapp.App, error) {
	jwtCfg := echojwt.Config{SigningKey: cfg.Secret} // HS256
	// The sockets accept the tokens echo-jwt accepts.
	a, err := echosio.AuthFromEchoJWT(jwtCfg, auth.Config{})
	if err != nil {
		return nil, nil, err
	}
	app, err := chatapp.New(cfg, a)
	if err != nil {
		return nil, nil, err
	}

	e := echo.New()
	e.HideBanner = true
	echosio.Mount(e, app.Server, echosio.Config{Auth: a})
	e.GET("/", func(c echo.Context) error { return c.HTMLBlob(http.StatusOK, app.Page()) })
	e.POST("/api/login", func(c echo.Context) error {
		var req struct {
			User string `json:"user"`
		}
		if err := c.Bind(&req); err != nil {
			return err
		}
		token, err := app.Login(req.User)
		if err != nil {
			return c.JSON(http.StatusBadRequest, echo.Map{"error": err.Error()})
		}
		return c.JSON(http.StatusOK, echo.Map{"token": token})
	})
	e.POST("/api/rooms/:room/messages", func(c echo.Context) error {
		var req struct {
			Text string `json:"text"`
		}
		if err := c.Bind(&req); err != nil {
			return err
		}
		user, _ := c.Get("user").(*jwt.Token).Claims.GetSubject()
		if err := chatapp.Post(echosio.IO(c).BroadcastOperator, c.Param("room"), user, req.Text); err != nil {
			return c.JSON(http.StatusBadRequest, echo.Map{"error": err.Error()})
		}
		return c.NoContent(http.StatusNoContent)
	}, echojwt.WithConfig(jwtCfg))
	return e, app, nil
}
