package odcs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modkit/modkit/pungi"
	"github.com/modkit/modkit/pungi/odcs"
)

func pungiCreateRepo(dir string) error { return pungi.CreateRepo(context.Background(), dir) }

// exchange sends one request and returns "METHOD PATH [as USER]\n-> STATUS\nBODY".
func exchange(t *testing.T, e *env, method, path, token, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestAPIGolden pins ODCS's API answers: submit, get, reuse, list with
// filters and pages, renew, delete, expiry, and the 400/401/403/404
// errors.
// The same answers on SQLite and on PostgreSQL.
func TestAPIGolden(t *testing.T) {
	t.Parallel()
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			t.Parallel()
			testAPIGolden(t, pg)
		})
	}
}

func testAPIGolden(t *testing.T, pg bool) {
	root := t.TempDir()
	repo := emptyRepo(t, filepath.Join(root, "repos", "base"))
	e := newEnv(t, &odcs.Options{Store: openStore(t, pg), RepoRoots: []string{filepath.Join(root, "repos")}, Arches: []string{"x86_64"}, Workers: 1})
	ctx := context.Background()
	var log strings.Builder
	step := func(title, method, path, token, body string) string {
		status, out := exchange(t, e, method, path, token, body)
		fmt.Fprintf(&log, "### %s\n%s %s", title, method, path)
		if token != "" {
			fmt.Fprintf(&log, " (token %s)", token)
		}
		if body != "" {
			fmt.Fprintf(&log, "\n%s", body)
		}
		fmt.Fprintf(&log, "\n-> %d\n%s\n", status, out)
		return out
	}
	wait := func(id int64) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		c, err := e.svc.Wait(wctx, id)
		if err != nil || c.State != odcs.StateDone {
			t.Fatalf("compose %d: %v %+v", id, err, c)
		}
	}
	req := `{"source": {"type": "repo", "source": "` + repo + `"}, "seconds_to_live": 3600}`
	step("submit without credentials", "POST", "/api/1/composes/", "", req)
	step("submit with a bad token", "POST", "/api/1/composes/", "nope", req)
	step("submit by a user outside the allowed groups", "POST", "/api/1/composes/", "eve-token", req)
	step("submit a bad request: every problem at once", "POST", "/api/1/composes/", "alice-token",
		`{"source": {"type": "module", "source": "platform:f40 nostream"}, "flags": ["no_such_flag"], "arches": ["src"], "compose_type": "weekly"}`)
	step("submit with an unknown field", "POST", "/api/1/composes/", "alice-token", `{"source": {"type": "tag", "source": "f40"}, "secs": 3}`)
	step("submit a repo outside the roots", "POST", "/api/1/composes/", "alice-token", `{"source": {"type": "repo", "source": "/etc"}}`)
	step("submit", "POST", "/api/1/composes/", "alice-token", req)
	wait(1)
	step("get the done compose", "GET", "/api/1/composes/1", "", "")
	if _, err := os.Stat(filepath.Join(e.svc.Dir(&odcs.Compose{ID: 1}), "compose", "Temporary", "x86_64", "os", "repodata", "repomd.xml")); err != nil {
		t.Errorf("compose 1 has no repository: %v", err)
	}
	_, repofile := exchange(t, e, "GET", "/composes/odcs-1/compose/Temporary/odcs-1.repo", "", "")
	if !strings.Contains(repofile, "[odcs-1]\nname=ODCS repository for compose odcs-1\nbaseurl="+e.srv.URL+"/composes/odcs-1/compose/Temporary/$basearch/os\n") {
		t.Errorf("repo file:\n%s", repofile)
	}
	e.clock.Add(time.Minute)
	step("submit the same again: reused", "POST", "/api/1/composes/", "bob-token", strings.Replace(req, "3600", "7200", 1))
	wait(2)
	step("get the reusing compose", "GET", "/api/1/composes/2", "", "")
	step("submit with no_reuse", "POST", "/api/1/composes/", "bob-token", `{"source": {"type": "repo", "source": "`+repo+`"}, "flags": ["no_reuse"], "label": "Beta-1.0"}`)
	wait(3)
	step("list by owner", "GET", "/api/1/composes/?owner=bob&order_by=id", "", "")
	step("list by state and source type, page 2 of 1 per page", "GET", "/api/1/composes/?state=done&source_type=repo&per_page=1&page=2", "", "")
	step("list with a bad filter", "GET", "/api/1/composes/?state=finished&color=red", "", "")
	e.clock.Add(time.Minute)
	step("renew", "PATCH", "/api/1/composes/1", "alice-token", `{"seconds_to_live": 100000}`)
	step("renew beyond the maximum", "PATCH", "/api/1/composes/3", "alice-token", `{"seconds_to_live": 999999999}`)
	step("delete someone else's compose", "DELETE", "/api/1/composes/3", "alice-token", "")
	step("delete own compose", "DELETE", "/api/1/composes/3", "bob-token", "")
	step("get a missing compose", "GET", "/api/1/composes/99", "", "")
	step("get a bad id", "GET", "/api/1/composes/abc", "", "")
	if _, err := e.svc.Reap(ctx); err != nil {
		t.Fatal(err)
	}
	step("after the reaper: removed by its owner", "GET", "/api/1/composes/3", "", "")
	if _, err := os.Stat(filepath.Join(e.svc.Dir(&odcs.Compose{ID: 3}))); !os.IsNotExist(err) {
		t.Errorf("compose 3's directory is still there: %v", err)
	}
	// Past every expiry: 1 and 2 expire; 1's files go once nothing
	// reuses them.
	e.clock.Add(200000 * time.Second)
	removed, err := e.svc.Reap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&log, "### reaper after 200000 s removed %v\n", removed)
	step("expired", "GET", "/api/1/composes/1", "", "")
	if _, err := os.Stat(filepath.Join(e.svc.Dir(&odcs.Compose{ID: 1}))); !os.IsNotExist(err) {
		t.Errorf("compose 1's directory is still there after expiry: %v", err)
	}
	step("renew a removed compose: a new compose", "PATCH", "/api/1/composes/1", "alice-token", "")
	wait(4)
	step("about", "GET", "/api/1/about/", "", "")
	checkGolden(t, filepath.Join("testdata", "api.golden"), []byte(normalize(strings.ReplaceAll(log.String(), repo, "$REPO"), e.srv.URL)))
	var c odcs.Compose
	_, out := exchange(t, e, "GET", "/api/1/composes/4", "", "")
	if err := json.Unmarshal([]byte(out), &c); err != nil || c.State != odcs.StateDone || c.KojiEvent == 0 {
		t.Errorf("compose 4 does not read back: %v %+v", err, c)
	}
}
