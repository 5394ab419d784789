package core_test

import (
	"testing"

	"github.com/go-sio/sio/internal/fixture"
	"github.com/go-sio/sio/internal/jstest"
)

// TestOfficialClientModes runs the scenarios that need the server in a
// special mode (connection state recovery, v2 clients), each against its
// own server configured as the scenario's environment says.
func TestOfficialClientModes(t *testing.T) {
	jstest.Setup(t)
	for _, sp := range jstest.SpecialScenarios() {
		t.Run(sp.Name, func(t *testing.T) {
			t.Parallel()
			cfg, opts := fixture.Mode(sp.Env)
			url := newFixtureServerWith(t, cfg, opts)
			jstest.Run(t, sp.Name, append(sp.Env, "SIO_URL="+url)...)
		})
	}
}
