package mbsapi_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/mbsapi"
	"github.com/modkit/modkit/orchestrator/sqlstore"
	"github.com/modkit/modkit/orchestrator/zerobuilder"
	"github.com/modkit/modkit/resolver"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// hashSCM resolves every ref to a hash of repository and ref.
type hashSCM struct{}

func (hashSCM) ResolveRef(ctx context.Context, repo, ref string) (string, error) {
	sum := sha1.Sum([]byte(repo + "#" + ref))
	return hex.EncodeToString(sum[:]), nil
}

func (hashSCM) CommitTime(ctx context.Context, repo, commit string) (time.Time, error) {
	return time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC), nil
}

func (hashSCM) ReadFile(ctx context.Context, repo, commit, path string) ([]byte, error) {
	if path == "demo.yaml" {
		return []byte(strings.Replace(demoYAML, "  name: demo\n  stream: \"1\"\n", "", 1)), nil
	}
	return nil, fmt.Errorf("%s: not found", path)
}

const demoYAML = `document: modulemd
version: 2
data:
  name: demo
  stream: "1"
  summary: Demo
  description: A demo module.
  license:
    module: [MIT]
  dependencies:
  - buildrequires:
      platform: [f40]
    requires:
      platform: [f40]
  components:
    rpms:
      lib:
        rationale: library
        repository: https://src.example.com/rpms/lib
        ref: main
      app:
        rationale: program
        repository: https://src.example.com/rpms/app
        ref: main
        buildorder: 1
...
`

const tokens = `# test tokens
tok-alice alice packager,users
tok-bob bob users
tok-root root admin
`

type fixture struct {
	svc *orchestrator.Service
	srv *httptest.Server
}

