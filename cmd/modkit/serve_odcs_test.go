package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/pungi"
)

// TestServeODCS: serve --odcs-target-dir answers ODCS's API with token
// auth, and modkit odcs submits (--watch), lists, fetches the .repo file
// and is refused a delete of someone else's compose.
func TestServeODCS(t *testing.T) {
	t.Parallel()
	testenv.RequireTools(t, "createrepo_c")
	dir := t.TempDir()
	addr := freeAddr(t)
	repo := filepath.Join(dir, "repos", "base")
	os.MkdirAll(repo, 0o755)
	if err := pungi.CreateRepo(context.Background(), repo); err != nil {
		t.Fatal(err)
	}
	tokens := filepath.Join(dir, "tokens")
	os.WriteFile(tokens, []byte("tok-alice alice packager\ntok-bob bob packager\n"), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	var serr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, []string{"--listen", addr, "--state-dir", filepath.Join(dir, "state"), "--tokens", tokens,
			"--builder", "zero", "--platform", "f40", "--odcs-target-dir", filepath.Join(dir, "composes"),
			"--odcs-repo-root", filepath.Join(dir, "repos"), "--odcs-arch", "x86_64"}, nil, &bytes.Buffer{}, &serr)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	server := "http://" + addr
	for i := 0; ; i++ {
		if resp, err := http.Get(server + "/api/1/about/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if i > 300 {
			t.Fatalf("server did not start:\n%s", serr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cli := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		err := runODCS(ctx, append(args, "--server", server), nil, &out, &errb)
		code := 0
		if err != nil {
			code = 1
			errb.WriteString(err.Error())
		}
		return code, out.String(), errb.String()
	}
	code, out, errs := cli("submit", "--type", "repo", repo, "--watch", "--interval", "50ms", "--token", "tok-alice")
	if code != 0 || !strings.Contains(out, "compose 1: done") || !strings.Contains(out, "repofile: "+server+"/composes/odcs-1/compose/Temporary/odcs-1.repo") {
		t.Fatalf("submit --watch: %d\n%s\n%s", code, out, errs)
	}
	resp, err := http.Get(server + "/composes/odcs-1/compose/Temporary/odcs-1.repo")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "baseurl="+server+"/composes/odcs-1/compose/Temporary/$basearch/os") {
		t.Errorf(".repo file: %d\n%s", resp.StatusCode, body)
	}
	code, out, _ = cli("list", "--json", "--state", "done")
	var list struct {
		Items []map[string]any `json:"items"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list.Items) != 1 || list.Items[0]["owner"] != "alice" {
		t.Errorf("list --json: %d\n%s", code, out)
	}
	if code, _, errs := cli("submit", "--type", "repo", repo); os.Getenv("MODKIT_TOKEN") == "" && (code == 0 || !strings.Contains(errs, "401")) {
		t.Errorf("submit without a token: %d %s", code, errs)
	}
	if code, _, errs := cli("delete", "1", "--token", "tok-bob"); code == 0 || !strings.Contains(errs, "HTTP 403") {
		t.Errorf("delete by bob: %d %s", code, errs)
	}
	if code, out, errs := cli("delete", "1", "--token", "tok-alice"); code != 0 || !strings.Contains(out, "accepted") {
		t.Errorf("delete by alice: %d %s %s", code, out, errs)
	}
	if resp, err := http.Get(server + "/composes/.work-1/x"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("a dot directory is served: %d", resp.StatusCode)
		}
	}
}
