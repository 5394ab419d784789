package core_test

import (
	"net/http/httptest"
	"testing"

	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/internal/fixture"
	"github.com/go-sio/sio/internal/jstest"
)

func newFixtureServer(t *testing.T, cfg core.Config) string {
	t.Helper()
	return newFixtureServerWith(t, cfg, fixture.Options{})
}

func newFixtureServerWith(t *testing.T, cfg core.Config, o fixture.Options) string {
	t.Helper()
	srv, err := core.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fixture.RegisterWith(srv, o)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.CloseClientConnections()
		hs.Close()
		_ = srv.Shutdown(t.Context())
	})
	return hs.URL
}

// TestOfficialClient runs every scenario of the official JavaScript client
// against the Go server.
func TestOfficialClient(t *testing.T) {
	jstest.Setup(t)
	url := newFixtureServer(t, core.Config{})
	for _, sc := range jstest.Scenarios(t) {
		t.Run(sc, func(t *testing.T) {
			t.Parallel()
			jstest.Run(t, sc, "SIO_URL="+url)
		})
	}
}
