package kojitest

import (
	"fmt"
	"strings"
	"time"

	"github.com/modkit/modkit/internal/xmlrpcx"
)

// TaskInfo describes a task to a Builder or a test.
type TaskInfo struct {
	ID      int64
	Method  string // "build", "tagBuild", "newRepo", ...
	Request []any  // the task's arguments, as value trees
	Parent  int64  // 0 for top-level tasks
	State   string // FREE, OPEN, CLOSED, CANCELED, ASSIGNED, FAILED
	Owner   string
	Created time.Time
}

// BuildSpec says what a build task produces. Zero fields get defaults:
// the name from the SCM URL, version "1.0", release "1" followed by the
// dist tag of the module-build-macros build tagged into the target's build
// tag (none: no dist tag), and the build tag's arches (x86_64 if it has
// none).
type BuildSpec struct {
	Name    string
	Version string
	Release string
	Arches  []string
}

// TaskOutcome tells the hub how to finish a task.
type TaskOutcome struct {
	Fail  string     // non-empty: fail the task with a BuildError carrying this message
	Defer bool       // leave the task FREE for now
	Build *BuildSpec // for build tasks
}

// Builder decides the outcome of queued tasks; see WithBuilder. It runs
// with the hub locked and must not call the hub.
type Builder func(TaskInfo) TaskOutcome

// AutoComplete is a Builder that completes every task successfully.
func AutoComplete(TaskInfo) TaskOutcome { return TaskOutcome{} }

func (h *Hub) runBuilder() {
	if h.builder == nil {
		return
	}
	for _, id := range sortedIDs(h.st.tasks) {
		t := h.st.tasks[id]
		if t.state != 0 || t.parent != nil {
			continue
		}
		out := h.builder(h.st.taskView(t))
		switch {
		case out.Defer:
		case out.Fail != "":
			h.st.finishTask(t, 5, nil, fault(1005, "%s", out.Fail))
		default:
			h.st.completeTask(t, out.Build)
		}
	}
}

func (st *state) taskView(t *task) TaskInfo {
	ti := TaskInfo{ID: t.id, Method: t.method, Request: t.request, State: taskStates[t.state], Created: t.create}
	if t.parent != nil {
		ti.Parent = *t.parent
	}
	if u := st.users[t.owner]; u != nil {
		ti.Owner = u.name
	}
	return ti
}

// CompleteTask runs a FREE, ASSIGNED or OPEN task as a builder would and
// closes it: a tagBuild task tags its build, a newRepo task creates a
// READY repo, a build task creates a COMPLETE build (shaped by spec, which
// may be nil) with RPMs, child tasks, and tagging into the destination tag
// unless skip_tag was set. If the work cannot be done the task fails, and
// the fault is returned.
func (h *Hub) CompleteTask(id int64, spec *BuildSpec) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.st.tasks[id]
	if t == nil {
		return fmt.Errorf("kojitest: no task %d", id)
	}
	if t.state == 2 || t.state == 3 || t.state == 5 {
		return fmt.Errorf("kojitest: task %d is already %s", id, taskStates[t.state])
	}
	if f := h.st.completeTask(t, spec); f != nil {
		return f
	}
	return nil
}

// FailTask fails a task with a BuildError fault carrying message.
func (h *Hub) FailTask(id int64, message string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.st.tasks[id]
	if t == nil {
		return fmt.Errorf("kojitest: no task %d", id)
	}
	h.st.finishTask(t, 5, nil, fault(1005, "%s", message))
	return nil
}

// Tasks lists all tasks in creation order.
func (h *Hub) Tasks() []TaskInfo {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []TaskInfo
	for _, id := range sortedIDs(h.st.tasks) {
		out = append(out, h.st.taskView(h.st.tasks[id]))
	}
	return out
}

func (st *state) finishTask(t *task, state int64, result any, f *xmlrpcx.Fault) {
	if t.state == 2 || t.state == 3 || t.state == 5 {
		return
	}
	now := st.now()
	if t.start == nil {
		t.start = &now
	}
	t.state, t.result, t.fault, t.completion = state, result, f, &now
}

func (st *state) completeTask(t *task, spec *BuildSpec) *xmlrpcx.Fault {
	var f *xmlrpcx.Fault
	var result any
	switch t.method {
	case "tagBuild":
		f = st.runTagBuild(t)
	case "newRepo":
		result, f = st.runNewRepo(t)
	case "build":
		result, f = st.runBuild(t, spec)
	case "buildContainer":
		result, _, f = st.runContainerBuild(t, nil)
	}
	if f != nil {
		st.finishTask(t, 5, nil, f)
		return f
	}
	st.finishTask(t, 2, result, nil)
	return nil
}

