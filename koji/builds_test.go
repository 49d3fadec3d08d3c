package koji_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
)

// seedBuilds creates tags dest <- child and two COMPLETE builds of foo
// tagged into dest, via admin calls.
func seedBuilds(t *testing.T, c *koji.Client) {
	t.Helper()
	ctx := t.Context()
	must[int64](t)(c.CreateTag(ctx, "dest", nil))
	must[int64](t)(c.CreateTag(ctx, "child", &koji.CreateTagOptions{Parent: "dest"}))
	check(t, c.AddPackage(ctx, koji.Name("dest"), "foo", &koji.AddPackageOptions{Owner: kojitest.AdminUser}))
	for _, rel := range []string{"1", "2"} {
		check(t, c.Call(ctx, "createEmptyBuild", nil, "foo", "1.0", rel, nil))
		check(t, c.TagBuildBypass(ctx, koji.Name("dest"), koji.Name("foo-1.0-"+rel), false))
	}
}

func TestBuilds(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	ctx := t.Context()
	seedBuilds(t, c)
	b := must[*koji.Build](t)(c.GetBuild(ctx, koji.Name("foo-1.0-2")))
	if b.NVR != "foo-1.0-2" || b.State != koji.BuildComplete || b.Epoch != nil || b.TaskID != nil || b.OwnerName != kojitest.AdminUser {
		t.Errorf("GetBuild = %+v", b)
	}
	if b.StartTime.IsZero() || b.CompletionTime.IsZero() {
		t.Errorf("times not parsed: %+v", b)
	}
	byID := must[*koji.Build](t)(c.GetBuild(ctx, koji.ID(b.ID)))
	if diff := cmp.Diff(b, byID); diff != "" {
		t.Errorf("by id differs (-nvr +id):\n%s", diff)
	}
	if _, err := c.GetBuild(ctx, koji.Name("foo-9-9")); !errors.Is(err, koji.ErrNotFound) {
		t.Errorf("missing build = %v, want ErrNotFound", err)
	}
	if _, err := c.GetBuild(ctx, koji.Name("nope")); !errors.Is(err, koji.ErrGeneric) {
		t.Errorf("bad NVR = %v, want GenericError", err)
	}

	tagged := must[[]koji.Build](t)(c.ListTagged(ctx, koji.Name("dest"), nil))
	if got := nvrs(tagged); !cmp.Equal(got, []string{"foo-1.0-2", "foo-1.0-1"}) {
		t.Errorf("ListTagged = %v, want newest tagging first", got)
	}
	if tagged[0].TagName != "dest" || tagged[0].TagEvent == 0 {
		t.Errorf("tag fields missing: %+v", tagged[0])
	}
	if got := nvrs(must[[]koji.Build](t)(c.ListTagged(ctx, koji.Name("child"), nil))); len(got) != 0 {
		t.Errorf("ListTagged(child) without inherit = %v", got)
	}
	if got := nvrs(must[[]koji.Build](t)(c.ListTagged(ctx, koji.Name("child"), &koji.ListTaggedOptions{Inherit: true, Latest: true}))); !cmp.Equal(got, []string{"foo-1.0-2"}) {
		t.Errorf("ListTagged(child, inherit, latest) = %v", got)
	}
	if got := nvrs(must[[]koji.Build](t)(c.GetLatestBuilds(ctx, koji.Name("child"), &koji.LatestBuildsOptions{Package: "foo"}))); !cmp.Equal(got, []string{"foo-1.0-2"}) {
		t.Errorf("GetLatestBuilds = %v", got)
	}
	state := koji.BuildComplete
	if got := nvrs(must[[]koji.Build](t)(c.ListBuilds(ctx, &koji.ListBuildsOptions{Package: koji.Name("foo"), State: &state,
		Query: &koji.QueryOptions{Order: "-id", Limit: 1}}))); !cmp.Equal(got, []string{"foo-1.0-2"}) {
		t.Errorf("ListBuilds = %v", got)
	}

	rel := must[string](t)(c.GetNextRelease(ctx, "foo", "1.0"))
	if rel != "3" {
		t.Errorf("GetNextRelease = %q, want 3", rel)
	}
	if rel := must[string](t)(c.GetNextRelease(ctx, "bar", "1")); rel != "1" {
		t.Errorf("GetNextRelease(new) = %q, want 1", rel)
	}
	bt := must[map[string]any](t)(c.GetBuildType(ctx, koji.Name("foo-1.0-1")))
	if bt == nil {
		t.Error("GetBuildType = nil")
	}
	tags := must[[]koji.Tag](t)(c.ListTags(ctx, &koji.ListTagsOptions{Build: koji.Name("foo-1.0-1")}))
	if len(tags) != 1 || tags[0].Name != "dest" {
		t.Errorf("ListTags(build) = %+v", tags)
	}
}

func nvrs(bs []koji.Build) []string {
	out := []string{}
	for _, b := range bs {
		out = append(out, b.NVR)
	}
	return out
}

