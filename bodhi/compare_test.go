package bodhi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/modkit/modkit/bodhi/bodhitest"
	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
)

// exchange is what the comparison keeps of one request: its method, its
// path with names and numbers blanked, the status, and the answer's shape.
type exchange struct {
	Method, Path string
	Status       int
	Shape        []string // key paths of the JSON answer
}

// recorder is an http.RoundTripper that records exchanges.
type recorder struct {
	mu  sync.Mutex
	log []exchange
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	var v any
	var shape []string
	if json.Unmarshal(data, &v) == nil {
		if strings.HasSuffix(strings.TrimSuffix(req.URL.Path, "/"), "/latest_builds") {
			// Which tags hold a build depends on when Bodhi's worker (and
			// kojid) tagged it, which races the scenario: compare the
			// type of the values only.
			if m, ok := v.(map[string]any); ok {
				for _, x := range m {
					v = map[string]any{"TAG": x}
					break
				}
			}
		}
		shape = shapeOf("", v, 0)
		slices.Sort(shape)
		shape = slices.Compact(shape)
	}
	r.mu.Lock()
	r.log = append(r.log, exchange{Method: req.Method, Path: pathPattern(req.URL.Path), Status: resp.StatusCode, Shape: shape})
	r.mu.Unlock()
	return resp, nil
}

// shapeOf lists the key paths of v down to depth 3, with the JSON type of
// each leaf; list items share the path "[]". Error answers keep their
// {location, name} pairs, which must match too.
func shapeOf(prefix string, v any, depth int) []string {
	switch v := v.(type) {
	case map[string]any:
		if depth >= 3 {
			return []string{prefix + ":object"}
		}
		var out []string
		for k, x := range v {
			// Keys that carry names (latest_builds' tags) are compared
			// with their digits blanked.
			k = strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return -1
				}
				return r
			}, k)
			out = append(out, shapeOf(prefix+"."+k, x, depth+1)...)
		}
		if len(out) == 0 {
			out = []string{prefix + ":object"}
		}
		return out
	case []any:
		var out []string
		for _, x := range v {
			if prefix == ".errors" {
				e, _ := x.(map[string]any)
				out = append(out, fmt.Sprintf(".errors[%v %v]", e["location"], e["name"]))
				continue
			}
			out = append(out, shapeOf(prefix+"[]", x, depth)...)
		}
		return out
	case nil:
		return []string{prefix + ":null"}
	case string:
		return []string{prefix + ":string"}
	case float64:
		return []string{prefix + ":number"}
	case bool:
		return []string{prefix + ":bool"}
	}
	return nil
}

// pathPattern keeps the first path segment and the action of an update.
func pathPattern(p string) string {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	for i := 1; i < len(parts); i++ {
		if !(parts[0] == "updates" && i == 2) {
			parts[i] = "*"
		}
	}
	return "/" + strings.Join(parts, "/")
}

// newTestServer starts a kojitest hub and a bodhitest server on it.
func newTestServer(t *testing.T) *realServer {
	t.Helper()
	hub := kojitest.New(t)
	kc, err := koji.NewClient(hub.URL(), koji.WithAuth(koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword}))
	if err != nil {
		t.Fatal(err)
	}
	if err := kc.Login(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := kc.AddBType(context.Background(), "module"); err != nil {
		t.Fatal(err)
	}
	if err := kc.GrantCGAccess(context.Background(), koji.Name(kojitest.AdminUser), "module-build-service", true); err != nil {
		t.Fatal(err)
	}
	bs := bodhitest.New(kc)
	t.Cleanup(bs.Close)
	return &realServer{URL: bs.URL, AdminCookie: bs.Cookie(bodhitest.AdminUser), PackagerCookie: bs.Cookie(bodhitest.PackagerUser),
		Koji: kc, KojiAdmin: kojitest.AdminUser, bodhitest: bs}
}

// TestBodhitest runs the client scenario against the in-process server.
func TestBodhitest(t *testing.T) {
	t.Parallel()
	runScenario(t, newTestServer(t))
}

// ignoredKeys are parts of the real answers that the client does not read
// and bodhitest does not produce (the HTML page's context, avatars).
var ignoredKeys = []string{".chrome", ".display_user", ".display_request", ".package", ".urls", ".avatar", ".email", ".openid"}

func ignored(path string) bool {
	for _, k := range ignoredKeys {
		if strings.Contains(path, k+":") || strings.Contains(path, k+".") {
			return true
		}
	}
	return false
}

// compareExchanges reports requests whose status or answer shape differ
// between the real Bodhi and bodhitest.
func compareExchanges(t *testing.T, real, test []exchange) {
	t.Helper()
	if len(real) != len(test) {
		t.Errorf("real Bodhi saw %d requests, bodhitest %d", len(real), len(test))
	}
	for i := range min(len(real), len(test)) {
		r, s := real[i], test[i]
		if r.Method != s.Method || r.Path != s.Path {
			t.Errorf("request %d: real %s %s, bodhitest %s %s", i, r.Method, r.Path, s.Method, s.Path)
			return
		}
		if r.Status != s.Status {
			t.Errorf("%d %s %s: status real %d, bodhitest %d", i, r.Method, r.Path, r.Status, s.Status)
		}
		missing, extra := diffShapes(r.Shape, s.Shape)
		if len(missing) > 0 {
			t.Errorf("%d %s %s: bodhitest lacks %v", i, r.Method, r.Path, missing)
		}
		if len(extra) > 0 {
			t.Errorf("%d %s %s: bodhitest adds %v", i, r.Method, r.Path, extra)
		}
	}
}

func diffShapes(real, test []string) (missing, extra []string) {
	for _, k := range real {
		if !ignored(k) && !slices.Contains(test, k) {
			missing = append(missing, k)
		}
	}
	for _, k := range test {
		if !slices.Contains(real, k) {
			extra = append(extra, k)
		}
	}
	return missing, extra
}
