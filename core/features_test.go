package core_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sio/sio/core"
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
			cfg := core.Config{}
			var opts fixture.Options
			for _, kv := range sp.Env {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "CSR":
					opts.CSR = v == "1"
					if cfg.Recovery == nil {
						cfg.Recovery = &core.RecoveryConfig{}
					}
				case "CSR_MAX_MS":
					ms, _ := strconv.Atoi(v)
					if cfg.Recovery == nil {
						cfg.Recovery = &core.RecoveryConfig{}
					}
					cfg.Recovery.MaxDisconnectionDuration = time.Duration(ms) * time.Millisecond
				case "EIO3":
					cfg.AllowEIO3 = v == "1"
				}
			}
			if opts.CSR && cfg.Recovery.MaxDisconnectionDuration == 0 {
				cfg.Recovery.MaxDisconnectionDuration = 2 * time.Second
			}
			url := newFixtureServerWith(t, cfg, opts)
			jstest.Run(t, sp.Name, append(sp.Env, "SIO_URL="+url)...)
		})
	}
}
