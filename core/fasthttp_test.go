package core_test

import (
	"net"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/internal/fixture"
	"github.com/go-sio/sio/internal/jstest"
)

// TestOfficialClientFastHTTP runs the official client's scenarios against
// the fasthttp entry point: polling natively, WebSocket through the
// fasthttp upgrader.
func TestOfficialClientFastHTTP(t *testing.T) {
	jstest.Setup(t)
	srv, err := core.New(core.Config{})
	if err != nil {
		t.Fatal(err)
	}
	fixture.Register(srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fs := &fasthttp.Server{Handler: srv.ServeFastHTTP}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = fs.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Shutdown(t.Context())
		_ = fs.Shutdown()
		<-done
	})
	url := "http://" + ln.Addr().String()
	for _, sc := range jstest.Scenarios(t) {
		t.Run(sc, func(t *testing.T) {
			t.Parallel()
			jstest.Run(t, sc, "SIO_URL="+url)
		})
	}
}
