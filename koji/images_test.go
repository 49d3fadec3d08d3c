package koji_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"log"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
)

// TestBuildContainer: a buildContainer task carries the builder's options;
// completed, it yields an image build whose parent, task and per-archive
// RPM lists read back through the standard calls.
func TestBuildContainer(t *testing.T) {
	t.Parallel()
	hub := kojitest.New(t)
	c := newClient(t, hub, koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword})
	ctx := t.Context()
	check(t, c.Login(ctx))
	must[int64](t)(c.CreateTag(ctx, "f40-container-build", &koji.CreateTagOptions{Arches: []string{"x86_64"}}))
	must[int64](t)(c.CreateTag(ctx, "f40-container-candidate", nil))
	check(t, c.CreateTarget(ctx, "f40-container-candidate", koji.Name("f40-container-build"), koji.Name("f40-container-candidate")))
	check(t, c.AddPackage(ctx, koji.Name("f40-container-candidate"), "libfoo", &koji.AddPackageOptions{Owner: kojitest.AdminUser}))
	rpmTask := must[int64](t)(c.Build(ctx, "git+https://src.example.org/rpms/libfoo.git#1", "f40-container-candidate", nil))
	check(t, hub.CompleteTask(rpmTask, &kojitest.BuildSpec{Version: "1.0", Release: "1.fc40", Arches: []string{"x86_64", "noarch"}}))

	baseTask := must[int64](t)(c.BuildContainer(ctx, "git+https://src.example.org/container/base#abc", "f40-container-candidate",
		&koji.ContainerBuildOptions{GitBranch: "f40"}))
	baseID, err := hub.CompleteContainerTask(baseTask, &kojitest.ImageSpec{Name: "base", RPMs: []string{"libfoo-1.0-1.fc40.x86_64", "libfoo-1.0-1.fc40.noarch"}})
	check(t, err)
	base := must[*koji.Build](t)(c.GetBuild(ctx, koji.ID(baseID)))

	prio := 5
	appTask := must[int64](t)(c.BuildContainer(ctx, "git+https://src.example.org/container/app#def", "f40-container-candidate",
		&koji.ContainerBuildOptions{GitBranch: "f40", YumRepoURLs: []string{"https://odcs.example.org/c/1.repo"}, KojiParentBuild: base.NVR,
			Release: "2", Priority: &prio}))
	task := must[*koji.Task](t)(c.GetTaskInfo(ctx, appTask, &koji.GetTaskOptions{Request: true}))
	want := []any{"git+https://src.example.org/container/app#def", "f40-container-candidate",
		map[string]any{"git_branch": "f40", "yum_repourls": []any{"https://odcs.example.org/c/1.repo"}, "koji_parent_build": base.NVR, "release": "2"}}
	if d := cmp.Diff(want, task.Request); d != "" || task.Method != "buildContainer" || task.Priority != 25 {
		t.Errorf("task %s priority %d request (-want +got):\n%s", task.Method, task.Priority, d)
	}
	appID, err := hub.CompleteContainerTask(appTask, &kojitest.ImageSpec{RPMs: []string{"libfoo-1.0-1.fc40.x86_64"}})
	check(t, err)
	res := must[*koji.ContainerTaskResult](t)(c.GetContainerTaskResult(ctx, appTask))
	if len(res.KojiBuilds) != 1 || res.KojiBuilds[0] != appID || len(res.Repositories) != 1 {
		t.Errorf("task result %+v, want build %d", res, appID)
	}
	app := must[*koji.Build](t)(c.GetBuild(ctx, koji.ID(appID)))
	info := app.ImageInfo()
	if app.NVR != "app-1.0-2" || info == nil || info.ParentBuildID != baseID || info.ContainerKojiTaskID != appTask ||
		len(info.ParentImageBuilds) != 1 || !slices.Contains(info.YumRepoURLs, "https://odcs.example.org/c/1.repo") {
		t.Fatalf("app build %s image info %+v", app.NVR, info)
	}
	for _, pib := range info.ParentImageBuilds {
		if pib.ID != baseID || pib.NVR != base.NVR {
			t.Errorf("parent image build %+v", pib)
		}
	}
	if base.ImageInfo().ParentBuildID != 0 {
		t.Errorf("base has a parent: %+v", base.ImageInfo())
	}
	images := must[[]koji.Build](t)(c.ListBuilds(ctx, &koji.ListBuildsOptions{Type: "image"}))
	if len(images) != 2 {
		t.Fatalf("image builds: %d", len(images))
	}
	archives := must[[]koji.Archive](t)(c.ListArchives(ctx, &koji.ListArchivesOptions{BuildID: baseID, Type: "image"}))
	if len(archives) != 1 || archives[0].Arch != "x86_64" || archives[0].BType != "image" {
		t.Fatalf("archives %+v", archives)
	}
	rpms := must[[]koji.RPM](t)(c.ListRPMs(ctx, &koji.ListRPMsOptions{ImageID: archives[0].ID}))
	var nevras []string
	for _, r := range rpms {
		nevras = append(nevras, r.NEVRA())
	}
	if d := cmp.Diff([]string{"libfoo-1.0-1.fc40.x86_64", "libfoo-1.0-1.fc40.noarch"}, nevras); d != "" {
		t.Errorf("image RPMs (-want +got):\n%s", d)
	}
	// The builder's checks.
	bad := must[int64](t)(c.BuildContainer(ctx, "git+https://src.example.org/container/x#1", "f40-container-candidate", nil))
	if _, err := hub.CompleteContainerTask(bad, nil); err == nil || !strings.Contains(err.Error(), "Git branch must be specified") {
		t.Errorf("no git branch: %v", err)
	}
}

