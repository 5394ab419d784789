package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestContractHTTP(t *testing.T) {
	b, err := NewHandler(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ts := httptest.NewServer(b.Handler)
	defer ts.Close()

	get := func(path string) (int, string) {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Fatalf("healthz: %d", code)
	}
	code, body := get("/stats")
	var st map[string]any
	if code != http.StatusOK || json.Unmarshal([]byte(body), &st) != nil || st["goroutines"] == nil || st["rssBytes"] == nil {
		t.Fatalf("stats: %d %s", code, body)
	}
	if code, body := get("/socket.io/?EIO=4&transport=polling"); code != http.StatusOK || !strings.HasPrefix(body, `0{"sid":`) {
		t.Fatalf("socket.io handshake: %d %s", code, body)
	}
	for _, tc := range []struct {
		path, body string
		want       int
	}{
		{"/emit?room=bench", `{"t":1,"seq":0}`, http.StatusNoContent},
		{"/emit", `[1,2]`, http.StatusNoContent},
		{"/emit?room=bench", `{not json`, http.StatusBadRequest},
	} {
		resp, err := http.Post(ts.URL+tc.path, "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("POST %s %s: %d, want %d", tc.path, tc.body, resp.StatusCode, tc.want)
		}
	}
}
