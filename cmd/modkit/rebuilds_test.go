package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRebuildsCLI drives `modkit rebuilds` against a real `modkit serve
// --rebuilds on`: a manual dry run, a real manual rebuild, list, show and
// cancel, and the errors a user meets.
func TestRebuildsCLI(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	chainRepos(t, root)
	server := startServer(t, "--allow-component-repository", "--scm-allow", "file://"+root+"/", "--rebuilds", "on", "--zero-build-time", "1s")
	for _, m := range []string{"alpha", "beta", "gamma"} {
		buildReady(t, server, root, m)
	}
	ctx := t.Context()
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := withCommand("rebuilds", runRebuilds(ctx, append(args, "--server", server), nil, &out, &bytes.Buffer{}))
		return out.String(), err
	}
	out, err := run("trigger", "--token", "tok-a", "--dry-run", "alpha:1")
	if err != nil {
		t.Fatalf("trigger --dry-run: %v\n%s", err, out)
	}
	for _, want := range []string{": COMPLETE (dry run)", "requester: alice", "alpha:1: DONE (directly_affected)", "beta:1: DONE (dependency)", "gamma:1: DONE (dependency)",
		"path: manual request by alice -> alpha:1 -> beta:1 -> gamma:1"} {
		if !strings.Contains(out, want) {
			t.Errorf("trigger --dry-run output lacks %q:\n%s", want, out)
		}
	}
	// A real one, whose component changed: alpha builds (1 s a component), then
	// beta would; canceled while alpha builds.
	git(t, filepath.Join(root, "rpms", "alpha-lib"), "commit", "-q", "--allow-empty", "-m", "second")
	out, err = run("trigger", "--token", "tok-a", "--json", "--component", "alpha-lib", "--branch", "main")
	if err != nil {
		t.Fatalf("trigger --component: %v\n%s", err, out)
	}
	var ev struct {
		ID        int64  `json:"id"`
		StateName string `json:"state_name"`
		Builds    []struct {
			Name      string `json:"name"`
			StateName string `json:"state_name"`
		} `json:"builds"`
	}
	if err := json.Unmarshal([]byte(out), &ev); err != nil || ev.StateName != "BUILDING" || len(ev.Builds) != 1 || ev.Builds[0].Name != "alpha:1" {
		t.Fatalf("trigger --component --json: %v\n%s", err, out)
	}
	id := strconv.FormatInt(ev.ID, 10)
	if out, err := run("cancel", id); err == nil || !strings.Contains(err.Error(), "No 'authorization' header found.") {
		t.Errorf("cancel without a token: %v\n%s", err, out)
	}
	out, err = run("cancel", "--token", "tok-a", id)
	if err != nil || !strings.Contains(out, "event "+id+": CANCELED") || !strings.Contains(out, "CANCELED (directly_affected, module build 4)") {
		t.Errorf("cancel: %v\n%s", err, out)
	}
	out, err = run("list", "--state", "canceled")
	if err != nil || !strings.Contains(out, "CANCELED") || !strings.Contains(out, "rpms/alpha-lib@main") || !strings.Contains(out, "(1 events)") {
		t.Errorf("list --state canceled: %v\n%s", err, out)
	}
	out, err = run("show", id)
	if err != nil || !strings.Contains(out, "requested for canceling by user alice") {
		t.Errorf("show: %v\n%s", err, out)
	}
	// alpha's module build is canceled in the service.
	for i := 0; ; i++ {
		_, mb := apiJSON(t, "GET", server+"/module-build-service/2/module-builds/4", "", "")
		if mb["state_name"] == "failed" {
			if mb["state_reason"] != "Canceled by alice." {
				t.Errorf("module build 4: %v", mb["state_reason"])
			}
			break
		}
		if i > 500 {
			t.Fatalf("module build 4 after the cancel: %v", mb)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for args, want := range map[string]string{
		"show 999":                               "server: No such event found.",
		"trigger --token tok-a alpha":            `"alpha" is not name:stream`,
		"trigger --token tok-a --depends-on 999": `"freshmaker_event_id" 999 is not an event`,
	} {
		if out, err := run(strings.Fields(args)...); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q\n%s", args, err, want, out)
		}
	}
	if _, err := run("trigger"); err == nil || !strings.Contains(err.Error(), "name the modules to rebuild") {
		t.Errorf("trigger without arguments: %v", err)
	}
}