// TestRealHubImageDifferential imports a base image and a child image
// through CGImport (the way OSBS does) on the real hub and on kojitest, and
// compares what the standard calls return for them: the image build,
// listBuilds(type=image), listArchives(type=image) and listRPMs(imageID).
func TestRealHubImageDifferential(t *testing.T) {
	t.Parallel()
	h := needRealHub(t)
	real := imageScenario(t, h.admin(t))
	hub := kojitest.New(t)
	c := newClient(t, hub, koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword})
	check(t, c.Login(t.Context()))
	check(t, c.GrantCGAccess(t.Context(), koji.Name(kojitest.AdminUser), "module-build-service", true))
	fake := imageScenario(t, c)
	for _, k := range slices.Sorted(maps.Keys(real)) {
		if real[k] != fake[k] {
			t.Errorf("%s: kojitest differs from the real hub\nreal:     %s\nkojitest: %s", k, real[k], fake[k])
		}
	}
}

func imageScenario(t *testing.T, c *koji.Client) map[string]string {
	t.Helper()
	ctx := context.Background()
	set := buildRPMs(t, unique("imgpkg"), "1.0", "1", "x86_64")
	rb := importRPMBuild(t, c, "module-build-service", set)
	rpms := must[[]koji.RPM](t)(c.ListRPMs(ctx, &koji.ListRPMsOptions{BuildID: rb.ID, Arches: []string{"x86_64"}}))
	var comps []koji.CGComponent
	for _, r := range rpms {
		comps = append(comps, koji.RPMComponent(r))
	}
	// The hub makes extra.container_koji_task_id the build's task: it must
	// be a task of the hub. Any task does (a buildContainer task needs the
	// plugin, which the real hub lacks).
	tag := unique("imgtag")
	must[int64](t)(c.CreateTag(ctx, tag, nil))
	taskID := must[int64](t)(c.NewRepo(ctx, koji.Name(tag), nil))
	base := importImage(t, c, unique("base"), nil, 0, comps)
	out := map[string]string{}
	out["import with an unknown task"] = "accepted"
	if _, err := importImageErr(t, c, unique("orphan"), nil, 1<<40, comps); err != nil {
		out["import with an unknown task"] = fmt.Sprintf("fault %d", faultCode(err))
	}
	child := importImage(t, c, unique("child"), base, taskID, comps)
	if info := child.ImageInfo(); info == nil || info.ParentBuildID != base.ID || info.ContainerKojiTaskID != taskID || info.ParentImageBuilds == nil ||
		(taskID != 0 && (child.TaskID == nil || *child.TaskID != taskID)) {
		out["child image info"] = "wrong"
	}
	archives := must[[]koji.Archive](t)(c.ListArchives(ctx, &koji.ListArchivesOptions{BuildID: child.ID, Type: "image"}))
	if len(archives) != 1 || archives[0].Arch != "x86_64" {
		t.Fatalf("child archives: %+v", archives)
	}
	got := must[[]koji.RPM](t)(c.ListRPMs(ctx, &koji.ListRPMsOptions{ImageID: archives[0].ID}))
	if len(got) != 1 || got[0].Name != set.Name {
		t.Fatalf("child RPMs: %+v", got)
	}
	call := func(label, method string, args ...any) {
		var v any
		if err := c.Call(ctx, method, &v, args...); err != nil {
			out[label] = "fault"
			return
		}
		out[label] = shape(v)
	}
	call("getBuild image", "getBuild", child.ID)
	call("getBuildType image", "getBuildType", child.ID)
	call("listBuilds type image", "listBuilds", koji.Kwargs{"type": "image", "prefix": child.Name})
	call("listArchives type image", "listArchives", koji.Kwargs{"buildID": child.ID, "type": "image"})
	call("listArchives image build", "listArchives", koji.Kwargs{"buildID": child.ID})
	call("listRPMs imageID of an image", "listRPMs", koji.Kwargs{"imageID": archives[0].ID})
	return out
}

