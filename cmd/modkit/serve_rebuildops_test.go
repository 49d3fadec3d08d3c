package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/orchestrator/pgstore/pgtest"
)

func randHex() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// chainRepos makes, under root, dist-git-like repositories: rpms/<m>-lib
// (branch main) and modules/<m> (branch 1, <m>.yaml) for alpha <- beta <-
// gamma (beta buildrequires alpha, gamma beta).
func chainRepos(t *testing.T, root string) {
	t.Helper()
	testenv.RequireTools(t, "git")
	for _, m := range []struct{ name, br string }{{"alpha", ""}, {"beta", "alpha"}, {"gamma", "beta"}} {
		comp := filepath.Join(root, "rpms", m.name+"-lib")
		os.MkdirAll(comp, 0o755)
		git(t, comp, "init", "-q", "--initial-branch=main")
		os.WriteFile(filepath.Join(comp, m.name+"-lib.spec"), []byte("Name: "+m.name+"-lib\n"), 0o644)
		git(t, comp, "add", "-A")
		git(t, comp, "commit", "-q", "-m", "first")
		mod := filepath.Join(root, "modules", m.name)
		os.MkdirAll(mod, 0o755)
		git(t, mod, "init", "-q", "--initial-branch=1")
		brs := "platform: [f40]"
		if m.br != "" {
			brs += ", " + m.br + ": [\"1\"]"
		}
		yaml := fmt.Sprintf(`document: modulemd
version: 2
data:
  summary: %[1]s
  description: Module %[1]s.
  license: {module: [MIT]}
  dependencies:
  - buildrequires: {%[2]s}
    requires: {platform: [f40]}
  components:
    rpms:
      %[1]s-lib: {rationale: x, repository: "file://%[3]s", ref: main}
`, m.name, brs, comp)
		os.WriteFile(filepath.Join(mod, m.name+".yaml"), []byte(yaml), 0o644)
		git(t, mod, "add", "-A")
		git(t, mod, "commit", "-q", "-m", "first")
	}
}

func apiJSON(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var v map[string]any
	json.NewDecoder(resp.Body).Decode(&v)
	return resp.StatusCode, v
}