func TestTagging(t *testing.T) {
	t.Parallel()
	hub, c := setup(t)
	ctx := t.Context()
	seedBuilds(t, c)
	must[int64](t)(c.CreateTag(ctx, "other", nil))

	// Package not listed: refused at once.
	_, err := c.TagBuild(ctx, koji.Name("other"), koji.Name("foo-1.0-1"), nil)
	if !errors.Is(err, koji.ErrTag) {
		t.Fatalf("TagBuild into unlisted tag = %v, want TagError", err)
	}
	check(t, c.AddPackage(ctx, koji.Name("other"), "foo", &koji.AddPackageOptions{Owner: kojitest.AdminUser}))
	taskID := must[int64](t)(c.TagBuild(ctx, koji.Name("other"), koji.Name("foo-1.0-1"), &koji.TagBuildOptions{FromTag: koji.Name("dest")}))
	// Only a task is queued: nothing is tagged yet.
	if got := must[[]koji.Build](t)(c.ListTagged(ctx, koji.Name("other"), nil)); len(got) != 0 {
		t.Errorf("tagged before the task ran: %v", nvrs(got))
	}
	task := must[*koji.Task](t)(c.GetTaskInfo(ctx, taskID, nil))
	if task.Method != "tagBuild" || task.State != koji.TaskFree || task.Priority != 10 {
		t.Errorf("tag task = %+v", task)
	}
	check(t, hub.CompleteTask(taskID, nil))
	if got := nvrs(must[[]koji.Build](t)(c.ListTagged(ctx, koji.Name("other"), nil))); !cmp.Equal(got, []string{"foo-1.0-1"}) {
		t.Errorf("after task: other = %v", got)
	}
	if got := nvrs(must[[]koji.Build](t)(c.ListTagged(ctx, koji.Name("dest"), nil))); !cmp.Equal(got, []string{"foo-1.0-2"}) {
		t.Errorf("after move: dest = %v", got)
	}

	check(t, c.UntagBuild(ctx, koji.Name("other"), koji.Name("foo-1.0-1"), nil))
	if err := c.UntagBuild(ctx, koji.Name("other"), koji.Name("foo-1.0-1"), nil); !errors.Is(err, koji.ErrTag) {
		t.Errorf("untag twice = %v, want TagError", err)
	}
	check(t, c.UntagBuild(ctx, koji.Name("other"), koji.Name("foo-1.0-1"), &koji.UntagBuildOptions{NonStrict: true}))
	check(t, c.UntagBuildBypass(ctx, koji.Name("dest"), koji.Name("foo-1.0-2"), nil))
	if got := must[[]koji.Build](t)(c.ListTagged(ctx, koji.Name("dest"), nil)); len(got) != 0 {
		t.Errorf("dest after untag = %v", nvrs(got))
	}
	if err := c.TagBuildBypass(ctx, koji.Name("dest"), koji.Name("foo-1.0-9"), false); !errors.Is(err, koji.ErrGeneric) {
		t.Errorf("tag missing build = %v", err)
	}
}

func TestRPMs(t *testing.T) {
	t.Parallel()
	hub, c := setup(t, kojitest.WithBuilder(kojitest.AutoComplete))
	ctx := t.Context()
	must[int64](t)(c.CreateTag(ctx, "f42-build", &koji.CreateTagOptions{Arches: []string{"x86_64", "aarch64"}}))
	must[int64](t)(c.CreateTag(ctx, "f42", nil))
	check(t, c.CreateTarget(ctx, "f42", koji.Name("f42-build"), koji.Name("f42")))
	check(t, c.AddPackage(ctx, koji.Name("f42"), "bar", &koji.AddPackageOptions{Owner: kojitest.AdminUser}))
	id := must[int64](t)(c.Build(ctx, "git+https://src.example.org/rpms/bar.git#abc", "f42", nil))
	must[*koji.Task](t)(c.WaitTask(ctx, id, nil))
	_ = hub
	b := must[*koji.Build](t)(c.GetBuild(ctx, koji.Name("bar-1.0-1")))
	rpms := must[[]koji.RPM](t)(c.ListRPMs(ctx, &koji.ListRPMsOptions{BuildID: b.ID}))
	var got []string
	for _, r := range rpms {
		got = append(got, r.NEVRA())
	}
	if diff := cmp.Diff([]string{"bar-1.0-1.src", "bar-1.0-1.x86_64", "bar-1.0-1.aarch64"}, got); diff != "" {
		t.Errorf("ListRPMs (-want +got):\n%s", diff)
	}
	r := must[*koji.RPM](t)(c.GetRPM(ctx, koji.Name("bar-1.0-1.x86_64")))
	if r.BuildID != b.ID || r.PayloadHash == "" {
		t.Errorf("GetRPM = %+v", r)
	}
	if _, err := c.GetRPM(ctx, koji.Name("bar-1.0-1.ppc")); !errors.Is(err, koji.ErrNotFound) {
		t.Errorf("missing rpm = %v", err)
	}
	trpms, tbuilds := must2(t)(c.ListTaggedRPMs(ctx, koji.Name("f42"), &koji.ListTaggedRPMsOptions{Arches: []string{"x86_64"}}))
	if len(trpms) != 1 || trpms[0].Arch != "x86_64" || len(tbuilds) != 1 || tbuilds[0].NVR != "bar-1.0-1" {
		t.Errorf("ListTaggedRPMs = %+v / %+v", trpms, tbuilds)
	}
}

func must2(t *testing.T) func([]koji.RPM, []koji.Build, error) ([]koji.RPM, []koji.Build) {
	return func(r []koji.RPM, b []koji.Build, err error) ([]koji.RPM, []koji.Build) {
		t.Helper()
		check(t, err)
		return r, b
	}
}