// importImage imports an image build with one x86_64 docker-image archive
// whose components are comps, as OSBS's content generator would.
func importImage(t *testing.T, c *koji.Client, name string, parent *koji.Build, taskID int64, comps []koji.CGComponent) *koji.Build {
	t.Helper()
	b, err := importImageErr(t, c, name, parent, taskID, comps)
	if err != nil {
		t.Fatalf("import image %s: %v", name, err)
	}
	return b
}

func importImageErr(t *testing.T, c *koji.Client, name string, parent *koji.Build, taskID int64, comps []koji.CGComponent) (*koji.Build, error) {
	t.Helper()
	ctx := context.Background()
	dir := unique("modkit-test/images")
	file := "docker-image-" + name + ".x86_64.tar.gz"
	content := []byte("image " + name)
	if _, err := c.Upload(ctx, strings.NewReader(string(content)), dir, file, nil); err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(content)
	img := map[string]any{"flatpak": false, "isolated": false, "parent_images": []any{}}
	if parent != nil {
		spec := "registry.example.org/parent:1" // fixed: results are compared by member names
		img["parent_build_id"] = parent.ID
		img["parent_images"] = []any{spec}
		img["parent_image_builds"] = map[string]any{spec: map[string]any{"id": parent.ID, "nvr": parent.NVR}}
	}
	extra := map[string]any{"image": img}
	if taskID != 0 {
		extra["container_koji_task_id"] = taskID
	}
	md := &koji.CGMetadata{
		Build: koji.CGBuild{Name: name, Version: "1.0", Release: "1", Source: "git+https://src.example.org/container/" + name + "#abc",
			StartTime: time.Now().Add(-time.Hour).Unix(), EndTime: time.Now().Unix(), Extra: extra},
		Buildroots: []koji.CGBuildroot{{ID: 1, Host: koji.CGHost{OS: "Fedora 40", Arch: "x86_64"},
			ContentGenerator: koji.CGTool{Name: "module-build-service", Version: "1"},
			Container:        koji.CGContainer{Type: "none", Arch: "x86_64"},
			Tools:            []koji.CGTool{}, Components: []koji.CGComponent{}}},
		Output: []koji.CGOutput{{BuildrootID: 1, Filename: file, Filesize: int64(len(content)), Arch: "x86_64",
			Checksum: hex.EncodeToString(sum[:]), ChecksumType: "md5", Type: "docker-image", Components: comps,
			Extra: map[string]any{"image": map[string]any{"arch": "x86_64"}, "docker": map[string]any{"id": "sha256:0"}}}},
	}
	return c.CGImport(ctx, md, dir, nil)
}

// Submit a container image build (koji-containerbuild's buildContainer),
// wait for it and read the image build it produced.
func ExampleClient_BuildContainer() {
	hub, c := exampleHub()
	defer hub.Close()
	ctx := context.Background()
	if _, err := c.CreateTag(ctx, "f40-container-build", &koji.CreateTagOptions{Arches: []string{"x86_64"}}); err != nil {
		log.Fatal(err)
	}
	if _, err := c.CreateTag(ctx, "f40-container-candidate", nil); err != nil {
		log.Fatal(err)
	}
	if err := c.CreateTarget(ctx, "f40-container-candidate", koji.Name("f40-container-build"), koji.Name("f40-container-candidate")); err != nil {
		log.Fatal(err)
	}
	task, err := c.BuildContainer(ctx, "git+https://src.example.org/container/httpd#0123abcd", "f40-container-candidate",
		&koji.ContainerBuildOptions{GitBranch: "f40", Release: "2", YumRepoURLs: []string{"https://odcs.example.org/odcs-1.repo"}})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.WaitTask(ctx, task, nil); err != nil {
		log.Fatal(err)
	}
	res, err := c.GetContainerTaskResult(ctx, task)
	if err != nil {
		log.Fatal(err)
	}
	b, err := c.GetBuild(ctx, koji.ID(res.KojiBuilds[0]))
	if err != nil {
		log.Fatal(err)
	}
	archives, err := c.ListArchives(ctx, &koji.ListArchivesOptions{BuildID: b.ID, Type: "image"})
	if err != nil {
		log.Fatal(err)
	}
	info := b.ImageInfo()
	fmt.Println(b.NVR, "built by task", info.ContainerKojiTaskID == task, "with repos", info.YumRepoURLs)
	fmt.Println(archives[0].Filename, archives[0].Arch)
	// Output:
	// httpd-1.0-2 built by task true with repos [https://odcs.example.org/odcs-1.repo]
	// docker-image-1.x86_64.tar.gz x86_64
}
