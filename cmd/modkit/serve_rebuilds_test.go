package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeRebuilds: with --rebuilds dry-run, the orchestrator's events
// reach the rebuild service in-process and are listed by /api/1/events/.
func TestServeRebuilds(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	addr := freeAddr(t)
	block := filepath.Join(dir, "block.json")
	if err := os.WriteFile(block, []byte(`{"global": {"module": {"name": "private-"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var serr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, []string{"--listen", addr, "--state-dir", filepath.Join(dir, "state"), "--auth", "none",
			"--builder", "zero", "--platform", "f40", "--allow-yaml", "--allow-component-repository", "--rebuilds", "dry-run", "--rebuild-blocklist", block}, nil, &bytes.Buffer{}, &serr)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	server := "http://" + addr
	getJSON := func(path string) (int, map[string]any) {
		resp, err := http.Get(server + path)
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		var v map[string]any
		json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}
	for i := 0; ; i++ {
		if code, v := getJSON("/api/1/about/"); code == 200 {
			if v["dry_run"] != true {
				t.Fatalf("about: %v", v)
			}
			break
		}
		if i > 300 {
			t.Fatalf("server did not start:\n%s", serr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	yaml := `document: modulemd
version: 2
data:
  name: hello
  stream: "1"
  summary: Hello
  description: Hello.
  license: {module: [MIT]}
  dependencies:
  - buildrequires: {platform: [f40]}
    requires: {platform: [f40]}
  components:
    rpms:
      hello: {rationale: x, repository: ` + gitRepo(t) + `, ref: HEAD}
`
	body, _ := json.Marshal(map[string]any{"modulemd": yaml})
	resp, err := http.Post(server+"/module-build-service/2/module-builds/", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("submit: %d\n%s", resp.StatusCode, serr.String())
	}
	for i := 0; ; i++ {
		_, v := getJSON("/api/1/events/?event_type_id=0")
		if items, _ := v["items"].([]any); len(items) == 1 {
			e := items[0].(map[string]any)
			if e["state_name"] == "INITIALIZED" && i <= 1000 {
				// Recorded, not handled yet.
				time.Sleep(20 * time.Millisecond)
				continue
			}
			if e["search_key"] != "hello:1" || e["state_name"] != "SKIPPED" || !strings.Contains(e["state_reason"].(string), "buildrequires hello:1") {
				t.Fatalf("event: %v", e)
			}
			break
		}
		if i > 1000 {
			t.Fatalf("the ready event never reached the rebuild service: %v\n%s", v, serr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
