package mbsapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modkit/modkit/orchestrator/mbsapi"
)

// TestSCMAllowlistWalkOut submits scmurls that a raw prefix match admits
// but that leave the allowed tree.
func TestSCMAllowlistWalkOut(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	for _, u := range []string{
		"https://src.example.com/modules/../../private/demo.git?#abc",
		"https://src.example.com/modules/%2e%2e/%2E%2E/private/demo.git?#abc",
		"https://src.example.com/modules/..%2fprivate/demo.git?#abc",
		"https://src.example.com/modules-other/demo.git?#abc",
		"https://src.example.com@evil.example.com/modules/demo.git?#abc",
	} {
		st, b := f.do(t, call{method: "POST", path: "/module-build-service/2/module-builds/", token: "tok-alice",
			body: jsonBody(map[string]any{"scmurl": u, "branch": "1"})})
		if st != http.StatusForbidden || !strings.Contains(string(b), "is not allowed") {
			t.Errorf("%s: %d %s, want 403 not allowed", u, st, b)
		}
	}
	if n := f.count(t); n != 0 {
		t.Fatalf("refused submits stored %d module builds", n)
	}
}

// TestMultipartTooLarge checks that a multipart body over the limit is
// answered 413 as a JSON one is.
func TestMultipartTooLarge(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	h := mbsapi.NewHandler(f.svc, &mbsapi.Options{NoAuth: true, AllowYAML: true, MaxBodyBytes: 1000, Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(h)
	defer srv.Close()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("yaml", "big.yaml")
	io.WriteString(fw, demoYAML+strings.Repeat("# padding\n", 500))
	mw.Close()
	for _, c := range []struct{ ctype, body string }{
		{mw.FormDataContentType(), buf.String()},
		{"application/json", jsonBody(map[string]any{"modulemd": demoYAML + strings.Repeat("#", 2000)})},
	} {
		resp, err := http.Post(srv.URL+"/module-build-service/2/module-builds/", c.ctype, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusRequestEntityTooLarge || got["status"] != 413.0 {
			t.Errorf("%s: %d %v (%v), want a 413 JSON error", c.ctype, resp.StatusCode, got, err)
		}
	}
}

// TestHead checks that every GET route answers HEAD with the GET's status
// and headers and no body, and that the Allow header names HEAD.
func TestHead(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	f.do(t, call{method: "POST", path: "/module-build-service/2/module-builds/", token: "tok-alice", body: jsonBody(map[string]any{"modulemd": demoYAML})})
	f.waitFinished(t, 1)
	for _, p := range []string{
		"/module-build-service/2/module-builds/", "/module-build-service/2/module-builds/1",
		"/module-build-service/2/module-builds/1/messages", "/module-build-service/2/component-builds/",
		"/module-build-service/2/component-builds/1", "/module-build-service/2/component-builds/1/messages",
		"/module-build-service/2/about/", "/module-build-service/1/rebuild-strategies/",
	} {
		req, _ := http.NewRequest(http.MethodHead, f.srv.URL+p, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(b) != 0 || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("HEAD %s: %d %q %q, want 200 application/json without a body", p, resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
	}
	req, _ := http.NewRequest(http.MethodDelete, f.srv.URL+"/module-build-service/2/about/", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("DELETE about: %d Allow %q, want 405 with GET, HEAD", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

type namelessAuth struct{}

func (namelessAuth) Authenticate(*http.Request) (*mbsapi.User, error) { return nil, nil }

// TestAboutAuthMethod checks that about/ names the authentication in use.
func TestAboutAuthMethod(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	for _, c := range []struct {
		opts mbsapi.Options
		want string
	}{
		{mbsapi.Options{NoAuth: true}, "none"},
		{mbsapi.Options{Auth: mbsapi.Tokens{}}, "tokens"},
		{mbsapi.Options{Auth: namelessAuth{}}, "custom"},
		{mbsapi.Options{}, "unconfigured"},
	} {
		srv := httptest.NewServer(mbsapi.NewHandler(f.svc, &c.opts))
		resp, err := http.Get(srv.URL + "/module-build-service/2/about/")
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		srv.Close()
		if got["auth_method"] != c.want {
			t.Errorf("%+v: auth_method %v, want %s", c.opts, got["auth_method"], c.want)
		}
	}
}

// TestSCMDefaultDeny checks MBS's default: without an allowlist no scmurl
// is accepted, unless AllowCustomSCMURLs.
func TestSCMDefaultDeny(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	body := jsonBody(map[string]any{"scmurl": "file:///srv/git/modules/demo.git?#abc", "branch": "1"})
	for _, c := range []struct {
		opts mbsapi.Options
		want int
	}{
		{mbsapi.Options{NoAuth: true}, http.StatusForbidden},
		{mbsapi.Options{NoAuth: true, AllowCustomSCMURLs: true}, http.StatusCreated},
	} {
		srv := httptest.NewServer(mbsapi.NewHandler(f.svc, &c.opts))
		resp, err := http.Post(srv.URL+"/module-build-service/2/module-builds/", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		if resp.StatusCode != c.want {
			t.Errorf("AllowCustomSCMURLs=%v: %d %s, want %d", c.opts.AllowCustomSCMURLs, resp.StatusCode, b, c.want)
		}
	}
}
