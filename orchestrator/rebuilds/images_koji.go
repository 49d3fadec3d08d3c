package rebuilds

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/modkit/modkit/koji"
)

// KojiImages is the koji side of image rebuilds: an [ImageSource] over the
// hub's image builds (listBuilds type image, their image archives and
// listRPMs(imageID) of each) and an [ImageBuilder] that submits
// buildContainer tasks (koji-containerbuild's hub call, which runs the
// build in OSBS).
//
// An image's stream and build target come from the request of the
// buildContainer task that built it (extra.container_koji_task_id), as
// Freshmaker reads them; an image build with no such task has neither and
// is not rebuilt. Complete builds do not change, so what is read about
// them is kept for the life of the KojiImages.
type KojiImages struct {
	c *koji.Client
	// DefaultTarget, if set, gives the build target of an image whose
	// task is unknown (e.g. "<branch>-container-candidate").
	DefaultTarget func(img *Image) string

	mu    sync.Mutex
	cache map[int64]*Image
}

// NewKojiImages returns the koji image source and builder over c (logged
// in, for BuildContainer).
func NewKojiImages(c *koji.Client) *KojiImages {
	return &KojiImages{c: c, cache: map[int64]*Image{}}
}

// Images implements [ImageSource].
func (k *KojiImages) Images(ctx context.Context) ([]*Image, error) {
	complete := koji.BuildComplete
	builds, err := k.c.ListBuilds(ctx, &koji.ListBuildsOptions{Type: "image", State: &complete})
	if err != nil {
		return nil, err
	}
	var out []*Image
	for i := range builds {
		img, err := k.image(ctx, &builds[i])
		if err != nil {
			return nil, fmt.Errorf("image build %s: %w", builds[i].NVR, err)
		}
		out = append(out, img)
	}
	return out, nil
}

func (k *KojiImages) image(ctx context.Context, b *koji.Build) (*Image, error) {
	k.mu.Lock()
	img := k.cache[b.ID]
	k.mu.Unlock()
	if img != nil {
		return img, nil
	}
	img = &Image{BuildID: b.ID, NVR: b.NVR, Name: b.Name, Version: b.Version, Release: b.Release, Source: b.Source, Completed: b.CompletionTime}
	info := b.ImageInfo()
	task := int64(0)
	if info != nil {
		img.ParentBuildID, task = info.ParentBuildID, info.ContainerKojiTaskID
	}
	if task == 0 && b.TaskID != nil {
		task = *b.TaskID
	}
	if task != 0 {
		t, err := k.c.GetTaskInfo(ctx, task, &koji.GetTaskOptions{Request: true})
		if err != nil && !errors.Is(err, koji.ErrNotFound) {
			return nil, err
		}
		if t != nil && t.Method == "buildContainer" && len(t.Request) >= 3 {
			src, _ := t.Request[0].(string)
			img.Target, _ = t.Request[1].(string)
			if opts, ok := t.Request[2].(map[string]any); ok {
				img.Stream, _ = opts["git_branch"].(string)
			}
			if img.Source == "" {
				img.Source = src
			}
		}
	}
	if img.Target == "" && k.DefaultTarget != nil {
		img.Target = k.DefaultTarget(img)
	}
	archives, err := k.c.ListArchives(ctx, &koji.ListArchivesOptions{BuildID: b.ID, Type: "image"})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, a := range archives {
		rpms, err := k.c.ListRPMs(ctx, &koji.ListRPMsOptions{ImageID: a.ID})
		if err != nil {
			return nil, err
		}
		for _, r := range rpms {
			ir := ImageRPM{Name: r.Name, Version: r.Version, Release: r.Release, Arch: r.Arch, Epoch: r.Epoch}
			if key := ir.String() + "." + r.Arch; !seen[key] {
				seen[key] = true
				img.RPMs = append(img.RPMs, ir)
			}
		}
	}
	k.mu.Lock()
	k.cache[b.ID] = img
	k.mu.Unlock()
	return img, nil
}

