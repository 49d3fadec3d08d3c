package kojitest

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/modkit/modkit/internal/xmlrpcx"
)

// buildContainer is the call koji-containerbuild's hub plugin adds; the
// test hub behaves as a hub with that plugin installed.
func init() {
	def("buildContainer", "buildContainer", mBuildContainer, "src", "target", "opts=None", "priority=None", "channel=None") // the plugin's default channel is "container"
}

func mBuildContainer(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	if f := cx.requireLogin(); f != nil {
		return nil, f
	}
	prio := int64(20)
	if a.has("priority") && a.int("priority") != 0 {
		if a.int("priority") < 0 && !cx.user.perms["admin"] {
			return nil, fault(1004, "only admins may create high-priority tasks")
		}
		prio = 20 + a.int("priority")
	}
	opts := a.dict("opts")
	if opts == nil {
		opts = map[string]any{}
	}
	t := cx.newTask("buildContainer", []any{a.str("src"), a.str("target"), opts}, prio, nil)
	t.label = nil
	return t.id, nil
}

// ImageSpec says what a buildContainer task produces. Zero fields get
// defaults: the name from the SCM URL, version "1.0", the release from the
// task's release option or "1", arch x86_64, and the parent from the
// task's koji_parent_build option (none: a base image).
type ImageSpec struct {
	Name    string
	Version string
	Release string
	Arches  []string
	// RPMs are the image's content as N-V-R.A of RPMs known to the hub;
	// each arch's archive lists the RPMs of its arch and noarch ones.
	RPMs []string
	// Parent is the NVR of the parent image build (FROM).
	Parent string
}

// CompleteContainerTask runs a FREE, ASSIGNED or OPEN buildContainer task
// as OSBS would: it imports a COMPLETE image build (btype image, one
// docker-image archive of type image per arch whose components are the
// RPMs, extra.image with the parent build and extra.container_koji_task_id)
// and closes the task with {koji_builds, repositories}. It returns the new
// build's id (0 for a scratch build). If the work cannot be done the task
// fails, and the fault is returned.
func (h *Hub) CompleteContainerTask(id int64, spec *ImageSpec) (int64, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.st.tasks[id]
	if t == nil {
		return 0, fmt.Errorf("kojitest: no task %d", id)
	}
	if t.method != "buildContainer" {
		return 0, fmt.Errorf("kojitest: task %d is a %s task", id, t.method)
	}
	if t.state == 2 || t.state == 3 || t.state == 5 {
		return 0, fmt.Errorf("kojitest: task %d is already %s", id, taskStates[t.state])
	}
	result, buildID, f := h.st.runContainerBuild(t, spec)
	if f != nil {
		h.st.finishTask(t, 5, nil, f)
		return 0, f
	}
	h.st.finishTask(t, 2, result, nil)
	return buildID, nil
}

func (st *state) runContainerBuild(t *task, spec *ImageSpec) (any, int64, *xmlrpcx.Fault) {
	src, _ := t.request[0].(string)
	targetName, _ := t.request[1].(string)
	opts, _ := t.request[2].(map[string]any)
	if b, _ := opts["git_branch"].(string); b == "" {
		return nil, 0, fault(1005, "Git branch must be specified")
	}
	if st.lookupTarget(targetName) == nil {
		return nil, 0, fault(1005, "Target `%s` not found", targetName)
	}
	s := ImageSpec{}
	if spec != nil {
		s = *spec
	}
	if s.Name == "" {
		s.Name = scmName(src)
	}
	if s.Version == "" {
		s.Version = "1.0"
	}
	if r, _ := opts["release"].(string); r != "" {
		s.Release = r
	}
	if s.Release == "" {
		s.Release = "1"
	}
	if len(s.Arches) == 0 {
		s.Arches = []string{"x86_64"}
	}
	if p, _ := opts["koji_parent_build"].(string); p != "" {
		s.Parent = p
	}
	var comps []*rpm
	for _, nvra := range s.RPMs {
		r := st.findRPM(nvra)
		if r == nil {
			return nil, 0, fault(1005, "image content: no such rpm: %s", nvra)
		}
		comps = append(comps, r)
	}
	img := map[string]any{"flatpak": false, "isolated": false, "help": nil, "parent_images": []any{}}
	if urls, ok := opts["yum_repourls"].([]any); ok {
		img["yum_repourls"] = urls
	}
	if s.Parent != "" {
		n, v, r, ok := splitNVR(s.Parent)
		pb := st.buildByNVR(n, v, r)
		if !ok || pb == nil {
			return nil, 0, fault(1005, "parent image build %s not found", s.Parent)
		}
		spec := "registry.example.com/" + pb.name + ":" + pb.version + "-" + pb.release
		img["parent_build_id"] = pb.id
		img["parent_images"] = []any{spec}
		img["parent_image_builds"] = map[string]any{spec: map[string]any{"id": pb.id, "nvr": pb.nvr()}}
	}
	repos := []any{"registry.example.com/" + s.Name + ":" + s.Version + "-" + s.Release}
	if scratch, _ := opts["scratch"].(bool); scratch {
		return map[string]any{"koji_builds": []any{}, "repositories": repos}, 0, nil
	}
	if old := st.buildByNVR(s.Name, s.Version, s.Release); old != nil && old.state != 3 && old.state != 4 {
		return nil, 0, fault(1005, "Build for %s already exists, id %d", old.nvr(), old.id)
	}
	now := st.now()
	ev := st.newEvent()
	b := &build{id: st.nextID("build"), pkgID: st.ensurePkg(s.Name), name: s.Name, version: s.Version, release: s.Release,
		state: 1, owner: t.owner, source: src, start: now, creation: now, completion: &now, createEvent: ev,
		btypes: map[string]any{"image": img}}
	b.extra = map[string]any{"image": img, "container_koji_task_id": t.id, "typeinfo": map[string]any{"image": img},
		"osbs_build": map[string]any{"kind": "container_build", "engine": "podman", "subtypes": []any{}}}
	st.builds[b.id] = b
	for _, arch := range s.Arches {
		var ids []int64
		for _, r := range comps {
			if r.arch == arch || r.arch == "noarch" {
				ids = append(ids, r.id)
			}
		}
		slices.Sort(ids)
		name := "docker-image-" + strconv.FormatInt(b.id, 10) + "." + arch + ".tar.gz"
		ar := &archive{id: st.nextID("archive"), buildID: b.id, filename: name, size: 4096, checksum: fmt.Sprintf("%032x", b.id),
			btype: "image", arch: arch, components: ids,
			extra: map[string]any{"image": map[string]any{"arch": arch}, "docker": map[string]any{"id": fmt.Sprintf("sha256:%064x", b.id)}}}
		st.archives[ar.id] = ar
	}
	return map[string]any{"koji_builds": []any{strconv.FormatInt(b.id, 10)}, "repositories": repos}, b.id, nil
}
