package chatapp

import (
	"context"
	"errors"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// ShutdownTimeout bounds each step of a graceful shutdown.
const ShutdownTimeout = 5 * time.Second

// ListenAndServe serves h (a Gin or Echo router) on the app's port until
// ctx ends, then shuts down gracefully: the HTTP server stops accepting
// and waits for its requests, while the Socket.IO server disconnects its
// sockets, which ends parked polls and closes the WebSockets that
// http.Server.Shutdown does not know about.
func (app *App) ListenAndServe(ctx context.Context, h http.Handler) error {
	ln, err := net.Listen("tcp", ":"+app.Config.Port)
	if err != nil {
		return err
	}
	log.Printf("listening on http://localhost:%s", app.Config.Port)
	return app.Serve(ctx, ln, h)
}

// Serve is ListenAndServe on ln.
func (app *App) Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	var once sync.Once
	closeSockets := func() {
		once.Do(func() {
			sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
			defer cancel()
			if err := app.Shutdown(sctx); err != nil {
				log.Printf("socket.io shutdown: %v", err)
			}
		})
	}
	hs.RegisterOnShutdown(closeSockets)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		closeSockets()
		return err
	case <-ctx.Done():
	}
	log.Print("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	closeSockets() // waits for the one RegisterOnShutdown started
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