// BuildRPMs implements [ImageSource]: the binary RPMs of each build.
func (k *KojiImages) BuildRPMs(ctx context.Context, nvrs []string) ([]ImageRPM, error) {
	var out []ImageRPM
	for _, nvr := range nvrs {
		b, err := k.c.GetBuild(ctx, koji.Name(nvr))
		if err != nil {
			return nil, fmt.Errorf("build %s: %w", nvr, err)
		}
		rpms, err := k.c.ListRPMs(ctx, &koji.ListRPMsOptions{BuildID: b.ID})
		if err != nil {
			return nil, err
		}
		for _, r := range rpms {
			if r.Arch != "src" && r.Arch != "nosrc" {
				out = append(out, ImageRPM{Name: r.Name, Version: r.Version, Release: r.Release, Arch: r.Arch, Epoch: r.Epoch})
			}
		}
	}
	return out, nil
}

func (req *ContainerBuildRequest) kojiOptions() *koji.ContainerBuildOptions {
	return &koji.ContainerBuildOptions{GitBranch: req.Branch, Release: req.Release, KojiParentBuild: req.ParentBuild, YumRepoURLs: req.RepoURLs}
}

// BuildContainer implements [ImageBuilder].
func (k *KojiImages) BuildContainer(ctx context.Context, req *ContainerBuildRequest) (int64, error) {
	return k.c.BuildContainer(ctx, req.Source, req.Target, req.kojiOptions())
}

// ContainerBuild implements [ImageBuilder]: the task's state, and the new
// build's NVR from the task result.
func (k *KojiImages) ContainerBuild(ctx context.Context, id int64) (*ContainerBuildStatus, error) {
	t, err := k.c.GetTaskInfo(ctx, id, nil)
	if err != nil {
		return nil, err
	}
	switch t.State {
	case koji.TaskFailed, koji.TaskCanceled:
		reason := "task " + t.State.String()
		if _, ferr := k.c.GetTaskResult(ctx, id); ferr != nil {
			var f *koji.Fault
			if errors.As(ferr, &f) {
				reason += ": " + f.Message
			}
		}
		return &ContainerBuildStatus{Finished: true, Failed: true, Reason: reason}, nil
	case koji.TaskClosed:
		res, err := k.c.GetContainerTaskResult(ctx, id)
		if err != nil {
			return nil, err
		}
		if len(res.KojiBuilds) == 0 {
			return &ContainerBuildStatus{Finished: true, Failed: true, Reason: fmt.Sprintf("task %d produced no koji build", id)}, nil
		}
		b, err := k.c.GetBuild(ctx, koji.ID(res.KojiBuilds[0]))
		if err != nil {
			return nil, err
		}
		return &ContainerBuildStatus{Finished: true, NVR: b.NVR}, nil
	}
	return &ContainerBuildStatus{}, nil
}

// FindContainerBuild implements [ImageBuildFinder]: a buildContainer task
// created since then with the same source, target, branch and release.
func (k *KojiImages) FindContainerBuild(ctx context.Context, req *ContainerBuildRequest, since time.Time) (int64, bool, error) {
	var rows []map[string]any
	err := k.c.Call(ctx, "listTasks", &rows, map[string]any{"method": "buildContainer", "decode": true,
		"createdAfter": float64(since.Unix())})
	if err != nil {
		return 0, false, err
	}
	var ids []int64
	for _, r := range rows {
		rq, _ := r["request"].([]any)
		if len(rq) < 3 {
			continue
		}
		opts, _ := rq[2].(map[string]any)
		if rq[0] == req.Source && rq[1] == req.Target && opts["git_branch"] == req.Branch && opts["release"] == req.Release {
			if id, ok := r["id"].(int64); ok {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return 0, false, nil
	}
	return slices.Min(ids), true, nil
}

// CancelContainerBuild cancels buildContainer task id and its subtasks
// (an [ImageBuildCanceler]).
func (k *KojiImages) CancelContainerBuild(ctx context.Context, id int64) error {
	return k.c.CancelTask(ctx, id, false)
}
