package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/amqpbus"
	"github.com/modkit/modkit/orchestrator/sqlstore"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWatcherImages: a Bodhi stable push of libfoo on the bus makes the
// watcher print the image rebuilds it would cause, the parent first.
func TestWatcherImages(t *testing.T) {
	amqpURL := os.Getenv("MODKIT_TEST_AMQP_URL")
	if amqpURL == "" {
		testenv.SkipOrFatal(t, "MODKIT_TEST_AMQP_URL is not set: no RabbitMQ for the watcher test")
	}
	ctx := context.Background()
	hub := kojitest.New(t)
	c, err := koji.NewClient(hub.URL(), koji.WithHTTPClient(hub.Client()),
		koji.WithAuth(koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword}))
	if err != nil {
		t.Fatal(err)
	}
	ok := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ok(c.Login(ctx))
	_, err = c.CreateTag(ctx, "f40-build", &koji.CreateTagOptions{Arches: []string{"x86_64"}})
	ok(err)
	_, err = c.CreateTag(ctx, "f40-candidate", nil)
	ok(err)
	ok(c.CreateTarget(ctx, "f40-candidate", koji.Name("f40-build"), koji.Name("f40-candidate")))
	ok(c.AddPackage(ctx, koji.Name("f40-candidate"), "libfoo", &koji.AddPackageOptions{Owner: kojitest.AdminUser}))
	for _, rel := range []string{"1.fc40", "2.fc40"} {
		id, err := c.Build(ctx, "git+https://src.example.org/rpms/libfoo.git#"+rel, "f40-candidate", nil)
		ok(err)
		ok(hub.CompleteTask(id, &kojitest.BuildSpec{Version: "1.0", Release: rel, Arches: []string{"x86_64"}}))
	}
	for _, img := range []struct{ name, parent string }{{"base", ""}, {"app", "base-1.0-1"}} {
		id, err := c.BuildContainer(ctx, "git+https://src.example.org/container/"+img.name+"#1", "f40-candidate",
			&koji.ContainerBuildOptions{GitBranch: "f40", KojiParentBuild: img.parent})
		ok(err)
		_, err = hub.CompleteContainerTask(id, &kojitest.ImageSpec{RPMs: []string{"libfoo-1.0-1.fc40.x86_64"}})
		ok(err)
	}
	stateDir := t.TempDir()
	st, err := sqlstore.Open(ctx, stateDir+"/modkit.db", nil)
	ok(err)
	st.Close()

	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run([]string{"--bus", amqpURL, "--state-dir", stateDir, "--koji", hub.URL(), "--record", t.TempDir() + "/w.db"}, out)
	}()
	bus, err := amqpbus.New(amqpURL, nil)
	ok(err)
	defer bus.Close()
	body, _ := json.Marshal(map[string]any{"agent": "bodhi", "update": map[string]any{"alias": "FEDORA-2026-w1",
		"builds": []any{map[string]any{"nvr": "libfoo-1.0-2.fc40"}}, "release": map[string]any{"name": "F40"}}})
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(out.String(), "image app-1.0-1") {
		if time.Now().After(deadline) {
			t.Fatalf("the watcher printed no image decisions:\n%s", out.String())
		}
		// The watcher's queue exists once it consumes: publish until then
		// (redeliveries of one message id are one event).
		ok(bus.Publish(ctx, []orchestrator.Event{{Topic: "org.fedoraproject.prod.bodhi.update.complete.stable", MessageID: "w-1", Body: body, Time: time.Now()}}))
		time.Sleep(300 * time.Millisecond)
	}
	ok(syscall.Kill(os.Getpid(), syscall.SIGINT))
	select {
	case err := <-done:
		ok(err)
	case <-time.After(30 * time.Second):
		t.Fatal("the watcher did not stop on SIGINT")
	}
	got := out.String()
	t.Logf("watcher output:\n%s", got)
	for _, want := range []string{
		"BodhiUpdateCompleteStableEvent FEDORA-2026-w1: rebuilds: 2 done",
		"done     image base-1.0-1: dry run: would build git+https://src.example.org/container/base#1 in f40-candidate",
		"path: FEDORA-2026-w1 [libfoo-1.0-2.fc40] -> base:f40 -> app:f40",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Index(got, "image base-1.0-1") > strings.Index(got, "image app-1.0-1") {
		t.Errorf("app printed before its parent:\n%s", got)
	}
}
