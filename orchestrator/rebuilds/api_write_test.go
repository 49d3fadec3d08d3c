package rebuilds_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/mbsapi"
	"github.com/modkit/modkit/orchestrator/rebuilds"
	"github.com/modkit/modkit/orchestrator/zerobuilder"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// normalize replaces what changes from run to run (times, random message
// ids, row ids) with placeholders; ids become their order of appearance
// per kind, so the golden files still show which row refers to which.
func normalize(v any) any {
	ids := map[string]map[float64]int{}
	label := func(kind string, n float64) string {
		if ids[kind] == nil {
			ids[kind] = map[float64]int{}
		}
		if _, ok := ids[kind][n]; !ok {
			ids[kind][n] = len(ids[kind]) + 1
		}
		return fmt.Sprintf("<%s %d>", kind, ids[kind][n])
	}
	kindOf := map[string]string{"event_id": "event", "build_id": "module build", "dep_on_id": "build"}
	manual := regexp.MustCompile(`manual-[0-9a-f]{24}`)
	var walk func(parent string, v any) any
	walk = func(parent string, v any) any {
		switch x := v.(type) {
		case map[string]any:
			kind := "build"
			if _, ok := x["event_type_id"]; ok {
				kind = "event"
			}
			out := map[string]any{}
			keys := slices.Sorted(maps.Keys(x))
			for _, k := range keys {
				e := x[k]
				switch {
				case strings.HasPrefix(k, "time_") && e != nil:
					out[k] = "<time>"
				case k == "id" && e != nil:
					out[k] = label(kind, e.(float64))
				case kindOf[k] != "" && e != nil:
					out[k] = label(kindOf[k], e.(float64))
				case k == "url" && e != nil:
					out[k] = "<url>"
				default:
					out[k] = walk(k, e)
				}
			}
			return out
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				if n, ok := e.(float64); ok && strings.HasSuffix(parent, "_events") {
					out[i] = label("event", n)
					continue
				}
				out[i] = walk(parent, e)
			}
			return out
		case string:
			x = manual.ReplaceAllString(x, "manual-<random>")
			return regexp.MustCompile(`(Event id|event) [0-9]+`).ReplaceAllString(x, "$1 <n>")
		}
		return v
	}
	return walk("", v)
}

// golden compares a response with testdata/golden/<name>.json.
func golden(t *testing.T, name string, status int, body []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: %v: %s", name, err, body)
	}
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	enc.Encode(map[string]any{"status": status, "body": normalize(v)})
	got := []byte(buf.String())
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s (-want +got):\n%s", name, d)
	}
}

var tokens = mbsapi.Tokens{
	"tok-alice": {Name: "alice", Groups: []string{"packager"}},
	"tok-bob":   {Name: "bob", Groups: []string{"packager"}},
	"tok-root":  {Name: "root", Groups: []string{"admin"}},
	"tok-eve":   {Name: "eve", Groups: []string{"users"}},
	"tok-carol": {Name: "carol", Groups: []string{"users"}},
}

type client struct {
	t   *testing.T
	url string
}

func (c client) do(method, path, token, body string) (int, []byte, map[string]any) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.url+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v map[string]any
	json.Unmarshal(b, &v)
	return resp.StatusCode, b, v
}

func TestWriteAPI(t *testing.T) {
	t.Parallel()
	testWriteAPI(t, t.TempDir(), true)
}

func TestWriteAPIOnPostgres(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	onPostgres(t, dir)
	testWriteAPI(t, dir, false)
}

