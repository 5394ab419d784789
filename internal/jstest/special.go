package jstest

import "slices"

// SpecialScenario is a scenario script that needs the fixture server started
// in a special mode (see "Server modes" in testdata/README.md). Scenarios
// leaves these out; run each against its own server started with Env.
type SpecialScenario struct {
	// Name is the file name in testdata/scenarios, e.g. "recovery.mjs".
	Name string
	// Env holds KEY=VALUE entries to pass to BOTH the fixture server and the
	// scenario script (the script reads some of them too, e.g. CSR_MAX_MS).
	Env []string
}

// specialScenarios is the manifest of scenarios that need a special server
// mode. Every other script in testdata/scenarios needs the default fixture.
var specialScenarios = []SpecialScenario{
	// Connection state recovery, with a short maxDisconnectionDuration to keep
	// the "expired session" step fast. The script waits out real disconnection
	// delays (about 7 s in all), so its hard timeout gets more headroom.
	{Name: "recovery.mjs", Env: []string{"CSR=1", "CSR_MAX_MS=1000", "SIO_SCENARIO_TIMEOUT_MS=30000"}},
	// Socket.IO v2 client (Engine.IO 3): the server must allow EIO3.
	{Name: "eio3.mjs", Env: []string{"EIO3=1"}},
}

// SpecialScenarios returns the scenarios that need the fixture in a special
// mode, with the environment for both the server and the script. Typical use:
//
//	for _, sp := range jstest.SpecialScenarios() {
//		t.Run(sp.Name, func(t *testing.T) {
//			url := startGoFixture(t, sp.Env...) // the server honours CSR, EIO3, ...
//			jstest.Run(t, sp.Name, append(sp.Env, "SIO_URL="+url)...)
//		})
//	}
func SpecialScenarios() []SpecialScenario {
	out := make([]SpecialScenario, len(specialScenarios))
	for i, s := range specialScenarios {
		out[i] = SpecialScenario{Name: s.Name, Env: slices.Clone(s.Env)}
	}
	return out
}

// isSpecial reports whether name (a file name in testdata/scenarios) is in
// the special-scenario manifest.
func isSpecial(name string) bool {
	return slices.ContainsFunc(specialScenarios, func(s SpecialScenario) bool { return s.Name == name })
}
