package frameworktest

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-sio/sio/auth"
	"github.com/go-sio/sio/core"
	"github.com/go-sio/sio/internal/fixture"
	"github.com/go-sio/sio/internal/jstest"
	"github.com/go-sio/sio/internal/sioclient"
)

// OfficialClient runs every scenario of the official JavaScript client,
// in parallel subtests, against the fixture server mounted with mount:
// polling, WebSocket and the upgrade.
func OfficialClient(t *testing.T, mount Mount) {
	jstest.Setup(t)
	srv := NewServer(t, core.Config{})
	fixture.Register(srv)
	url := mount(t, srv)
	for _, sc := range jstest.Scenarios(t) {
		t.Run(sc, func(t *testing.T) {
			t.Parallel()
			jstest.Run(t, sc, "SIO_URL="+url)
		})
	}
}

// OfficialClientModes runs the scenarios that need the server in a
// special mode (connection state recovery, v2 clients, see fixture.Mode),
// each on its own server mounted with mount.
func OfficialClientModes(t *testing.T, mount Mount) {
	jstest.Setup(t)
	for _, sp := range jstest.SpecialScenarios() {
		t.Run(sp.Name, func(t *testing.T) {
			t.Parallel()
			cfg, opts := fixture.Mode(sp.Env)
			srv := NewServer(t, cfg)
			fixture.RegisterWith(srv, opts)
			url := mount(t, srv)
			jstest.Run(t, sp.Name, append(sp.Env, "SIO_URL="+url)...)
		})
	}
}

// CustomPath mounts a server on /rt/ with mount: polling and WebSocket
// answer there, and the default path is not routed.
func CustomPath(t *testing.T, mount Mount) {
	srv := NewServer(t, core.Config{Path: "/rt/"})
	fixture.Register(srv)
	base := mount(t, srv)

	res, err := http.Get(base + "/rt/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), `0{"sid":`) {
		t.Fatalf("polling handshake on /rt/: %d %q", res.StatusCode, body)
	}
	res, err = http.Get(base + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("default path: status %d, want 404", res.StatusCode)
	}

	c := Dial(t, base, sioclient.Options{Path: "/rt/"})
	got, err := c.EmitWithAck(Ctx(t), "echo", "hi")
	if err != nil || len(got) != 1 || string(got[0]) != `"hi"` {
		t.Fatalf("echo over /rt/: %s %v", got, err)
	}
}

// JWT checks the auth package through mount, with an HS256-only
// authenticator on [Secret] (and the other fields of extra): a token in
// the auth payload, a Bearer header or the query parameter "token" is
// accepted; [BadTokens] are refused with their code.
func JWT(t *testing.T, mount Mount, extra auth.Config) {
	cfg := extra
	cfg.SigningKey, cfg.ValidMethods = Secret, []string{"HS256"}
	a, err := auth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	base := ServeAuth(t, mount, a)
	tok := GoodToken(t, "alice")
	Accepts(t, base, "alice", map[string]sioclient.Options{
		"auth payload": WithToken(tok),
		"header":       {Header: http.Header{"Authorization": {"Bearer " + tok}}},
		"query":        {Query: url.Values{"token": {tok}}},
	})
	Refuses(t, base)
}

// TokenLookup checks a server whose authenticator was converted from a
// framework JWT config on [Secret] (HS256) that looks for the token in
// the Authorization header (Bearer), the query parameter "jwt" and the
// cookie "jwt": a token there or in the auth payload is accepted, [BadTokens]
// are refused, and the query parameter "token", not looked at, is missing.
func TokenLookup(t *testing.T, base string) {
	t.Helper()
	tok := GoodToken(t, "carol")
	Accepts(t, base, "carol", map[string]sioclient.Options{
		"auth payload": WithToken(tok),
		"header":       {Header: http.Header{"Authorization": {"Bearer " + tok}}},
		"query":        {Query: url.Values{"jwt": {tok}}},
		"cookie":       {Header: http.Header{"Cookie": {"jwt=" + tok}}},
	})
	Refuses(t, base)
	// Query "token" is not in this TokenLookup.
	if code := RefusalCode(t, base, sioclient.Options{Query: url.Values{"token": {tok}}}); code != "token_missing" {
		t.Fatalf("query token: code %q, want token_missing", code)
	}
}
