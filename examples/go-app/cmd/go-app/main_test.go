package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRoutes(t *testing.T) {
	srv := httptest.NewServer(routes(slog.New(slog.NewTextHandler(io.Discard, nil))))
	defer srv.Close()

	for _, c := range []struct {
		name, path, accept string
		language, message  string
	}{
		{"default", "/", "", "en", "Hello, world!"},
		{"accept-language", "/", "fr-FR,fr;q=0.9", "fr", "Bonjour, le monde !"},
		{"lang parameter wins", "/?lang=de", "fr", "de", "Hallo, Welt!"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+c.path, nil)
			if c.accept != "" {
				req.Header.Set("Accept-Language", c.accept)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("GET %s: %s, %s", c.path, resp.Status, resp.Header.Get("Content-Type"))
			}
			var got response
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			if got.Language != c.language || got.Message != c.message || got.Version != "dev" {
				t.Errorf("GET %s = %+v; want %s %q, version dev", c.path, got, c.language, c.message)
			}
		})
	}

	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "ok\n" {
		t.Errorf("GET /healthz = %s %q; want 200 \"ok\\n\"", resp.Status, body)
	}

	for _, path := range []string{"/nope", "/healthz/x"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %s; want 404", path, resp.Status)
		}
	}
	resp, err = http.Post(srv.URL+"/", "text/plain", strings.NewReader("hi"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %s; want 405", resp.Status)
	}
}

func TestRunVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-version"}, &out, &errOut); code != 0 || out.String() != "dev\n" {
		t.Errorf("-version: exit %d, printed %q (stderr %q); want 0 and \"dev\\n\"", code, out.String(), errOut.String())
	}
}

func TestRunProbe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.Error(w, "unhealthy", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	for _, c := range []struct {
		url  string
		want int
	}{
		{srv.URL + "/healthz", 0},
		{srv.URL + "/other", 1},
		{"http://127.0.0.1:1/", 1}, // nothing listens
	} {
		var out, errOut bytes.Buffer
		if code := run([]string{"-probe", c.url}, &out, &errOut); code != c.want {
			t.Errorf("-probe %s: exit %d; want %d (stderr %q)", c.url, code, c.want, errOut.String())
		}
	}
}

func TestRunBadFlag(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-nope"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "-nope") {
		t.Errorf("bad flag: exit %d, stderr %q; want 2 and a usage message", code, errOut.String())
	}
}
