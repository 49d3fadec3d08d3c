package xmlrpcx

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestClientDo(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/ok":
			w.Header().Set("Koji-Version", "1.35.3")
			w.Header().Set("X-Got", r.Header.Get("Content-Type")+"|"+r.Header.Get("User-Agent")+"|"+r.Header.Get("X-Test")+"|"+r.Header.Get("X-Prepared"))
			w.Write(body)
		case "/bad":
			http.Error(w, "Invalid request: Empty request", http.StatusBadRequest)
		case "/big":
			w.Write([]byte(strings.Repeat("x", 100)))
		}
	}))
	t.Cleanup(srv.Close)
	c := &Client{HTTPClient: srv.Client(), UserAgent: "modkit-test"}

	resp, err := c.Do(t.Context(), &Request{URL: srv.URL + "/ok", Body: []byte("hello"), Header: http.Header{"X-Test": {"1"}},
		Prepare: func(r *http.Request) error { r.Header.Set("X-Prepared", "yes"); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("hello", string(resp.Body)); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	if got, want := resp.Header.Get("X-Got"), "text/xml|modkit-test|1|yes"; got != want {
		t.Errorf("request headers = %q, want %q", got, want)
	}

	_, err = c.Do(t.Context(), &Request{URL: srv.URL + "/bad"})
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != 400 || !strings.Contains(he.Body, "Empty request") {
		t.Errorf("error = %v, want HTTPError 400 with body", err)
	}

	small := &Client{HTTPClient: srv.Client(), MaxResponseSize: 10}
	if _, err := small.Do(t.Context(), &Request{URL: srv.URL + "/big"}); err == nil {
		t.Error("oversized response accepted")
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.Do(ctx, &Request{URL: srv.URL + "/ok?session-key=secret"}); !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "secret") {
		t.Errorf("cancelled Do error = %v, want context.Canceled without the query", err)
	}

	if _, err := (&Client{}).Do(t.Context(), &Request{URL: srv.URL}); err == nil {
		t.Error("Do without HTTPClient succeeded")
	}
	prepErr := errors.New("no ticket")
	if _, err := c.Do(t.Context(), &Request{URL: srv.URL + "/ok", Prepare: func(*http.Request) error { return prepErr }}); !errors.Is(err, prepErr) {
		t.Errorf("Prepare error = %v, want %v", err, prepErr)
	}
}

func TestSanitizeURL(t *testing.T) {
	t.Parallel()
	if got := SanitizeURL("https://u:p@hub/kojihub?session-key=s"); strings.Contains(got, "s=") || strings.Contains(got, "u:p") {
		t.Errorf("SanitizeURL leaked: %s", got)
	}
}
