package rebuilds_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modkit/modkit/bodhi"
	"github.com/modkit/modkit/bodhi/bodhitest"
	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/rebuilds"
)

const imgTarget = "f40-container-candidate"

// imageHub is a koji hub with RPM builds of libfoo (1.0-1 and the update's
// 1.0-2) and zlib, and these image builds (stream f40):
//
//	base-1.0-1   libfoo-1.0-1, zlib   (an older build of base)
//	base-1.0-2   libfoo-1.0-1, zlib   (the newest build of base)
//	app-1.0-1    FROM base-1.0-1, libfoo-1.0-1, zlib
//	tool-1.0-1   FROM app-1.0-1, libfoo-1.0-1, zlib
//	other-1.0-1  zlib only (no libfoo)
//	fresh-1.0-1  libfoo-1.0-2 already
type imageHub struct {
	hub *kojitest.Hub
	c   *koji.Client
	ki  *rebuilds.KojiImages
}

func newImageHub(t *testing.T) *imageHub {
	t.Helper()
	hub := kojitest.New(t)
	c, err := koji.NewClient(hub.URL(), koji.WithHTTPClient(hub.Client()), koji.WithPollInterval(time.Millisecond),
		koji.WithAuth(koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ok := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ok(c.Login(ctx))
	_, err = c.CreateTag(ctx, "f40-container-build", &koji.CreateTagOptions{Arches: []string{"x86_64"}})
	ok(err)
	_, err = c.CreateTag(ctx, imgTarget, nil)
	ok(err)
	ok(c.CreateTarget(ctx, imgTarget, koji.Name("f40-container-build"), koji.Name(imgTarget)))
	h := &imageHub{hub: hub, c: c, ki: rebuilds.NewKojiImages(c)}
	for _, r := range []struct{ name, version, release string }{{"libfoo", "1.0", "1.fc40"}, {"libfoo", "1.0", "2.fc40"}, {"zlib", "1.3", "1.fc40"}} {
		ok(c.AddPackage(ctx, koji.Name(imgTarget), r.name, &koji.AddPackageOptions{Owner: kojitest.AdminUser}))
		id, err := c.Build(ctx, "git+https://src.example.org/rpms/"+r.name+".git#"+r.release, imgTarget, nil)
		ok(err)
		ok(hub.CompleteTask(id, &kojitest.BuildSpec{Version: r.version, Release: r.release, Arches: []string{"x86_64"}}))
	}
	old := []string{"libfoo-1.0-1.fc40.x86_64", "zlib-1.3-1.fc40.x86_64"}
	for _, img := range []struct {
		name, release, parent string
		rpms                  []string
	}{
		{"base", "1", "", old}, {"base", "2", "", old}, {"app", "1", "base-1.0-1", old}, {"tool", "1", "app-1.0-1", old},
		{"other", "1", "", []string{"zlib-1.3-1.fc40.x86_64"}}, {"fresh", "1", "", []string{"libfoo-1.0-2.fc40.x86_64"}},
	} {
		id, err := c.BuildContainer(ctx, "git+https://src.example.org/container/"+img.name+"#c0ffee"+img.release, imgTarget,
			&koji.ContainerBuildOptions{GitBranch: "f40", Release: img.release, KojiParentBuild: img.parent})
		ok(err)
		_, err = hub.CompleteContainerTask(id, &kojitest.ImageSpec{RPMs: img.rpms})
		ok(err)
	}
	return h
}

// containerTasks returns the buildContainer tasks created after the
// fixture's, by image name.
func (h *imageHub) containerTasks() map[string][]kojitest.TaskInfo {
	out := map[string][]kojitest.TaskInfo{}
	n := 0
	for _, ti := range h.hub.Tasks() {
		if ti.Method != "buildContainer" {
			continue
		}
		if n++; n <= 6 {
			continue
		}
		src, _ := ti.Request[0].(string)
		name := strings.TrimPrefix(src, "git+https://src.example.org/container/")
		name, _, _ = strings.Cut(name, "#")
		out[name] = append(out[name], ti)
	}
	return out
}

func bodhiMessage(id, topic, alias string, nvrs ...string) rebuilds.Message {
	var builds []any
	for _, n := range nvrs {
		builds = append(builds, map[string]any{"nvr": n, "signed": true})
	}
	b, _ := json.Marshal(map[string]any{"agent": "bodhi", "update": map[string]any{
		"alias": alias, "builds": builds, "status": "stable", "request": nil,
		"release": map[string]any{"name": "F40"}, "user": map[string]any{"name": "packager"}}})
	return rebuilds.Message{ID: id, Topic: "org.fedoraproject.prod." + topic, Body: b}
}

func taskMessage(id string, task int64, state any) rebuilds.Message {
	b, _ := json.Marshal(map[string]any{"id": task, "method": "buildContainer", "old": "OPEN", "new": state, "attribute": "state"})
	return rebuilds.Message{ID: id, Topic: "org.fedoraproject.prod.buildsys.task.state.change", Body: b}
}

type imgRow struct {
	name, original string
	state          rebuilds.BuildState
	depOn          string
}

func imageRows(t *testing.T, st rebuilds.Store, eventID int64) ([]imgRow, []*rebuilds.ArtifactBuild) {
	t.Helper()
	l, _, err := st.Builds(context.Background(), &rebuilds.BuildFilter{EventID: eventID})
	if err != nil {
		t.Fatal(err)
	}
	var out []imgRow
	for _, b := range l {
		if b.Type != rebuilds.ArtifactImage {
			t.Errorf("build %s has type %d", b.Name, b.Type)
		}
		out = append(out, imgRow{b.Name, b.OriginalNVR, b.State, b.DepOn})
	}
	return out, l
}

func checkImageRows(t *testing.T, got, want []imgRow) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("image builds:\n got  %+v\n want %+v", got, want)
	}
}