func (st *state) runTagBuild(t *task) *xmlrpcx.Fault {
	tagID, _ := t.request[0].(int64)
	buildID, _ := t.request[1].(int64)
	force, _ := t.request[2].(bool)
	tg, b := st.tags[tagID], st.builds[buildID]
	if tg == nil || tg.deleted || b == nil {
		return fault(1000, "tag or build vanished")
	}
	if st.activeListing(tagID, buildID) != nil {
		return fault(1003, "build %s already tagged (%s)", b.nvr(), tg.name)
	}
	if !force && !st.pkgListed(tagID, b.pkgID) {
		return fault(1003, "Package %s not in list for %s", b.name, tg.name)
	}
	ev := st.newEvent()
	st.tagBuild(tg, b, ev, t.owner)
	if from, ok := t.request[3].(int64); ok {
		if l := st.activeListing(from, buildID); l != nil {
			l.revokeEvent, l.revoker = &ev, t.owner
			st.touchTag(from, ev)
		}
	}
	return nil
}

func (st *state) runNewRepo(t *task) (any, *xmlrpcx.Fault) {
	name, _ := t.request[0].(string)
	tg, f := st.getTagStrict(name)
	if f != nil {
		return nil, f
	}
	ev := st.newEvent()
	for _, r := range st.repos {
		if r.tagID == tg.id && r.state == 1 {
			r.state = 2
		}
	}
	id := t.id
	r := &repo{id: st.nextID("repo"), tagID: tg.id, state: 1, createEvent: ev, create: st.now(), taskID: &id}
	st.repos[r.id] = r
	return []any{r.id, ev}, nil
}

func (st *state) runBuild(t *task, spec *BuildSpec) (any, *xmlrpcx.Fault) {
	src, _ := t.request[0].(string)
	targetName, _ := t.request[1].(string)
	opts, _ := t.request[2].(map[string]any)
	tgt := st.lookupTarget(targetName)
	if tgt == nil {
		return nil, fault(1005, "unknown build target: %s", targetName)
	}
	s := BuildSpec{}
	if spec != nil {
		s = *spec
	}
	if s.Name == "" {
		s.Name = scmName(src)
	}
	if s.Version == "" {
		s.Version = "1.0"
	}
	if s.Release == "" {
		s.Release = "1" + st.distTag(tgt.buildTag)
	}
	if s.Arches == nil {
		s.Arches = splitArches(st.tags[tgt.buildTag].arches)
		if len(s.Arches) == 0 {
			s.Arches = []string{"x86_64"}
		}
	}
	if oa, ok := opts["arch_override"].(string); ok && oa != "" {
		s.Arches = splitArches(oa)
	}
	scratch, _ := opts["scratch"].(bool)
	skipTag, _ := opts["skip_tag"].(bool)
	dest := st.tags[tgt.destTag]
	pkgID := st.pkgID(s.Name)
	if !scratch && !skipTag && (pkgID == 0 || !st.pkgListed(dest.id, pkgID)) {
		return nil, fault(1005, "package %s not in list for tag %s", s.Name, dest.name)
	}
	now := st.now()
	parent := t.id
	srpmTask := st.addTask("buildSRPMFromSCM", []any{src, st.tags[tgt.buildTag].name}, t.priority, &parent, t.owner)
	st.finishTask(srpmTask, 2, nil, nil)
	for _, arch := range s.Arches {
		at := st.addTask("buildArch", []any{s.Name, st.tags[tgt.buildTag].name, arch}, t.priority, &parent, t.owner)
		at.arch = arch
		st.finishTask(at, 2, nil, nil)
	}
	nvr := s.Name + "-" + s.Version + "-" + s.Release
	result := map[string]any{"srpms": []any{"tasks/" + itoa(t.id) + "/" + nvr + ".src.rpm"}, "rpms": []any{}, "logs": []any{}}
	if scratch {
		return result, nil
	}
	if old := st.buildByNVR(s.Name, s.Version, s.Release); old != nil && old.state != 3 && old.state != 4 {
		return nil, fault(1000, "Build already exists (id=%d, state=%s): %s", old.id, buildStates[old.state], nvr)
	}
	ev := st.newEvent()
	taskID := t.id
	b := &build{id: st.nextID("build"), pkgID: st.ensurePkg(s.Name), name: s.Name, version: s.Version, release: s.Release,
		state: 1, taskID: &taskID, owner: t.owner, source: src, start: now, creation: now, completion: &now,
		createEvent: ev, btypes: map[string]any{"rpm": nil}}
	st.builds[b.id] = b
	st.addRPM(b, "src")
	for _, arch := range s.Arches {
		st.addRPM(b, arch)
	}
	if !skipTag {
		st.tagBuild(dest, b, ev, t.owner)
	}
	return nil, nil
}

func splitArches(s string) []string { return strings.Fields(s) }
