package rebuilds_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modkit/modkit/orchestrator/rebuilds"
)

func TestAPI(t *testing.T) {
	t.Parallel()
	scm := newGitSCM()
	setupABC(scm)
	w := newWorld(t, t.TempDir(), scm, &rebuilds.Options{Rules: blockGamma(t), DryRun: true})
	w.build("alpha")
	w.build("beta")
	w.build("gamma")
	ctx := context.Background()
	rev := scm.push(gitBase+"rpms/alpha-lib", "main", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	ev, err := w.rs.Handle(ctx, pushMessage("push-api", "alpha-lib", "main", rev, "alpha-lib.spec"))
	if err != nil {
		t.Fatal(err)
	}
	w.settle(ev.ID)
	srv := httptest.NewServer(rebuilds.NewHandler(w.store, &rebuilds.APIOptions{DryRun: true, Version: "test"}))
	defer srv.Close()
	get := func(path string, wantStatus int) map[string]any {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if resp.StatusCode != wantStatus {
			t.Fatalf("%s: status %d, want %d: %v", path, resp.StatusCode, wantStatus, v)
		}
		return v
	}
	l := get("/api/1/events/?event_type_id=2&state=complete", 200)
	items := l["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("events: %v", l)
	}
	e := items[0].(map[string]any)
	if e["message_id"] != "push-api" || e["state_name"] != "COMPLETE" || e["dry_run"] != true || len(e["builds"].([]any)) != 3 {
		t.Errorf("event: %v", e)
	}
	one := get("/api/1/events/"+strconvI(ev.ID), 200)
	if one["search_key"] != "rpms/alpha-lib@main" {
		t.Errorf("event %d: %v", ev.ID, one)
	}
	bl := get("/api/1/builds/?event_id="+strconvI(ev.ID)+"&state=skipped", 200)
	bs := bl["items"].([]any)
	if len(bs) != 1 || bs[0].(map[string]any)["name"] != "gamma:1" || !strings.Contains(bs[0].(map[string]any)["state_reason"].(string), "blocklist") {
		t.Fatalf("skipped builds: %v", bl)
	}
	page := get("/api/1/builds/?event_id="+strconvI(ev.ID)+"&per_page=2&page=2", 200)
	if m := page["meta"].(map[string]any); m["total"] != float64(3) || m["pages"] != float64(2) || len(page["items"].([]any)) != 1 || m["next"] != nil {
		t.Errorf("page 2: %v", page)
	}
	b := get("/api/2/builds/"+strconvI(int64(bs[0].(map[string]any)["id"].(float64))), 200)
	if b["path"] == "" || b["type_name"] != "MODULE" {
		t.Errorf("build: %v", b)
	}
	if a := get("/api/1/about/", 200); a["dry_run"] != true {
		t.Errorf("about: %v", a)
	}
	if et := get("/api/1/event-types/2", 200); et["name"] != "GitRPMSpecChangeEvent" {
		t.Errorf("event type 2: %v", et)
	}
	for path, status := range map[string]int{
		"/api/1/events/999":          404,
		"/api/1/events/x":            400,
		"/api/1/events/?colour=blue": 400,
		"/api/1/builds/?state=happy": 400,
		"/api/1/events/?per_page=0":  400,
		"/api/1/nothing/":            404,
		"/other":                     404,
	} {
		if v := get(path, status); v["message"] == "" {
			t.Errorf("%s: no message: %v", path, v)
		}
	}
	resp, err := http.Post(srv.URL+"/api/1/events/", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("POST: %d", resp.StatusCode)
	}
}

func strconvI(i int64) string { return strconv.FormatInt(i, 10) }