// testWriteAPI: manual rebuilds and cancels through the API, with their
// permissions and errors; the responses are golden (on SQLite; on
// PostgreSQL they must be the same).
func testWriteAPI(t *testing.T, dir string, writeGolden bool) {
	scm := newGitSCM()
	setupABC(scm)
	w := newWorld(t, dir, scm, &rebuilds.Options{Rules: blockGamma(t)}, &zerobuilder.Options{Delay: 400 * time.Millisecond})
	w.build("alpha")
	w.build("beta")
	w.build("gamma")
	ctx := context.Background()
	if err := w.orch.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rebuilds.NewHandler(w.store, &rebuilds.APIOptions{Version: "test", Write: &rebuilds.WriteOptions{
		Service: w.rs, Auth: tokens, ManualGroups: []string{"packager"}, ManualUsers: []string{"carol"},
	}}))
	defer srv.Close()
	c := client{t, srv.URL}
	check := func(name string, wantStatus int, method, path, token, body string) map[string]any {
		t.Helper()
		status, b, v := c.do(method, path, token, body)
		if status != wantStatus {
			t.Fatalf("%s: status %d, want %d: %s", name, status, wantStatus, b)
		}
		if writeGolden {
			golden(t, name, status, b)
		}
		return v
	}
	check("post-no-auth", 401, "POST", "/api/1/builds/", "", `{"modules": ["alpha:1"]}`)
	check("post-bad-token", 401, "POST", "/api/1/builds/", "nope", `{"modules": ["alpha:1"]}`)
	check("post-not-rebuilder", 403, "POST", "/api/1/builds/", "tok-eve", `{"modules": ["alpha:1"]}`)
	check("post-bad-request", 400, "POST", "/api/1/builds/", "tok-alice", `{"modules": ["alpha"], "component": "x"}`)
	check("post-bad-type", 400, "POST", "/api/1/builds/", "tok-alice", `{"dry_run": "yes", "modules": ["alpha:1"]}`)
	check("post-unknown-field", 400, "POST", "/api/1/builds/", "tok-alice", `{"errata_id": 12}`)
	check("post-bad-dependency", 400, "POST", "/api/1/builds/", "tok-alice", `{"freshmaker_event_id": 4242}`)

	// alice rebuilds alpha, whose component changed (so it is built,
	// slowly, not reused); she cancels.
	scm.push(gitBase+"rpms/alpha-lib", "main", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	ev := check("post-modules", 200, "POST", "/api/1/builds/", "tok-alice", `{"modules": ["alpha:1"]}`)
	id := int64(ev["id"].(float64))
	builds := ev["builds"].([]any)
	if ev["requester"] != "alice" || ev["state_name"] != "BUILDING" || len(builds) != 1 {
		t.Fatalf("manual event: %v", ev)
	}
	alphaBuild := int64(builds[0].(map[string]any)["build_id"].(float64))
	check("patch-not-requester", 403, "PATCH", fmt.Sprintf("/api/1/events/%d", id), "tok-bob", `{"action": "cancel"}`)
	check("patch-not-rebuilder", 403, "PATCH", fmt.Sprintf("/api/1/events/%d", id), "tok-eve", `{"action": "cancel"}`)
	check("patch-no-action", 400, "PATCH", fmt.Sprintf("/api/1/events/%d", id), "tok-alice", `{}`)
	check("patch-bad-action", 400, "PATCH", fmt.Sprintf("/api/1/events/%d", id), "tok-alice", `{"action": "explode"}`)
	check("patch-missing", 404, "PATCH", "/api/1/events/4242", "tok-alice", `{"action": "cancel"}`)
	if mb, err := w.orch.Get(ctx, alphaBuild); err != nil || !mb.State.Active() {
		t.Fatalf("alpha's rebuild before the cancel: %v %v", mb, err)
	}
	check("patch-cancel", 200, "PATCH", fmt.Sprintf("/api/1/events/%d", id), "tok-alice", `{"action": "cancel"}`)
	check("put", 405, "PUT", fmt.Sprintf("/api/1/events/%d", id), "tok-alice", `{}`)
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	mbs, err := w.orch.Wait(wctx, alphaBuild)
	if err != nil {
		t.Fatal(err)
	}
	if mbs[0].State != orchestrator.StateFailed || mbs[0].StateReason != "Canceled by alice." {
		t.Errorf("alpha's rebuild after the cancel: %s %v", mbs[0].State, mbs[0].StateReason)
	}
	if err := w.orch.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := w.store.Event(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != rebuilds.EventCanceled {
		t.Errorf("canceled event became %s: %s", got.State, got.StateReason)
	}
	checkRows(t, rows(t, w.store, id), []row{{"alpha:1", rebuilds.BuildCanceled, rebuilds.ReasonDirectlyAffected, ""}})
	// Canceling again changes nothing.
	check("patch-cancel-again", 200, "PATCH", fmt.Sprintf("/api/1/events/%d", id), "tok-alice", `{"action": "cancel"}`)

	// A component branch in dry run goes down the chain.
	dry := check("post-component-dry-run", 200, "POST", "/api/1/builds/", "tok-carol", `{"component": "alpha-lib", "branch": "main", "rev": "0123456789abcdef", "dry_run": true}`)
	dryID := int64(dry["id"].(float64))
	checkRows(t, rows(t, w.store, dryID), []row{
		{"alpha:1", rebuilds.BuildDone, rebuilds.ReasonDirectlyAffected, ""},
		{"beta:1", rebuilds.BuildDone, rebuilds.ReasonDependency, "alpha:1"},
		{"gamma:1", rebuilds.BuildSkipped, rebuilds.ReasonDependency, "beta:1"},
	})
	// Again, as a dependent event: it rebuilds what that one did directly.
	again := check("post-depends-on", 200, "POST", "/api/1/builds/", "tok-carol", fmt.Sprintf(`{"freshmaker_event_id": %d, "dry_run": true}`, dryID))
	if again["search_key"] != "alpha:1" || fmt.Sprint(again["depends_on_events"]) != fmt.Sprintf("[%d]", dryID) {
		t.Errorf("dependent event: %v", again)
	}
	check("post-nothing-ready", 200, "POST", "/api/1/builds/", "tok-carol", `{"modules": ["delta:1", "alpha:1:1:deadbeef"], "dry_run": true}`)
	// An admin cancels anybody's event.
	check("patch-admin", 200, "PATCH", fmt.Sprintf("/api/1/events/%d", dryID), "tok-root", `{"action": "cancel"}`)
	for _, n := range mbsCount(t, w.orch, "beta") {
		t.Errorf("beta was rebuilt: %v", n)
	}
	if _, _, a := c.do("GET", "/api/1/about/", "", ""); a["read_only"] != false {
		t.Errorf("about: %v", a)
	}
}

// mbsCount returns the builds of name other than its first.
func mbsCount(t *testing.T, orch *orchestrator.Service, name string) []string {
	var out []string
	for _, mb := range moduleBuilds(t, orch, name)[1:] {
		out = append(out, mb.NSVC()+" "+mb.State.String())
	}
	return out
}