// buildReady submits root/modules/name at branch 1 and waits until ready.
func buildReady(t *testing.T, server, root, name string) {
	t.Helper()
	code, v := apiJSON(t, "POST", server+"/module-build-service/1/module-builds/", "tok-a",
		fmt.Sprintf(`{"scmurl": "file://%s/modules/%s?#1", "branch": "1"}`, root, name))
	if code != http.StatusCreated {
		t.Fatalf("submit %s: %d %v", name, code, v)
	}
	id := int(v["id"].(float64))
	for i := 0; ; i++ {
		_, mb := apiJSON(t, "GET", fmt.Sprintf("%s/module-build-service/2/module-builds/%d", server, id), "", "")
		if mb["state_name"] == "ready" {
			return
		}
		if mb["state_name"] == "failed" || i > 3000 {
			t.Fatalf("module build %s: %v", name, mb)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServeRebuildsAMQP: `modkit serve --rebuilds on --bus` consumes a
// dist-git push from RabbitMQ and rebuilds alpha <- beta (gamma blocked);
// the same message published twice is handled once.
func TestServeRebuildsAMQP(t *testing.T) {
	t.Parallel()
	url := os.Getenv("MODKIT_TEST_AMQP_URL")
	if url == "" {
		testenv.SkipOrFatal(t, "MODKIT_TEST_AMQP_URL is not set (a RabbitMQ URL; eval \"$(hack/rabbitmq.sh up DIR)\" starts one)")
	}
	root := t.TempDir()
	chainRepos(t, root)
	dir := t.TempDir()
	block := filepath.Join(dir, "block.json")
	os.WriteFile(block, []byte(`{"global": {"module": {"name": "gamma"}}}`), 0o600)
	prefix, queue := "org.modkit.test"+randHex(), "modkit-rebuilds-test-"+randHex()
	t.Cleanup(func() {
		if conn, err := amqp.Dial(url); err == nil {
			if ch, err := conn.Channel(); err == nil {
				ch.QueueDelete(queue, false, false, false)
			}
			conn.Close()
		}
	})
	server := startServer(t, "--allow-component-repository", "--scm-allow", "file://"+root+"/", "--rebuilds", "on",
		"--rebuild-blocklist", block, "--bus", url, "--topic-prefix", prefix, "--rebuild-queue", queue, "--rebuild-topic", prefix+".git.receive")
	for _, m := range []string{"alpha", "beta", "gamma"} {
		buildReady(t, server, root, m)
	}
	comp := filepath.Join(root, "rpms", "alpha-lib")
	os.WriteFile(filepath.Join(comp, "alpha-lib.spec"), []byte("Name: alpha-lib\nRelease: 2\n"), 0o644)
	git(t, comp, "commit", "-q", "-am", "second")
	body, _ := json.Marshal(map[string]any{"commit": map[string]any{"namespace": "rpms", "repo": "alpha-lib", "branch": "main", "rev": "0123456789abcdef",
		"stats": map[string]any{"files": map[string]any{"alpha-lib.spec": map[string]int{"additions": 1, "deletions": 0, "lines": 1}}}}})
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	ch.Confirm(false)
	msgID := "push-" + randHex()
	for range 2 {
		dc, err := ch.PublishWithDeferredConfirm("amq.topic", prefix+".git.receive", false, false, amqp.Publishing{
			ContentType: "application/json", DeliveryMode: amqp.Persistent, MessageId: msgID, Body: body})
		if err != nil || !dc.Wait() {
			t.Fatalf("publish: %v", err)
		}
	}
	var ev map[string]any
	for i := 0; ; i++ {
		_, v := apiJSON(t, "GET", server+"/api/1/events/?message_id="+msgID, "", "")
		if items, _ := v["items"].([]any); len(items) == 1 {
			ev = items[0].(map[string]any)
			if ev["state_name"] == "COMPLETE" || ev["state_name"] == "FAILED" {
				break
			}
		}
		if i > 3000 {
			t.Fatalf("event of the push: %v", v)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var got []string
	for _, b := range ev["builds"].([]any) {
		b := b.(map[string]any)
		got = append(got, fmt.Sprint(b["name"], " ", b["state_name"]))
	}
	if want := "alpha:1 DONE, beta:1 DONE, gamma:1 SKIPPED"; strings.Join(got, ", ") != want {
		t.Errorf("rebuilds: %s, want %s (%v)", strings.Join(got, ", "), want, ev["state_reason"])
	}
	for name, want := range map[string]float64{"alpha": 2, "beta": 2, "gamma": 1} {
		_, l := apiJSON(t, "GET", server+"/module-build-service/2/module-builds/?name="+name, "", "")
		if n := l["meta"].(map[string]any)["total"]; n != want {
			t.Errorf("%s: %v module builds, want %v", name, n, want)
		}
	}
}

// TestServeRebuildsAMQPCluster: two `modkit serve --db` processes consume
// one rebuild queue; each message, duplicates included, is handled by one
// of them, once, and both get work.
func TestServeRebuildsAMQPCluster(t *testing.T) {
	t.Parallel()
	url := os.Getenv("MODKIT_TEST_AMQP_URL")
	if url == "" {
		testenv.SkipOrFatal(t, "MODKIT_TEST_AMQP_URL is not set (a RabbitMQ URL; eval \"$(hack/rabbitmq.sh up DIR)\" starts one)")
	}
	if os.Getenv("MODKIT_TEST_PG_URL") == "" {
		testenv.SkipOrFatal(t, "MODKIT_TEST_PG_URL is not set: no PostgreSQL server for serve processes sharing a database")
	}
	db := pgtest.NewDatabase(t)
	prefix, queue := "org.modkit.test"+randHex(), "modkit-rebuilds-test-"+randHex()
	t.Cleanup(func() {
		if conn, err := amqp.Dial(url); err == nil {
			if ch, err := conn.Channel(); err == nil {
				ch.QueueDelete(queue, false, false, false)
			}
			conn.Close()
		}
	})
	c := newCluster(t, 2, db, []string{"--auth", "none", "--builder", "zero", "--platform", "f40", "-v", "--rebuilds", "on",
		"--bus", url, "--topic-prefix", prefix, "--rebuild-queue", queue, "--rebuild-topic", prefix + ".git.receive"})
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	ch.Confirm(false)
	// Both processes consume before anything is published.
	for i := 0; ; i++ {
		q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
		if err == nil && q.Consumers == 2 {
			break
		}
		if err != nil {
			if ch, err = conn.Channel(); err != nil {
				t.Fatal(err)
			}
		}
		if i > 1000 {
			t.Fatalf("queue %s: %+v %v", queue, q, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ch.Confirm(false)
	const n = 30
	// Every message, then every one again.
	start := time.Now()
	for j := range 2 * n {
		i := j % n
		body, _ := json.Marshal(map[string]any{"commit": map[string]any{"namespace": "rpms", "repo": fmt.Sprintf("nobody-%d", i), "branch": "main",
			"rev": "0123456789abcdef", "stats": map[string]any{"files": map[string]any{"x.spec": map[string]int{"lines": 1}}}}})
		{
			dc, err := ch.PublishWithDeferredConfirm("amq.topic", prefix+".git.receive", false, false, amqp.Publishing{
				ContentType: "application/json", DeliveryMode: amqp.Persistent, MessageId: fmt.Sprintf("push-%d", i), Body: body})
			if err != nil || !dc.Wait() {
				t.Fatalf("publish: %v", err)
			}
		}
	}
	server := "http://" + c.addrs[0]
	for i := 0; ; i++ {
		_, v := apiJSON(t, "GET", server+"/api/1/events/?state=skipped&per_page=100", "", "")
		if m, _ := v["meta"].(map[string]any); m != nil && m["total"] == float64(n) {
			seen := map[string]bool{}
			for _, e := range v["items"].([]any) {
				seen[e.(map[string]any)["message_id"].(string)] = true
			}
			if len(seen) != n {
				t.Errorf("%d distinct messages among %d events", len(seen), n)
			}
			t.Logf("%d messages (%d distinct) published and handled by 2 processes in %v", 2*n, n, time.Since(start).Round(time.Millisecond))
			break
		}
		if i > 3000 {
			t.Fatalf("events: %v", v["meta"])
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // the duplicates, acknowledged after their originals
	_, v := apiJSON(t, "GET", server+"/api/1/events/", "", "")
	if total := v["meta"].(map[string]any)["total"]; total != float64(n) {
		t.Errorf("%v events, want %d", total, n)
	}
	for i := range 2 {
		log, _ := os.ReadFile(filepath.Join(c.dir, fmt.Sprintf("serve-%d.log", i)))
		if k := strings.Count(string(log), "rebuilds: event handled"); k == 0 {
			t.Errorf("serve %d handled no event:\n%s", i, log)
		} else {
			t.Logf("serve %d handled %d events", i, k)
		}
	}
}
