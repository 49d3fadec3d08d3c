package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modkit/modkit/internal/kojihub"
	"github.com/modkit/modkit/koji/kojitest"
)

// The helper process of the multi-process koji tests: a kojitest hub
// (internal/kojihub) with the options in kojiHubEnv (JSON), serving until
// SIGTERM.
const kojiHubEnv = "MODKIT_TEST_KOJIHUB_OPTS"

func TestKojiHubHelper(t *testing.T) {
	raw := os.Getenv(kojiHubEnv)
	if raw == "" {
		t.Skip("helper process of the multi-process koji tests")
	}
	var opts kojihub.Options
	if err := json.Unmarshal([]byte(raw), &opts); err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := kojihub.Serve(ctx, &opts, os.Stdout); err != nil {
		t.Fatal(err)
	}
}

// startKojiHub starts a kojitest hub in a process of its own (so that it
// outlives the serve processes the test kills), with build tasks that run
// buildTime, and returns its URL and the serve arguments of the koji
// builder against it (platform f40). The hub stops when the test ends.
func startKojiHub(t testing.TB, buildTime time.Duration) (url string, serveArgs []string) {
	t.Helper()
	raw, _ := json.Marshal(&kojihub.Options{BuildTime: buildTime, Platforms: []string{"f40"}})
	cmd := exec.Command(os.Args[0], "-test.run=^TestKojiHubHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), kojiHubEnv+"="+string(raw))
	dir := t.TempDir()
	log, err := os.Create(filepath.Join(dir, "hub.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = log
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		log.Close()
	})
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "url "); ok {
				urlc <- u
			}
		}
		cmd.Wait()
		close(done)
	}()
	select {
	case url = <-urlc:
	case <-done:
		b, _ := os.ReadFile(filepath.Join(dir, "hub.log"))
		t.Fatalf("the koji hub process ended before it was ready:\n%s", b)
	case <-time.After(2 * time.Minute):
		t.Fatal("the koji hub process did not start in 2 minutes")
	}
	pw := filepath.Join(dir, "password")
	if err := os.WriteFile(pw, []byte(kojitest.AdminPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return url, []string{"--builder", "koji", "--koji-hub", url, "--koji-user", kojitest.AdminUser, "--koji-password-file", pw, "--platform", "f40"}
}
