package rebuilds_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/rebuilds"
	"github.com/modkit/modkit/orchestrator/sqlstore"
)

// Which container images a stable update of libfoo would rebuild: the
// images come from a koji hub (here an in-process one with a base image
// and an app built FROM it, both containing the old libfoo), and without
// ImageOptions.Build the decisions are a dry run.
func ExampleKojiImages() {
	ctx := context.Background()
	hub := kojitest.NewServer(kojitest.WithBuilder(kojitest.AutoComplete))
	defer hub.Close()
	kc, err := koji.NewClient(hub.URL(), koji.WithHTTPClient(hub.Client()),
		koji.WithAuth(koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword}))
	if err != nil {
		log.Fatal(err)
	}
	check := func(err error) {
		if err != nil {
			log.Fatal(err)
		}
	}
	check(kc.Login(ctx))
	_, err = kc.CreateTag(ctx, "f40-build", &koji.CreateTagOptions{Arches: []string{"x86_64"}})
	check(err)
	_, err = kc.CreateTag(ctx, "f40-candidate", nil)
	check(err)
	check(kc.CreateTarget(ctx, "f40-candidate", koji.Name("f40-build"), koji.Name("f40-candidate")))
	check(kc.AddPackage(ctx, koji.Name("f40-candidate"), "libfoo", &koji.AddPackageOptions{Owner: kojitest.AdminUser}))
	for _, rel := range []string{"1", "2"} {
		id, err := kc.Build(ctx, "git+https://src.example.org/rpms/libfoo.git#"+rel, "f40-candidate", nil)
		check(err)
		check(hub.CompleteTask(id, &kojitest.BuildSpec{Version: "1.0", Release: rel, Arches: []string{"x86_64"}}))
	}
	for _, img := range []struct{ name, parent string }{{"base", ""}, {"app", "base-1.0-1"}} {
		id, err := kc.BuildContainer(ctx, "git+https://src.example.org/container/"+img.name+"#1", "f40-candidate",
			&koji.ContainerBuildOptions{GitBranch: "f40", KojiParentBuild: img.parent})
		check(err)
		_, err = hub.CompleteContainerTask(id, &kojitest.ImageSpec{RPMs: []string{"libfoo-1.0-1.x86_64"}})
		check(err)
	}

	dir, err := os.MkdirTemp("", "example")
	check(err)
	defer os.RemoveAll(dir)
	ost, err := sqlstore.Open(ctx, filepath.Join(dir, "modkit.db"), nil)
	check(err)
	defer ost.Close()
	orch, err := orchestrator.NewService(&orchestrator.Options{Store: ost, Builder: nopBuilder{}, Logger: slog.New(slog.DiscardHandler)})
	check(err)
	db, err := sql.Open("sqlite", filepath.Join(dir, "rebuilds.db"))
	check(err)
	defer db.Close()
	st, err := rebuilds.NewSQLStore(ctx, db, rebuilds.SQLite)
	check(err)
	rs, err := rebuilds.New(&rebuilds.Options{Orchestrator: orch, Store: st, Logger: slog.New(slog.DiscardHandler),
		Images: &rebuilds.ImageOptions{Source: rebuilds.NewKojiImages(kc)}})
	check(err)

	body, _ := json.Marshal(map[string]any{"update": map[string]any{"alias": "FEDORA-2026-0123456789",
		"builds": []any{map[string]any{"nvr": "libfoo-1.0-2"}}}})
	ev, err := rs.Handle(ctx, rebuilds.Message{ID: "1", Topic: "org.fedoraproject.prod.bodhi.update.complete.stable", Body: body})
	check(err)
	fmt.Println(ev.Type, ev.State, "dry run:", ev.DryRun)
	builds, _, err := st.Builds(ctx, &rebuilds.BuildFilter{EventID: ev.ID})
	check(err)
	for _, b := range builds {
		fmt.Println(b.OriginalNVR, b.State, b.RebuildReason, "|", b.Path)
	}
	// Output:
	// BodhiUpdateCompleteStableEvent complete dry run: true
	// base-1.0-1 done directly_affected | FEDORA-2026-0123456789 [libfoo-1.0-2] -> base:f40
	// app-1.0-1 done dependency | FEDORA-2026-0123456789 [libfoo-1.0-2] -> base:f40 -> app:f40
}
