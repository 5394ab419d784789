package jstest

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// featureScenarios need the fixture in its default mode, so Scenarios returns
// them and TestScenariosAgainstNode (and every package that runs "all basic
// scenarios") runs them.
var featureScenarios = []string{
	"broadcast-ack.mjs",
	"catchall.mjs",
	"dynamic.mjs",
	"packet-middleware.mjs",
}

// knownSpecial lists the scenarios that must be in the special manifest.
var knownSpecial = []string{
	"eio3.mjs",
	"recovery.mjs",
}

// TestScenarioListing checks the split between default-mode scenarios
// (Scenarios) and scenarios that need a special server mode
// (SpecialScenarios).
func TestScenarioListing(t *testing.T) {
	scenarios := Scenarios(t)
	for _, k := range featureScenarios {
		if !slices.Contains(scenarios, k) {
			t.Errorf("scenario %s is missing from Scenarios()", k)
		}
	}
	special := SpecialScenarios()
	var names []string
	for _, sp := range special {
		names = append(names, sp.Name)
		if slices.Contains(scenarios, sp.Name) {
			t.Errorf("Scenarios() returns the special scenario %s", sp.Name)
		}
		if _, err := os.Stat(filepath.Join(Dir(), "scenarios", sp.Name)); err != nil {
			t.Errorf("special scenario %s: %v", sp.Name, err)
		}
		if len(sp.Env) == 0 {
			t.Errorf("special scenario %s has no server env", sp.Name)
		}
	}
	for _, k := range knownSpecial {
		if !slices.Contains(names, k) {
			t.Errorf("scenario %s is missing from SpecialScenarios()", k)
		}
	}
	// The returned slices are copies.
	special[0].Env[0] = "MUTATED=1"
	if SpecialScenarios()[0].Env[0] == "MUTATED=1" {
		t.Error("SpecialScenarios returns the manifest itself, not a copy")
	}
}

// TestSpecialScenariosAgainstNode runs every special scenario against its own
// Node fixture started in the scenario's mode (CSR=1, EIO3=1, ...).
func TestSpecialScenariosAgainstNode(t *testing.T) {
	Setup(t)
	for _, sp := range SpecialScenarios() {
		t.Run(sp.Name, func(t *testing.T) {
			url := StartNodeFixture(t, sp.Env...)
			t.Logf("node fixture (%v) at %s", sp.Env, url)
			Run(t, sp.Name, append(sp.Env, "SIO_URL="+url)...)
		})
	}
}
