package koji_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
)

func buildSetup(t *testing.T, opts ...kojitest.Option) (*kojitest.Hub, *koji.Client) {
	t.Helper()
	hub, c := setup(t, opts...)
	ctx := t.Context()
	must[int64](t)(c.CreateTag(ctx, "m-build", &koji.CreateTagOptions{Arches: []string{"x86_64"}}))
	must[int64](t)(c.CreateTag(ctx, "m", nil))
	check(t, c.CreateTarget(ctx, "m", koji.Name("m-build"), koji.Name("m")))
	check(t, c.AddPackage(ctx, koji.Name("m"), "foo", &koji.AddPackageOptions{Owner: kojitest.AdminUser}))
	return hub, c
}

func TestBuildTask(t *testing.T) {
	t.Parallel()
	hub, c := buildSetup(t)
	ctx := t.Context()
	id := must[int64](t)(c.Build(ctx, "git+https://src.example.org/rpms/foo.git#0123", "m", &koji.BuildOptions{
		SkipTag: true, Extra: map[string]any{"mbs_artifact_name": "foo", "mbs_module_target": "m"}}))
	task := must[*koji.Task](t)(c.GetTaskInfo(ctx, id, &koji.GetTaskOptions{Request: true}))
	wantReq := []any{"git+https://src.example.org/rpms/foo.git#0123", "m",
		map[string]any{"skip_tag": true, "mbs_artifact_name": "foo", "mbs_module_target": "m"}}
	if diff := cmp.Diff(wantReq, task.Request); diff != "" {
		t.Errorf("task request (-want +got):\n%s", diff)
	}
	if task.State != koji.TaskFree || task.State.Finished() {
		t.Errorf("new task state = %v", task.State)
	}
	if _, err := c.GetTaskResult(ctx, id); !errors.Is(err, koji.ErrGeneric) {
		t.Errorf("result of unfinished task = %v, want GenericError", err)
	}
	check(t, hub.CompleteTask(id, &kojitest.BuildSpec{Release: "1.module_f42+1+abcd"}))
	done := must[*koji.Task](t)(c.WaitTask(ctx, id, nil))
	if done.State != koji.TaskClosed || done.CompletionTime.IsZero() {
		t.Errorf("WaitTask = %+v", done)
	}
	kids := must[[]koji.Task](t)(c.GetTaskChildren(ctx, id, nil))
	var methods []string
	for _, k := range kids {
		methods = append(methods, k.Method+"/"+k.Arch)
	}
	if diff := cmp.Diff([]string{"buildSRPMFromSCM/noarch", "buildArch/x86_64"}, methods); diff != "" {
		t.Errorf("children (-want +got):\n%s", diff)
	}
	builds := must[[]koji.Build](t)(c.ListBuilds(ctx, &koji.ListBuildsOptions{TaskID: id}))
	if len(builds) != 1 || builds[0].NVR != "foo-1.0-1.module_f42+1+abcd" || *builds[0].TaskID != id {
		t.Errorf("build of task = %+v", builds)
	}
	// skip_tag: not tagged.
	if got := must[[]koji.Build](t)(c.ListTagged(ctx, koji.Name("m"), nil)); len(got) != 0 {
		t.Errorf("skip_tag build was tagged: %v", nvrs(got))
	}
}

func TestWaitTaskFailures(t *testing.T) {
	t.Parallel()
	hub, c := buildSetup(t)
	ctx := t.Context()
	failed := must[int64](t)(c.Build(ctx, "git+https://x/rpms/foo.git#1", "m", nil))
	check(t, hub.FailTask(failed, "mock exited with status 30"))
	task, err := c.WaitTask(ctx, failed, nil)
	var te *koji.TaskError
	if !errors.As(err, &te) || !errors.Is(err, koji.ErrTaskFailed) || !errors.Is(err, koji.ErrBuild) || task.State != koji.TaskFailed {
		t.Errorf("WaitTask(failed) = %v, %v", task, err)
	}
	if _, err := c.GetTaskResult(ctx, failed); !errors.Is(err, koji.ErrBuild) {
		t.Errorf("GetTaskResult(failed) = %v, want BuildError", err)
	}

	canceled := must[int64](t)(c.Build(ctx, "git+https://x/rpms/foo.git#2", "m", nil))
	check(t, c.CancelTask(ctx, canceled, false))
	if _, err := c.WaitTask(ctx, canceled, nil); !errors.Is(err, koji.ErrTaskCanceled) {
		t.Errorf("WaitTask(canceled) = %v", err)
	}

	// A bad target is accepted at submit time and fails on the builder.
	bad := must[int64](t)(c.Build(ctx, "git+https://x/rpms/foo.git#3", "no-such-target", nil))
	if err := hub.CompleteTask(bad, nil); err == nil {
		t.Error("CompleteTask with a bad target succeeded")
	}
	if _, err := c.WaitTask(ctx, bad, nil); !errors.Is(err, koji.ErrTaskFailed) {
		t.Errorf("WaitTask(bad target) = %v", err)
	}

	pending := must[int64](t)(c.Build(ctx, "git+https://x/rpms/foo.git#4", "m", nil))
	wctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := c.WaitTask(wctx, pending, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitTask(never finishes) = %v, want deadline", err)
	}
	if _, err := c.GetTaskInfo(ctx, 9999, nil); !errors.Is(err, koji.ErrNotFound) {
		t.Errorf("GetTaskInfo(missing) = %v", err)
	}
}

func TestBuilderTagsIntoDest(t *testing.T) {
	t.Parallel()
	failNext := true
	_, c := buildSetup(t, kojitest.WithBuilder(func(ti kojitest.TaskInfo) kojitest.TaskOutcome {
		if ti.Method == "build" && failNext {
			failNext = false
			return kojitest.TaskOutcome{Fail: "simulated failure"}
		}
		return kojitest.TaskOutcome{}
	}))
	ctx := t.Context()
	first := must[int64](t)(c.Build(ctx, "git+https://x/rpms/foo.git#1", "m", nil))
	if _, err := c.WaitTask(ctx, first, nil); !errors.Is(err, koji.ErrTaskFailed) {
		t.Errorf("first build = %v, want failure from the builder", err)
	}
	second := must[int64](t)(c.Build(ctx, "git+https://x/rpms/foo.git#2", "m", nil))
	must[*koji.Task](t)(c.WaitTask(ctx, second, nil))
	if got := nvrs(must[[]koji.Build](t)(c.ListTagged(ctx, koji.Name("m"), nil))); !cmp.Equal(got, []string{"foo-1.0-1"}) {
		t.Errorf("dest tag = %v", got)
	}
}