func newFixture(t testing.TB, run bool) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	zb, err := zerobuilder.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	platform := &modulemd.Stream{
		MDVersionNumber: 2, Name: "platform", Stream: "f40", Version: 1, Context: "00000000",
		Summary: "Platform", Description: "Platform.", License: modulemd.License{Module: []string{"MIT"}},
		XMD: modulemd.MustXMD(map[string]any{"mbs": map[string]any{"mse": "TRUE", "koji_tag": "module-f40-build"}}),
	}
	svc, err := orchestrator.NewService(&orchestrator.Options{
		Store: st, Builder: zb, SCM: hashSCM{}, AllowComponentRepository: true,
		Source: orchestrator.Sources(orchestrator.NewDBSource(st), resolver.NewSource([]*modulemd.Stream{platform})),
		Now:    func() time.Time { return time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC) },
		Logger: slog.New(slog.DiscardHandler), PollInterval: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := mbsapi.ParseTokens(strings.NewReader(tokens), "tokens")
	if err != nil {
		t.Fatal(err)
	}
	h := mbsapi.NewHandler(svc, &mbsapi.Options{
		Auth: tok, AllowYAML: true, SCMAllow: []string{"https://src.example.com/modules/"},
		BaseURL: "http://mbs.example.com", Version: "test", Logger: slog.New(slog.DiscardHandler),
	})
	f := &fixture{svc: svc, srv: httptest.NewServer(h)}
	t.Cleanup(f.srv.Close)
	if run {
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { svc.Run(rctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	return f
}

type call struct {
	name   string
	method string
	path   string
	token  string
	body   string
	ctype  string
	status int
}

func (f *fixture) do(t testing.TB, c call) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(c.method, f.srv.URL+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.ctype != "" {
		req.Header.Set("Content-Type", c.ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// golden compares a reply with testdata/<name>.golden (status line + body).
func golden(t *testing.T, name string, status int, body []byte) {
	t.Helper()
	got := fmt.Sprintf("%d\n%s", status, body)
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

func jsonBody(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func (f *fixture) waitFinished(t *testing.T, id int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := f.svc.Wait(ctx, id); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) count(t *testing.T) int {
	t.Helper()
	_, n, err := f.svc.List(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestAPI drives every endpoint against a service that builds one module,
// comparing each reply with a golden file.
func TestAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	submitBody := jsonBody(map[string]any{"modulemd": demoYAML})
	st, b := f.do(t, call{method: "POST", path: "/module-build-service/2/module-builds/", token: "tok-alice", body: submitBody})
	golden(t, "submit_v2", st, b)
	if st != http.StatusCreated {
		t.Fatalf("submit: %d %s", st, b)
	}
	f.waitFinished(t, 1)

	for _, c := range []call{
		{name: "list", method: "GET", path: "/module-build-service/2/module-builds/"},
		{name: "list_short", method: "GET", path: "/module-build-service/1/module-builds/?short=true&state=ready&state=failed"},
		{name: "list_filtered_empty", method: "GET", path: "/module-build-service/2/module-builds/?name=nope&order_desc_by=version"},
		{name: "list_page2", method: "GET", path: "/module-build-service/2/module-builds/?per_page=1&page=2&nsvc=demo:1"},
		{name: "get", method: "GET", path: "/module-build-service/2/module-builds/1"},
		{name: "get_short", method: "GET", path: "/module-build-service/2/module-builds/1?short=1"},
		{name: "get_verbose", method: "GET", path: "/module-build-service/2/module-builds/1?verbose=true"},
		{name: "messages", method: "GET", path: "/module-build-service/2/module-builds/1/messages"},
		{name: "components", method: "GET", path: "/module-build-service/2/component-builds/?module_build=1&order_by=batch&order_by=package"},
		{name: "components_state", method: "GET", path: "/module-build-service/2/component-builds/?state=complete&package=app"},
		{name: "component_verbose", method: "GET", path: "/module-build-service/2/component-builds/2?verbose=1"},
		{name: "component_messages", method: "GET", path: "/module-build-service/2/component-builds/2/messages"},
		{name: "about", method: "GET", path: "/module-build-service/2/about/"},
		{name: "rebuild_strategies", method: "GET", path: "/module-build-service/1/rebuild-strategies/"},
		// Errors.
		{name: "err_version", method: "GET", path: "/module-build-service/3/module-builds/"},
		{name: "err_unknown_path", method: "GET", path: "/module-build-service/2/nothing/"},
		{name: "err_not_found", method: "GET", path: "/module-build-service/2/module-builds/99"},
		{name: "err_component_not_found", method: "GET", path: "/module-build-service/2/component-builds/99"},
		{name: "err_list_id", method: "GET", path: "/module-build-service/2/module-builds/?id=1"},
		{name: "err_order_both", method: "GET", path: "/module-build-service/2/module-builds/?order_by=id&order_desc_by=id"},
		{name: "err_order_key", method: "GET", path: "/module-build-service/2/module-builds/?order_by=color"},
		{name: "err_state", method: "GET", path: "/module-build-service/2/module-builds/?state=sleeping"},
		{name: "err_time", method: "GET", path: "/module-build-service/2/module-builds/?submitted_before=yesterday"},
		{name: "err_unsupported_filter", method: "GET", path: "/module-build-service/2/module-builds/?rpm=foo-1-1.x86_64.rpm"},
		{name: "err_method", method: "DELETE", path: "/module-build-service/2/module-builds/1"},
		{name: "err_cancel_ready", method: "PATCH", path: "/module-build-service/2/module-builds/1", token: "tok-alice", body: `{"state":"failed"}`},
		{name: "err_cancel_bad_state", method: "PATCH", path: "/module-build-service/2/module-builds/1", token: "tok-alice", body: `{"state":"ready"}`},
		{name: "submit_scm", method: "POST", path: "/module-build-service/2/module-builds/", token: "tok-alice",
			body: jsonBody(map[string]any{"scmurl": "https://src.example.com/modules/demo.git?#abc", "branch": "1"})},
	} {
		st, b := f.do(t, c)
		golden(t, c.name, st, b)
	}
	// The SCM submit above created build 2 (version: the commit time);
	// submitting it again is the 409.
	f.waitFinished(t, 2)
	st, b = f.do(t, call{method: "POST", path: "/module-build-service/2/module-builds/", token: "tok-alice",
		body: jsonBody(map[string]any{"scmurl": "https://src.example.com/modules/demo.git?#abc", "branch": "1"})})
	golden(t, "err_conflict", st, b)
}

// TestAuth checks that refused requests are refused with MBS's status codes
// and store nothing.
func TestAuth(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	body := jsonBody(map[string]any{"modulemd": demoYAML})
	for _, c := range []call{
		{name: "auth_no_token", method: "POST", path: "/module-build-service/2/module-builds/", body: body},
		{name: "auth_bad_token", method: "POST", path: "/module-build-service/2/module-builds/", token: "tok-eve", body: body},
		{name: "auth_wrong_group", method: "POST", path: "/module-build-service/2/module-builds/", token: "tok-bob", body: body},
		{name: "submit_unknown_param", method: "POST", path: "/module-build-service/2/module-builds/", token: "tok-alice",
			body: jsonBody(map[string]any{"modulemd": demoYAML, "color": "blue", "size": 1})},
		{name: "submit_owner_with_auth", method: "POST", path: "/module-build-service/2/module-builds/", token: "tok-alice",
			body: jsonBody(map[string]any{"modulemd": demoYAML, "owner": "mallory"})},
		{name: "submit_scm_not_allowed", method: "POST", path: "/module-build-service/2/module-builds/", token: "tok-alice",
			body: jsonBody(map[string]any{"scmurl": "https://evil.example.com/modules/demo.git?#abc", "branch": "1"})},
		{name: "submit_scm_invalid", method: "POST", path: "/module-build-service/2/module-builds/", token: "tok-alice",
			body: jsonBody(map[string]any{"scmurl": "not a url", "branch": "1"})},
		{name: "submit_bad_json", method: "POST", path: "/module-build-service/2/module-builds/", token: "tok-alice", body: "{"},
		{name: "submit_scratch", method: "POST", path: "/module-build-service/2/module-builds/", token: "tok-alice",
			body: jsonBody(map[string]any{"modulemd": demoYAML, "scratch": true})},
		{name: "submit_bad_override", method: "POST", path: "/module-build-service/2/module-builds/", token: "tok-alice",
			body: jsonBody(map[string]any{"modulemd": demoYAML, "buildrequire_overrides": map[string]any{"platform": "f41"}})},
		{name: "submit_invalid_modulemd", method: "POST", path: "/module-build-service/2/module-builds/", token: "tok-alice",
			body: jsonBody(map[string]any{"modulemd": "document: modulemd\nversion: 2\ndata: {}\n"})},
	} {
		st, b := f.do(t, c)
		golden(t, c.name, st, b)
	}
	if n := f.count(t); n != 0 {
		t.Fatalf("refused submits stored %d module builds", n)
	}

	// A submit by alice (v1 replies with one object), then cancels.
	st, b := f.do(t, call{method: "POST", path: "/module-build-service/1/module-builds/", token: "tok-alice", body: body})
	golden(t, "submit_v1", st, b)
	for _, c := range []call{
		{name: "cancel_no_token", method: "PATCH", path: "/module-build-service/2/module-builds/1", body: `{"state":"failed"}`},
		{name: "cancel_not_owner", method: "PATCH", path: "/module-build-service/2/module-builds/1", token: "tok-bob", body: `{"state":"failed"}`},
	} {
		st, b := f.do(t, c)
		golden(t, c.name, st, b)
	}
	mb, err := f.svc.Get(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if mb.State != orchestrator.StateInit {
		t.Fatalf("refused cancels changed the build to %s", mb.State)
	}
	st, b = f.do(t, call{method: "PATCH", path: "/module-build-service/2/module-builds/1", token: "tok-root", body: `{"state":"4"}`})
	golden(t, "cancel_admin", st, b)
}

// TestMultipartSubmit submits the modulemd as a yaml file part; the module
// name comes from the file name.
func TestMultipartSubmit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("yaml", "fromfile.yaml")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(fw, strings.Replace(demoYAML, "  name: demo\n", "", 1))
	mw.WriteField("module_stream", "rolling")
	mw.Close()
	st, b := f.do(t, call{method: "POST", path: "/module-build-service/2/module-builds/", token: "tok-alice", body: buf.String(), ctype: mw.FormDataContentType()})
	if st != http.StatusCreated {
		t.Fatalf("status %d: %s", st, b)
	}
	var got []map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got[0]["name"] != "fromfile" || got[0]["stream"] != "rolling" {
		t.Errorf("got name %v stream %v, want fromfile:rolling", got[0]["name"], got[0]["stream"])
	}
}

// TestClient runs the client against the server.
func TestClient(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true)
	ctx := context.Background()
	anon, err := mbsapi.NewClient(f.srv.URL + "/module-build-service/2/")
	if err != nil {
		t.Fatal(err)
	}
	alice, err := mbsapi.NewClient(f.srv.URL, mbsapi.WithToken("tok-alice"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := anon.SubmitModuleBuild(ctx, &mbsapi.SubmitRequest{Modulemd: demoYAML}); err == nil {
		t.Fatal("anonymous submit succeeded")
	} else if ae := (*mbsapi.APIError)(nil); !asAPIError(err, &ae) || ae.StatusCode != 401 {
		t.Fatalf("anonymous submit: %v, want a 401 APIError", err)
	}
	mbs, err := alice.SubmitModuleBuild(ctx, &mbsapi.SubmitRequest{Modulemd: demoYAML})
	if err != nil {
		t.Fatal(err)
	}
	f.waitFinished(t, mbs[0].ID)
	mb, err := anon.GetModuleBuild(ctx, mbs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if mb.StateName != "ready" || mb.Owner != "alice" || len(mb.StateTrace) != 5 || mb.Tasks["rpms"]["app"].NVR == "" {
		t.Errorf("got %+v", mb)
	}
	items, meta, err := anon.ListModuleBuilds(ctx, &mbsapi.ListOptions{States: []string{"ready"}, Filters: map[string][]string{"name": {"demo"}}})
	if err != nil || len(items) != 1 || meta.Total != 1 {
		t.Errorf("list: %v %+v %v", items, meta, err)
	}
	comps, _, err := anon.ListComponentBuilds(ctx, &mbsapi.ListOptions{Filters: map[string][]string{"module_build": {"1"}}})
	if err != nil || len(comps) != 3 {
		t.Errorf("components: %+v %v", comps, err)
	}
	msgs, _, err := anon.ModuleBuildMessages(ctx, 1, 1, 10)
	if err != nil || len(msgs) == 0 {
		t.Errorf("messages: %+v %v", msgs, err)
	}
	about, err := anon.About(ctx)
	if err != nil || about.APIVersion != 2 {
		t.Errorf("about: %+v %v", about, err)
	}
	if _, err := anon.GetModuleBuild(ctx, 42); !mbsapi.IsNotFound(err) {
		t.Errorf("get 42: %v, want not found", err)
	}
}

func asAPIError(err error, target **mbsapi.APIError) bool {
	ae, ok := err.(*mbsapi.APIError)
	if ok {
		*target = ae
	}
	return ok
}

func TestParseTokens(t *testing.T) {
	t.Parallel()
	_, err := mbsapi.ParseTokens(strings.NewReader("a alice\nb bob g\nb carol g\n"), "tokens.txt")
	want := "tokens.txt:1: expected TOKEN USER GROUP[,GROUP...], got 2 fields\ntokens.txt:3: token of user carol is listed twice"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want\n%s", err, want)
	}
}
