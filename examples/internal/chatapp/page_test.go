package chatapp

import (
	"bytes"
	"context"
	"testing"
	"time"
)

func TestPageFor(t *testing.T) {
	// PageFor replaces this exact element: index.html must keep it.
	if n := bytes.Count(Page, []byte(clientTag)); n != 1 {
		t.Fatalf("index.html holds %s %d times, want once", clientTag, n)
	}
	if !bytes.Equal(PageFor(""), Page) || !bytes.Equal(PageFor(DefaultClientURL), Page) {
		t.Fatal("the default page is not Page")
	}
	p := PageFor("/js/socket.io.min.js?v=4&x=\"y\"")
	if !bytes.Contains(p, []byte(`<script src="/js/socket.io.min.js?v=4&amp;x=&#34;y&#34;"></script>`)) ||
		bytes.Contains(p, []byte(DefaultClientURL)) {
		t.Fatalf("page for a local client:\n%s", p)
	}
	if !bytes.Contains(Page, []byte(clientTag)) {
		t.Fatal("PageFor changed Page")
	}

	for _, tc := range []struct{ url, want string }{
		{"", DefaultClientURL},
		{"/local/socket.io.min.js", "/local/socket.io.min.js"},
	} {
		app, err := New(Config{Secret: []byte("secret"), ClientURL: tc.url}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(app.Page(), []byte(`<script src="`+tc.want+`"></script>`)) {
			t.Errorf("ClientURL %q: the page does not load %s", tc.url, tc.want)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = app.Shutdown(ctx)
		cancel()
	}
}

func TestFromEnvClientURL(t *testing.T) {
	t.Setenv("JWT_SECRET", "s")
	t.Setenv("SOCKETIO_CLIENT_URL", "/local/socket.io.min.js")
	if got := FromEnv().ClientURL; got != "/local/socket.io.min.js" {
		t.Fatalf("ClientURL %q", got)
	}
}
