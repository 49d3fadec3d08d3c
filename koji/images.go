package koji

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// ImageInfo is what a container image build records about itself in its
// extra (OSBS's content generator writes it): the parent image it was
// built FROM and the buildContainer task that built it.
type ImageInfo struct {
	// ParentBuildID is extra.image.parent_build_id, the koji build of the
	// image this one was built FROM; 0 for a base image.
	ParentBuildID int64
	// ParentImageBuilds is extra.image.parent_image_builds: for each
	// parent pull spec (multi-stage builds have several), its koji build.
	ParentImageBuilds map[string]ParentImageBuild
	// ParentImages is extra.image.parent_images, the pull specs of the
	// Dockerfile's FROM lines.
	ParentImages []string
	// ContainerKojiTaskID is extra.container_koji_task_id, the
	// buildContainer task that produced the build (0 if unknown).
	ContainerKojiTaskID int64
	Flatpak, Isolated   bool
	// YumRepoURLs are the extra repository files the build used.
	YumRepoURLs []string
}

// ParentImageBuild is one entry of extra.image.parent_image_builds.
type ParentImageBuild struct {
	ID  int64
	NVR string
}

// ImageInfo returns the image information of a container image build
// (extra.image, or extra.typeinfo.image), or nil for other builds.
func (b *Build) ImageInfo() *ImageInfo {
	img, ok := b.Extra["image"].(map[string]any)
	if !ok {
		ti, _ := b.Extra["typeinfo"].(map[string]any)
		if img, ok = ti["image"].(map[string]any); !ok {
			return nil
		}
	}
	info := &ImageInfo{ParentBuildID: anyInt(img["parent_build_id"]), ParentImages: anyStrings(img["parent_images"]),
		YumRepoURLs: anyStrings(img["yum_repourls"])}
	info.Flatpak, _ = img["flatpak"].(bool)
	info.Isolated, _ = img["isolated"].(bool)
	if pib, ok := img["parent_image_builds"].(map[string]any); ok {
		info.ParentImageBuilds = map[string]ParentImageBuild{}
		for spec, v := range pib {
			m, _ := v.(map[string]any)
			nvr, _ := m["nvr"].(string)
			info.ParentImageBuilds[spec] = ParentImageBuild{ID: anyInt(m["id"]), NVR: nvr}
		}
	}
	info.ContainerKojiTaskID = anyInt(b.Extra["container_koji_task_id"])
	if info.ContainerKojiTaskID == 0 {
		info.ContainerKojiTaskID = anyInt(img["container_koji_task_id"])
	}
	return info
}

// anyInt reads an integer that may arrive as a number or a numeric string
// (OSBS writes some ids as strings).
func anyInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int:
		return int64(x)
	case float64:
		return int64(x)
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}

func anyStrings(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, e := range l {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// ContainerBuildOptions are the options of a buildContainer task (the
// opts koji-containerbuild's builder accepts) and of the call itself.
type ContainerBuildOptions struct {
	// GitBranch is the branch the source commit is on; the builder
	// requires it.
	GitBranch string
	Scratch   bool
	Isolated  bool
	Flatpak   bool
	// YumRepoURLs are URLs of .repo files whose repositories the build
	// uses, e.g. an on-demand compose of an update's builds.
	YumRepoURLs []string
	// ComposeIDs are ODCS composes the build uses.
	ComposeIDs []int64
	// KojiParentBuild is the NVR of a koji image build that replaces the
	// Dockerfile's parent image (a rebuilt parent).
	KojiParentBuild string
	// Release overrides the Dockerfile's release label.
	Release       string
	ArchOverride  []string
	SigningIntent string
	// Extra holds further builder options, passed as they are.
	Extra map[string]any
	// Priority is added to the default task priority (negative needs
	// admin); Channel defaults to the plugin's "container".
	Priority *int
	Channel  string
}

// BuildContainer submits a container image build of src (an SCM URL such
// as "git+https://src.example.org/container/httpd#<commit>") into target
// and returns the task id. It is the hub call koji-containerbuild's hub
// plugin adds (buildContainer(src, target, opts, priority, channel)); a
// hub without the plugin answers with a GenericError "Invalid method".
func (c *Client) BuildContainer(ctx context.Context, src, target string, opts *ContainerBuildOptions) (int64, error) {
	o := map[string]any{}
	k := Kwargs{}
	if opts != nil {
		for key, v := range opts.Extra {
			o[key] = v
		}
		setIf(o, opts.GitBranch != "", "git_branch", opts.GitBranch)
		setIf(o, opts.Scratch, "scratch", true)
		setIf(o, opts.Isolated, "isolated", true)
		setIf(o, opts.Flatpak, "flatpak", true)
		setIf(o, len(opts.YumRepoURLs) > 0, "yum_repourls", opts.YumRepoURLs)
		setIf(o, len(opts.ComposeIDs) > 0, "compose_ids", opts.ComposeIDs)
		setIf(o, opts.KojiParentBuild != "", "koji_parent_build", opts.KojiParentBuild)
		setIf(o, opts.Release != "", "release", opts.Release)
		setIf(o, len(opts.ArchOverride) > 0, "arch_override", strings.Join(opts.ArchOverride, " "))
		setIf(o, opts.SigningIntent != "", "signing_intent", opts.SigningIntent)
		if opts.Priority != nil {
			k["priority"] = *opts.Priority
		}
		setIf(k, opts.Channel != "", "channel", opts.Channel)
	}
	var id int64
	return id, c.call(ctx, "buildContainer", &id, []any{src, target, o}, k)
}

// ContainerTaskResult is the result of a finished buildContainer task.
type ContainerTaskResult struct {
	// KojiBuilds are the ids of the image builds the task produced
	// (none for a scratch build).
	KojiBuilds []int64
	// Repositories are the pull specs the image was pushed to.
	Repositories []string
}

// GetContainerTaskResult reads a finished buildContainer task's result.
// Errors are GetTaskResult's: a failed task's fault, or a GenericError
// for a task that has not finished.
func (c *Client) GetContainerTaskResult(ctx context.Context, taskID int64) (*ContainerTaskResult, error) {
	v, err := c.GetTaskResult(ctx, taskID)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("koji: task %d: want a buildContainer result struct, got %T", taskID, v)
	}
	r := &ContainerTaskResult{Repositories: anyStrings(m["repositories"])}
	kb, _ := m["koji_builds"].([]any)
	for _, b := range kb {
		if id := anyInt(b); id != 0 {
			r.KojiBuilds = append(r.KojiBuilds, id)
		}
	}
	return r, nil
}