// fakeComposer is an ODCS stand-in: one compose per call.
type fakeComposer struct {
	mu    sync.Mutex
	calls [][]string
}

func (f *fakeComposer) ComposeBuilds(ctx context.Context, nvrs []string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, slices.Clone(nvrs))
	return "https://odcs.example.org/composes/odcs-" + itoa(len(f.calls)) + "/compose/Temporary/odcs.repo", nil
}

func itoa(i int) string { return strconvI(int64(i)) }

func imagesWorld(t *testing.T, dir string, h *imageHub, io *rebuilds.ImageOptions, rules *rebuilds.Rules) *world {
	t.Helper()
	return newWorld(t, dir, newGitSCM(), &rebuilds.Options{Images: io, Rules: rules})
}

// TestImagesSlowFlow: a stable update of libfoo rebuilds base's newest
// build, then app FROM the rebuilt base, then tool FROM the rebuilt app;
// other (no libfoo), fresh (libfoo already new) and base's older build are
// left alone.
func TestImagesSlowFlow(t *testing.T) {
	t.Parallel()
	testImagesSlowFlow(t, t.TempDir())
}

func TestImagesSlowFlowOnPostgres(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	onPostgres(t, dir)
	testImagesSlowFlow(t, dir)
}

func testImagesSlowFlow(t *testing.T, dir string) {
	h := newImageHub(t)
	w := imagesWorld(t, dir, h, &rebuilds.ImageOptions{Source: h.ki, Builder: h.ki, Build: true}, nil)
	ctx := context.Background()
	// The request for stable is recorded only.
	req, err := w.rs.Handle(ctx, bodhiMessage("req-1", "bodhi.update.request.stable", "FEDORA-2026-aaa", "libfoo-1.0-2.fc40"))
	if err != nil || req.State != rebuilds.EventSkipped || !strings.Contains(req.StateReason, "when the stable push completes") {
		t.Fatalf("request.stable: %v %+v", err, req)
	}
	ev, err := w.rs.Handle(ctx, bodhiMessage("stable-1", "bodhi.update.complete.stable", "FEDORA-2026-aaa", "libfoo-1.0-2.fc40"))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Type != rebuilds.EventBodhiUpdateStable || ev.State != rebuilds.EventBuilding || ev.DryRun {
		t.Fatalf("event %s %s dry %v: %s", ev.Type, ev.State, ev.DryRun, ev.StateReason)
	}
	rows, bs := imageRows(t, w.store, ev.ID)
	checkImageRows(t, rows, []imgRow{
		{"base", "base-1.0-2", rebuilds.BuildBuilding, ""},
		{"app", "app-1.0-1", rebuilds.BuildPlanned, "base"},
		{"tool", "tool-1.0-1", rebuilds.BuildPlanned, "app"},
	})
	if b := bs[0]; !strings.Contains(b.StateReason, "libfoo-1.0-1.fc40 (update: 1.0-2.fc40)") || b.Rule == "" ||
		b.Path != "FEDORA-2026-aaa [libfoo-1.0-2.fc40] -> base:f40" || b.RebuildReason != rebuilds.ReasonDirectlyAffected {
		t.Errorf("base decision: %+v", b)
	}
	if bs[2].Path != "FEDORA-2026-aaa [libfoo-1.0-2.fc40] -> base:f40 -> app:f40 -> tool:f40" || bs[2].RebuildReason != rebuilds.ReasonDependency {
		t.Errorf("tool decision: %+v", bs[2])
	}
	tasks := h.containerTasks()
	if len(tasks) != 1 || len(tasks["base"]) != 1 {
		t.Fatalf("tasks after the event: %+v", tasks)
	}
	bt := tasks["base"][0]
	opts := bt.Request[2].(map[string]any)
	if bt.Request[0] != "git+https://src.example.org/container/base#c0ffee2" || bt.Request[1] != imgTarget || opts["git_branch"] != "f40" ||
		opts["koji_parent_build"] != nil || opts["yum_repourls"] != nil || !strings.HasPrefix(opts["release"].(string), "2.") || bt.ID != bs[0].BuildID {
		t.Fatalf("base task %d: %+v", bt.ID, bt.Request)
	}
	// base builds; its task message submits app FROM the new base.
	newRPMs := []string{"libfoo-1.0-2.fc40.x86_64", "zlib-1.3-1.fc40.x86_64"}
	if _, err := h.hub.CompleteContainerTask(bt.ID, &kojitest.ImageSpec{RPMs: newRPMs}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.rs.Handle(ctx, taskMessage("task-base", bt.ID, "CLOSED")); err != nil {
		t.Fatal(err)
	}
	rows, bs = imageRows(t, w.store, ev.ID)
	newBase := "base-1.0-" + opts["release"].(string)
	if rows[0].state != rebuilds.BuildDone || bs[0].RebuiltNVR != newBase || rows[1].state != rebuilds.BuildBuilding || rows[2].state != rebuilds.BuildPlanned {
		t.Fatalf("after base: %+v", bs)
	}
	at := h.containerTasks()["app"]
	if len(at) != 1 || at[0].Request[2].(map[string]any)["koji_parent_build"] != newBase {
		t.Fatalf("app task: %+v", at)
	}
	if _, err := h.hub.CompleteContainerTask(at[0].ID, &kojitest.ImageSpec{RPMs: newRPMs}); err != nil {
		t.Fatal(err)
	}
	// No message for app this time: polling finds it.
	if err := w.rs.PollImages(ctx); err != nil {
		t.Fatal(err)
	}
	tt := h.containerTasks()["tool"]
	_, bs = imageRows(t, w.store, ev.ID)
	if len(tt) != 1 || tt[0].Request[2].(map[string]any)["koji_parent_build"] != bs[1].RebuiltNVR {
		t.Fatalf("tool task: %+v; app %+v", tt, bs[1])
	}
	// tool fails: the event fails with the reason.
	if err := h.hub.FailTask(tt[0].ID, "OSBS said no"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.rs.Handle(ctx, taskMessage("task-tool", tt[0].ID, "FAILED")); err != nil {
		t.Fatal(err)
	}
	ev, _ = w.store.Event(ctx, ev.ID)
	rows, _ = imageRows(t, w.store, ev.ID)
	checkImageRows(t, rows, []imgRow{
		{"base", "base-1.0-2", rebuilds.BuildDone, ""},
		{"app", "app-1.0-1", rebuilds.BuildDone, "base"},
		{"tool", "tool-1.0-1", rebuilds.BuildFailed, "app"},
	})
	if ev.State != rebuilds.EventFailed || !strings.Contains(ev.StateReason, "tool failed: image build failed: task FAILED") {
		t.Errorf("event %s: %s", ev.State, ev.StateReason)
	}
	// Redelivery does nothing; a task that is not ours is not recorded.
	if again, err := w.rs.Handle(ctx, bodhiMessage("stable-1", "bodhi.update.complete.stable", "FEDORA-2026-aaa", "libfoo-1.0-2.fc40")); err != nil || again.ID != ev.ID {
		t.Fatalf("redelivery: %v %+v", err, again)
	}
	if other, err := w.rs.Handle(ctx, taskMessage("task-other", 1, "CLOSED")); err != nil || other != nil {
		t.Fatalf("foreign task: %v %+v", err, other)
	}
	if n := len(h.containerTasks()); n != 3 {
		t.Errorf("%d images submitted, want 3", n)
	}
}

// TestImagesFastFlow: an update in testing gets one compose of its builds,
// and every rebuild (children too) uses it; the second message Bodhi sends
// for the same update is not handled again.
func TestImagesFastFlow(t *testing.T) {
	t.Parallel()
	h := newImageHub(t)
	comp := &fakeComposer{}
	w := imagesWorld(t, t.TempDir(), h, &rebuilds.ImageOptions{Source: h.ki, Builder: h.ki, Composer: comp, Build: true}, nil)
	ctx := context.Background()
	ev, err := w.rs.Handle(ctx, bodhiMessage("testing-1", "bodhi.update.request.testing", "FEDORA-2026-bbb", "libfoo-1.0-2.fc40"))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Type != rebuilds.EventBodhiUpdateCreated || ev.State != rebuilds.EventBuilding {
		t.Fatalf("event %s %s: %s", ev.Type, ev.State, ev.StateReason)
	}
	again, err := w.rs.Handle(ctx, bodhiMessage("testing-2", "bodhi.update.status.testing.koji-build-group.build.complete", "FEDORA-2026-bbb", "libfoo-1.0-2.fc40"))
	if err != nil || again.State != rebuilds.EventSkipped || !strings.Contains(again.StateReason, "already handled by event") {
		t.Fatalf("second message: %v %+v", err, again)
	}
	if len(comp.calls) != 1 || !slices.Equal(comp.calls[0], []string{"libfoo-1.0-2.fc40"}) {
		t.Fatalf("composes: %v", comp.calls)
	}
	repo := "https://odcs.example.org/composes/odcs-1/compose/Temporary/odcs.repo"
	bt := h.containerTasks()["base"]
	if len(bt) != 1 || !slices.Equal(bt[0].Request[2].(map[string]any)["yum_repourls"].([]any), []any{repo}) {
		t.Fatalf("base task: %+v", bt)
	}
	if _, err := h.hub.CompleteContainerTask(bt[0].ID, &kojitest.ImageSpec{RPMs: []string{"libfoo-1.0-2.fc40.x86_64"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.rs.Handle(ctx, taskMessage("t-base", bt[0].ID, 2)); err != nil { // koji's numeric state works too
		t.Fatal(err)
	}
	at := h.containerTasks()["app"]
	if len(at) != 1 || !slices.Equal(at[0].Request[2].(map[string]any)["yum_repourls"].([]any), []any{repo}) || at[0].Request[2].(map[string]any)["koji_parent_build"] == nil {
		t.Fatalf("app task: %+v", at)
	}
	_, bs := imageRows(t, w.store, ev.ID)
	if len(bs) != 3 || !strings.HasPrefix(bs[0].StateReason, "image built as base-1.0-") {
		t.Fatalf("builds: %+v", bs)
	}
	// Without a composer the fast flow is skipped with the reason.
	w2 := imagesWorld(t, t.TempDir(), h, &rebuilds.ImageOptions{Source: h.ki, Builder: h.ki, Build: true}, nil)
	ev2, err := w2.rs.Handle(ctx, bodhiMessage("testing-3", "bodhi.update.request.testing", "FEDORA-2026-ccc", "libfoo-1.0-2.fc40"))
	if err != nil || ev2.State != rebuilds.EventSkipped || !strings.Contains(ev2.StateReason, "needs a composer") {
		t.Fatalf("no composer: %v %+v", err, ev2)
	}
}

// TestImagesDryRunByDefault: without ImageOptions.Build nothing is built
// and no compose is requested; the plan is recorded in order, with the
// blocklist's decision.
func TestImagesDryRunByDefault(t *testing.T) {
	t.Parallel()
	h := newImageHub(t)
	comp := &fakeComposer{}
	rules, err := rebuilds.ParseRules(nil, []byte(`{"RebuildImagesOnRPMBodhiUpdateTesting": {"image": {"name": "app$"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	w := imagesWorld(t, t.TempDir(), h, &rebuilds.ImageOptions{Source: h.ki, Builder: h.ki, Composer: comp}, rules)
	ctx := context.Background()
	for _, m := range []rebuilds.Message{
		bodhiMessage("dry-stable", "bodhi.update.complete.stable", "FEDORA-2026-ddd", "libfoo-1.0-2.fc40"),
		bodhiMessage("dry-testing", "bodhi.update.request.testing", "FEDORA-2026-eee", "libfoo-1.0-2.fc40"),
	} {
		ev, err := w.rs.Handle(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		if !ev.DryRun || ev.State != rebuilds.EventComplete {
			t.Fatalf("%s: dry %v %s: %s", m.ID, ev.DryRun, ev.State, ev.StateReason)
		}
		rows, bs := imageRows(t, w.store, ev.ID)
		if ev.Type == rebuilds.EventBodhiUpdateStable {
			checkImageRows(t, rows, []imgRow{
				{"base", "base-1.0-2", rebuilds.BuildDone, ""},
				{"app", "app-1.0-1", rebuilds.BuildDone, "base"},
				{"tool", "tool-1.0-1", rebuilds.BuildDone, "app"},
			})
			if !strings.HasPrefix(bs[1].StateReason, "dry run: would build git+https://src.example.org/container/app#c0ffee1 in "+imgTarget) ||
				!strings.Contains(bs[1].StateReason, "FROM the rebuild of base") {
				t.Errorf("app: %q", bs[1].StateReason)
			}
			continue
		}
		// The fast flow's blocklist stops app (its dependency on base's
		// rebuild is still recorded); tool's parent app is not rebuilt, so
		// tool is rebuilt on its own.
		checkImageRows(t, rows, []imgRow{
			{"base", "base-1.0-2", rebuilds.BuildDone, ""},
			{"app", "app-1.0-1", rebuilds.BuildSkipped, "base"},
			{"tool", "tool-1.0-1", rebuilds.BuildDone, ""},
		})
		if !strings.Contains(bs[1].StateReason, "blocked by blocklist RebuildImagesOnRPMBodhiUpdateTesting.image") ||
			!strings.Contains(bs[2].StateReason, "its parent app:f40 is not rebuilt") || !strings.Contains(bs[2].StateReason, "with a compose of the update's builds") {
			t.Errorf("fast flow decisions: %q / %q", bs[1].StateReason, bs[2].StateReason)
		}
	}
	if n := len(h.containerTasks()); n != 0 || len(comp.calls) != 0 {
		t.Fatalf("dry run built %d images, made %d composes", n, len(comp.calls))
	}
	// The API shows image builds with Freshmaker's type and their build
	// arguments.
	srv := httptest.NewServer(rebuilds.NewHandler(w.store, nil))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/1/events/?event_type_id=5")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Items []struct {
			EventTypeName string `json:"event_type_name"`
			Builds        []struct {
				Type      int            `json:"type"`
				TypeName  string         `json:"type_name"`
				BuildArgs map[string]any `json:"build_args"`
				DepOn     string         `json:"dep_on"`
			} `json:"builds"`
		} `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || len(page.Items[0].Builds) != 3 || page.Items[0].EventTypeName != "BodhiUpdateCompleteStableEvent" {
		t.Fatalf("events: %+v", page)
	}
	app := page.Items[0].Builds[1]
	if app.Type != 1 || app.TypeName != "IMAGE" || app.BuildArgs["git_branch"] != "f40" || app.BuildArgs["target"] != imgTarget || app.DepOn != "base" {
		t.Errorf("app in the API: %+v", app)
	}
}

// TestImagesRestart: the service goes away after base's rebuild was
// submitted; base finishes while it is down and its message is lost. The
// restarted service polls, submits app once, and the redelivered update
// message changes nothing. A crash between submitting and recording a
// rebuild adopts the submitted task instead of submitting another.
func TestImagesRestart(t *testing.T) {
	t.Parallel()
	h := newImageHub(t)
	dir := t.TempDir()
	io := &rebuilds.ImageOptions{Source: h.ki, Builder: h.ki, Build: true}
	ctx := context.Background()
	msg := bodhiMessage("stable-r", "bodhi.update.complete.stable", "FEDORA-2026-fff", "libfoo-1.0-2.fc40")

	// A crash right after buildContainer accepted base's rebuild.
	ost, rst, closeStores := openStores(t, dir)
	cold, err := orchestrator.NewService(&orchestrator.Options{Store: ost, Builder: nopBuilder{}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	cctx, crash := context.WithCancel(ctx)
	rs, err := rebuilds.New(&rebuilds.Options{Orchestrator: cold, Store: &crashingArgsStore{crashingStore{Store: rst, crash: crash}}, Logger: quiet, Images: io})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Handle(cctx, msg); err == nil {
		t.Fatal("the crash was not reported")
	}
	if n := len(h.containerTasks()["base"]); n != 1 {
		t.Fatalf("base submitted %d times before the crash", n)
	}
	closeStores()

	// Restart: the redelivered message resumes and adopts the task.
	w := imagesWorld(t, dir, h, io, nil)
	ev, err := w.rs.Handle(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	bt := h.containerTasks()["base"]
	_, bs := imageRows(t, w.store, ev.ID)
	if len(bt) != 1 || bs[0].BuildID != bt[0].ID || bs[0].State != rebuilds.BuildBuilding {
		t.Fatalf("after the redelivery: tasks %+v, builds %+v", bt, bs)
	}
	w.stop()

	// base finishes while no service runs; its message is lost.
	if _, err := h.hub.CompleteContainerTask(bt[0].ID, &kojitest.ImageSpec{RPMs: []string{"libfoo-1.0-2.fc40.x86_64"}}); err != nil {
		t.Fatal(err)
	}
	w2 := imagesWorld(t, dir, h, io, nil)
	if err := w2.rs.PollImages(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w2.rs.PollImages(ctx); err != nil { // twice: nothing new
		t.Fatal(err)
	}
	if again, err := w2.rs.Handle(ctx, msg); err != nil || again.ID != ev.ID {
		t.Fatalf("redelivery: %v %+v", err, again)
	}
	tasks := h.containerTasks()
	rows, _ := imageRows(t, w2.store, ev.ID)
	checkImageRows(t, rows, []imgRow{
		{"base", "base-1.0-2", rebuilds.BuildDone, ""},
		{"app", "app-1.0-1", rebuilds.BuildBuilding, "base"},
		{"tool", "tool-1.0-1", rebuilds.BuildPlanned, "app"},
	})
	if len(tasks["base"]) != 1 || len(tasks["app"]) != 1 || len(tasks["tool"]) != 0 {
		t.Fatalf("tasks: base %d, app %d, tool %d", len(tasks["base"]), len(tasks["app"]), len(tasks["tool"]))
	}
}

// crashingArgsStore is crashingStore keeping the image build arguments.
type crashingArgsStore struct{ crashingStore }

func (c *crashingArgsStore) SetImageArgs(ctx context.Context, id int64, req *rebuilds.ContainerBuildRequest) error {
	return c.Store.(rebuilds.ImageArgsStore).SetImageArgs(ctx, id, req)
}

func (c *crashingArgsStore) ImageArgs(ctx context.Context, id int64) (*rebuilds.ContainerBuildRequest, error) {
	return c.Store.(rebuilds.ImageArgsStore).ImageArgs(ctx, id)
}

// TestImagesFromBodhiUpdates: the message bodies are Bodhi's own update
// JSON (from bodhitest, whose shapes are checked against a real Bodhi),
// wrapped as Bodhi's messages wrap it: a new update is the fast flow, its
// stable push the slow flow (both dry runs here).
func TestImagesFromBodhiUpdates(t *testing.T) {
	t.Parallel()
	h := newImageHub(t)
	ctx := context.Background()
	bs := bodhitest.New(h.c)
	t.Cleanup(bs.Close)
	for _, s := range []string{"", "-override", "-signing-pending", "-updates", "-updates-candidate", "-updates-pending", "-updates-testing", "-updates-testing-pending"} {
		if _, err := h.c.CreateTag(ctx, "f40"+s, nil); err != nil {
			t.Fatal(err)
		}
	}
	admin, err := bodhi.NewClient(bs.URL, bodhi.WithSessionCookie(bs.Cookie(bodhitest.AdminUser)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.SaveRelease(ctx, &bodhi.ReleaseInput{Name: "F40", LongName: "Fedora 40", Version: "40", Branch: "f40",
		IDPrefix: "FEDORA", DistTag: "f40", StableTag: "f40-updates", TestingTag: "f40-updates-testing",
		CandidateTag: "f40-updates-candidate", PendingSigningTag: "f40-signing-pending", PendingTestingTag: "f40-updates-testing-pending",
		PendingStableTag: "f40-updates-pending", OverrideTag: "f40-override", State: "current"}); err != nil {
		t.Fatal(err)
	}
	if err := h.c.AddPackage(ctx, koji.Name("f40-updates-candidate"), "libfoo", &koji.AddPackageOptions{Owner: kojitest.AdminUser}); err != nil {
		t.Fatal(err)
	}
	if err := h.c.TagBuildBypass(ctx, koji.Name("f40-updates-candidate"), koji.Name("libfoo-1.0-2.fc40"), false); err != nil {
		t.Fatal(err)
	}
	pkgr, err := bodhi.NewClient(bs.URL, bodhi.WithSessionCookie(bs.Cookie(bodhitest.PackagerUser)))
	if err != nil {
		t.Fatal(err)
	}
	res, err := pkgr.SaveUpdate(ctx, &bodhi.UpdateInput{Builds: []string{"libfoo-1.0-2.fc40"}, Notes: "Fix libfoo", Type: "security", Severity: "high"})
	if err != nil {
		t.Fatal(err)
	}
	alias := res.Updates[0].Alias
	message := func(id, topic string) rebuilds.Message {
		t.Helper()
		resp, err := http.Get(strings.TrimSuffix(bs.URL, "/") + "/updates/" + alias)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got struct {
			Update json.RawMessage `json:"update"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || len(got.Update) == 0 {
			t.Fatalf("GET /updates/%s: %v", alias, err)
		}
		body, _ := json.Marshal(map[string]any{"agent": bodhitest.PackagerUser, "update": got.Update})
		return rebuilds.Message{ID: id, Topic: "org.fedoraproject.prod." + topic, Body: body}
	}
	w := imagesWorld(t, t.TempDir(), h, &rebuilds.ImageOptions{Source: h.ki, Builder: h.ki, Composer: &fakeComposer{}}, nil)
	fast, err := w.rs.Handle(ctx, message("b-testing", "bodhi.update.request.testing"))
	if err != nil {
		t.Fatal(err)
	}
	if err := bs.SetStatus(alias, "stable"); err != nil {
		t.Fatal(err)
	}
	slow, err := w.rs.Handle(ctx, message("b-stable", "bodhi.update.complete.stable"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []*rebuilds.Event{fast, slow} {
		if ev.SearchKey != alias || ev.State != rebuilds.EventComplete || !ev.DryRun {
			t.Fatalf("event %s %s: %s", ev.Type, ev.State, ev.StateReason)
		}
		rows, bs := imageRows(t, w.store, ev.ID)
		checkImageRows(t, rows, []imgRow{
			{"base", "base-1.0-2", rebuilds.BuildDone, ""},
			{"app", "app-1.0-1", rebuilds.BuildDone, "base"},
			{"tool", "tool-1.0-1", rebuilds.BuildDone, "app"},
		})
		if !strings.HasPrefix(bs[0].Path, alias+" [libfoo-1.0-2.fc40] -> base:f40") {
			t.Errorf("path %q", bs[0].Path)
		}
	}
	if fast.Type != rebuilds.EventBodhiUpdateCreated || slow.Type != rebuilds.EventBodhiUpdateStable {
		t.Errorf("types %s, %s", fast.Type, slow.Type)
	}
}

// TestImagesWithoutTask: an image build imported without a buildContainer
// task (no branch, no target) is listed and skipped with the reason.
func TestImagesWithoutTask(t *testing.T) {
	t.Parallel()
	h := newImageHub(t)
	ctx := context.Background()
	if err := h.c.GrantCGAccess(ctx, koji.Name(kojitest.AdminUser), "atomic-reactor", true); err != nil {
		t.Fatal(err)
	}
	rpms, err := h.c.ListRPMs(ctx, &koji.ListRPMsOptions{BuildID: mustBuild(t, h.c, "libfoo-1.0-1.fc40").ID})
	if err != nil {
		t.Fatal(err)
	}
	var comps []koji.CGComponent
	for _, r := range rpms {
		if r.Arch != "src" {
			comps = append(comps, koji.RPMComponent(r))
		}
	}
	content := "legacy image"
	if _, err := h.c.Upload(ctx, strings.NewReader(content), "osbs/legacy", "docker-image-legacy.x86_64.tar.gz", nil); err != nil {
		t.Fatal(err)
	}
	md := &koji.CGMetadata{
		Build: koji.CGBuild{Name: "legacy", Version: "1", Release: "1", Source: "git+https://src.example.org/container/legacy#1",
			StartTime: 1, EndTime: 2, Extra: map[string]any{"image": map[string]any{"parent_images": []any{}}}},
		Buildroots: []koji.CGBuildroot{{ID: 1, Host: koji.CGHost{OS: "Fedora", Arch: "x86_64"}, ContentGenerator: koji.CGTool{Name: "atomic-reactor", Version: "4"},
			Container: koji.CGContainer{Type: "none", Arch: "x86_64"}, Tools: []koji.CGTool{}, Components: []koji.CGComponent{}}},
		Output: []koji.CGOutput{{BuildrootID: 1, Filename: "docker-image-legacy.x86_64.tar.gz", Filesize: int64(len(content)), Arch: "x86_64",
			Checksum: md5hex(content), ChecksumType: "md5", Type: "docker-image", Components: comps,
			Extra: map[string]any{"image": map[string]any{"arch": "x86_64"}}}},
	}
	if _, err := h.c.CGImport(ctx, md, "osbs/legacy", nil); err != nil {
		t.Fatal(err)
	}
	w := imagesWorld(t, t.TempDir(), h, &rebuilds.ImageOptions{Source: h.ki}, nil)
	ev, err := w.rs.Handle(ctx, bodhiMessage("legacy-1", "bodhi.update.complete.stable", "FEDORA-2026-ggg", "libfoo-1.0-2.fc40"))
	if err != nil {
		t.Fatal(err)
	}
	_, bs := imageRows(t, w.store, ev.ID)
	var legacy *rebuilds.ArtifactBuild
	for _, b := range bs {
		if b.Name == "legacy" {
			legacy = b
		}
	}
	if legacy == nil || legacy.State != rebuilds.BuildSkipped || !strings.Contains(legacy.StateReason, "its buildContainer task is unknown") {
		t.Fatalf("legacy image: %+v", legacy)
	}
}

func mustBuild(t *testing.T, c *koji.Client, nvr string) *koji.Build {
	t.Helper()
	b, err := c.GetBuild(context.Background(), koji.Name(nvr))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestImagesCancel: canceling an event with a running image rebuild
// cancels its koji task (not a module build with the same id), cancels
// the children waiting for it, and nothing is submitted afterwards.
func TestImagesCancel(t *testing.T) {
	t.Parallel()
	h := newImageHub(t)
	w := imagesWorld(t, t.TempDir(), h, &rebuilds.ImageOptions{Source: h.ki, Builder: h.ki, Build: true}, nil)
	ctx := context.Background()
	ev, err := w.rs.Handle(ctx, bodhiMessage("stable-c", "bodhi.update.complete.stable", "FEDORA-2026-ccc", "libfoo-1.0-2.fc40"))
	if err != nil {
		t.Fatal(err)
	}
	bt := h.containerTasks()["base"]
	if len(bt) != 1 {
		t.Fatalf("base tasks: %+v", bt)
	}
	if _, err := w.rs.Cancel(ctx, ev.ID, "admin", true); err != nil {
		t.Fatal(err)
	}
	rows, bs := imageRows(t, w.store, ev.ID)
	checkImageRows(t, rows, []imgRow{
		{"base", "base-1.0-2", rebuilds.BuildCanceled, ""},
		{"app", "app-1.0-1", rebuilds.BuildCanceled, "base"},
		{"tool", "tool-1.0-1", rebuilds.BuildCanceled, "app"},
	})
	if !strings.Contains(bs[0].StateReason, "image build task") {
		t.Errorf("base reason: %s", bs[0].StateReason)
	}
	if st := h.containerTasks()["base"][0].State; st != "CANCELED" {
		t.Errorf("base's koji task is %s, want CANCELED", st)
	}
	// A late task message and a poll submit nothing more.
	if _, err := w.rs.Handle(ctx, taskMessage("task-base-c", bt[0].ID, "CANCELED")); err != nil {
		t.Fatal(err)
	}
	if err := w.rs.PollImages(ctx); err != nil {
		t.Fatal(err)
	}
	if tasks := h.containerTasks(); len(tasks) != 1 {
		t.Errorf("tasks after cancel: %+v", tasks)
	}
	if got, _ := w.store.Event(ctx, ev.ID); got.State != rebuilds.EventCanceled {
		t.Errorf("event %s: %s", got.State, got.StateReason)
	}
}
