package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
)

// TestServeRebuildImages: `modkit serve --rebuild-images on` takes a
// stable Bodhi update of libfoo from the bus, rebuilds the base image
// that ships an older libfoo in the koji hub of --koji-*, and, once that
// task is done (found by polling), the app image FROM the new base.
func TestServeRebuildImages(t *testing.T) {
	t.Parallel()
	url := os.Getenv("MODKIT_TEST_AMQP_URL")
	if url == "" {
		testenv.SkipOrFatal(t, "MODKIT_TEST_AMQP_URL is not set (a RabbitMQ URL; eval \"$(hack/rabbitmq.sh up DIR)\" starts one)")
	}
	ctx := context.Background()
	hub := kojitest.New(t)
	c, err := koji.NewClient(hub.URL(), koji.WithAuth(koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword}))
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
	const target = "f40-container-candidate"
	_, err = c.CreateTag(ctx, "f40-container-build", &koji.CreateTagOptions{Arches: []string{"x86_64"}})
	ok(err)
	_, err = c.CreateTag(ctx, target, nil)
	ok(err)
	ok(c.CreateTarget(ctx, target, koji.Name("f40-container-build"), koji.Name(target)))
	for _, rel := range []string{"1.fc40", "2.fc40"} {
		ok(c.AddPackage(ctx, koji.Name(target), "libfoo", &koji.AddPackageOptions{Owner: kojitest.AdminUser}))
		id, err := c.Build(ctx, "git+https://src.example.org/rpms/libfoo.git#"+rel, target, nil)
		ok(err)
		ok(hub.CompleteTask(id, &kojitest.BuildSpec{Version: "1.0", Release: rel, Arches: []string{"x86_64"}}))
	}
	for _, img := range []struct{ name, parent string }{{"base", ""}, {"app", "base-1.0-1"}} {
		id, err := c.BuildContainer(ctx, "git+https://src.example.org/container/"+img.name+"#c0ffee", target,
			&koji.ContainerBuildOptions{GitBranch: "f40", Release: "1", KojiParentBuild: img.parent})
		ok(err)
		_, err = hub.CompleteContainerTask(id, &kojitest.ImageSpec{RPMs: []string{"libfoo-1.0-1.fc40.x86_64"}})
		ok(err)
	}
	containerTasks := func() map[string]kojitest.TaskInfo {
		out := map[string]kojitest.TaskInfo{}
		for _, ti := range hub.Tasks() {
			if src, _ := ti.Request[0].(string); ti.Method == "buildContainer" && ti.ID > 0 {
				name, _, _ := strings.Cut(strings.TrimPrefix(src, "git+https://src.example.org/container/"), "#")
				if opts, _ := ti.Request[2].(map[string]any); opts["release"] != "1" {
					out[name] = ti // a rebuild: its release is new
				}
			}
		}
		return out
	}

	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	ok(os.WriteFile(pw, []byte(kojitest.AdminPassword+"\n"), 0o600))
	prefix, queue := "org.modkit.test"+randHex(), "modkit-rebuilds-test-"+randHex()
	t.Cleanup(func() {
		if conn, err := amqp.Dial(url); err == nil {
			if ch, err := conn.Channel(); err == nil {
				ch.QueueDelete(queue, false, false, false)
			}
			conn.Close()
		}
	})
	server := startServer(t, "--rebuilds", "on", "--rebuild-images", "on", "--rebuild-images-poll", "100ms",
		"--koji-hub", hub.URL(), "--koji-user", kojitest.AdminUser, "--koji-password-file", pw,
		"--bus", url, "--topic-prefix", prefix, "--rebuild-queue", queue, "--rebuild-topic", prefix+".bodhi.update.#")

	body, _ := json.Marshal(map[string]any{"agent": "bodhi", "update": map[string]any{
		"alias": "FEDORA-2026-0123456789", "builds": []any{map[string]any{"nvr": "libfoo-1.0-2.fc40", "signed": true}},
		"status": "stable", "request": nil, "release": map[string]any{"name": "F40"}, "user": map[string]any{"name": "packager"}}})
	conn, err := amqp.Dial(url)
	ok(err)
	defer conn.Close()
	ch, err := conn.Channel()
	ok(err)
	ok(ch.Confirm(false))
	msgID := "stable-" + randHex()
	dc, err := ch.PublishWithDeferredConfirm("amq.topic", prefix+".bodhi.update.complete.stable", false, false, amqp.Publishing{
		ContentType: "application/json", DeliveryMode: amqp.Persistent, MessageId: msgID, Body: body})
	if err != nil || !dc.Wait() {
		t.Fatalf("publish: %v", err)
	}
	wait := func(what string, done func() bool) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); !done(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				_, v := apiJSON(t, "GET", server+"/api/1/events/?message_id="+msgID, "", "")
				t.Fatalf("waiting for %s; events: %v", what, v)
			}
		}
	}
	wait("the base rebuild", func() bool { _, ok := containerTasks()["base"]; return ok })
	if _, ok := containerTasks()["app"]; ok {
		t.Fatal("app was submitted before its parent's rebuild finished")
	}
	_, err = hub.CompleteContainerTask(containerTasks()["base"].ID, &kojitest.ImageSpec{RPMs: []string{"libfoo-1.0-2.fc40.x86_64"}})
	ok(err)
	wait("the app rebuild FROM the new base", func() bool { _, ok := containerTasks()["app"]; return ok })
	at := containerTasks()["app"]
	if p, _ := at.Request[2].(map[string]any)["koji_parent_build"].(string); !strings.HasPrefix(p, "base-1.0-1.") {
		t.Errorf("app rebuild's parent is %q, want the new base build", p)
	}
	_, v := apiJSON(t, "GET", server+"/api/1/events/?message_id="+msgID, "", "")
	items, _ := v["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("events: %v", v)
	}
	var got []string
	for _, b := range items[0].(map[string]any)["builds"].([]any) {
		b := b.(map[string]any)
		got = append(got, fmt.Sprint(b["name"], " ", b["type_name"], " ", b["state_name"]))
	}
	if want := "base IMAGE DONE, app IMAGE BUILD"; strings.Join(got, ", ") != want {
		t.Errorf("rebuilds: %s, want %s", strings.Join(got, ", "), want)
	}
}
