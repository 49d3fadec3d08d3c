package kojibuild

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/orchestrator"
)

// A task id as Submit returns it is the koji task id in decimal, or
// "build:<build id>" for an adopted build that has no task (imported).
func parseTask(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

func parseBuildRef(s string) (int64, bool) {
	v, ok := strings.CutPrefix(s, "build:")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(v, 10, 64)
	return id, err == nil && id > 0
}

type scanKey struct {
	module int64
	batch  int
}

// scan is what koji already has for the components of one batch: build
// tasks of this module's target by mbs_artifact_name, and complete builds
// that carry the module's dist tag, by package name.
type scan struct {
	tasks  map[string]int64
	builds map[string]koji.Build
}

// recover reads, once per batch and process, the existing build tasks of
// mb's target and the builds with its dist tag (one multicall), so that
// Submit after a crash adopts instead of submitting again (MBS's
// recover_orphaned_artifact and its check for running tasks).
func (b *Builder) recover(ctx context.Context, mb *orchestrator.ModuleBuild, me *koji.User, batch int) (*scan, error) {
	key := scanKey{mb.ID, batch}
	b.mu.Lock()
	sc := b.scans[key]
	b.mu.Unlock()
	if sc != nil {
		return sc, nil
	}
	n := NamesOf(mb)
	m := b.multi(mb)
	opts := map[string]any{"method": "build", "owner": me.ID, "state": []any{0, 1, 2, 4}, "decode": true}
	if !mb.TimeSubmitted.IsZero() {
		opts["createdAfter"] = float64(mb.TimeSubmitted.Add(-time.Hour).Unix())
	}
	fTasks := m.call("listTasks", opts, map[string]any{"order": "id"})
	var fBuilds *koji.Future[any]
	if mb.DistTag != "" {
		fBuilds = m.call("listBuilds", koji.Kwargs{"pattern": "*" + mb.DistTag, "state": int(koji.BuildComplete)})
	}
	if err := m.do(ctx); err != nil {
		return nil, err
	}
	var tasks []koji.Task
	if err := result(fTasks, &tasks); err != nil {
		return nil, err
	}
	sc = &scan{tasks: map[string]int64{}, builds: map[string]koji.Build{}}
	for _, t := range tasks {
		if t.Parent != nil || len(t.Request) < 3 {
			continue
		}
		target, _ := t.Request[1].(string)
		o, _ := t.Request[2].(map[string]any)
		name, _ := o["mbs_artifact_name"].(string)
		if target != n.Target || name == "" {
			continue
		}
		if mt, ok := o["mbs_module_target"].(string); ok && mt != n.Target {
			continue
		}
		sc.tasks[name] = t.ID // ordered by id: the newest wins
	}
	if fBuilds != nil {
		var builds []koji.Build
		if err := result(fBuilds, &builds); err != nil {
			return nil, err
		}
		for _, bd := range builds {
			if strings.HasSuffix(bd.Release, mb.DistTag) {
				if old, ok := sc.builds[bd.Name]; !ok || bd.ID > old.ID {
					sc.builds[bd.Name] = bd
				}
			}
		}
	}
	b.mu.Lock()
	b.scans[key] = sc
	b.mu.Unlock()
	return sc, nil
}

// ModuleClaimed implements orchestrator.Claimer: it drops the recovery
// scans of the module build, which another process sharing the store may
// have changed (submitted builds) since they were read.
func (b *Builder) ModuleClaimed(moduleID int64) {
	b.mu.Lock()
	for k := range b.scans {
		if k.module == moduleID {
			delete(b.scans, k)
		}
	}
	b.mu.Unlock()
}

// forget drops the recovery scans of mb's batches up to batch.
func (b *Builder) forget(mb *orchestrator.ModuleBuild, batch int) {
	b.mu.Lock()
	for k := range b.scans {
		if k.module == mb.ID && k.batch <= batch {
			delete(b.scans, k)
		}
	}
	b.mu.Unlock()
}

// Submit builds c in the module's target with MBS's options
// ({skip_tag, mbs_artifact_name, mbs_module_target} and priority). Before
// submitting it looks for what a crashed run may have left: an active or
// finished build task of this component in this target (found by
// mbs_artifact_name and mbs_module_target), or a complete build of the
// package with the module's dist tag; either is adopted instead of
// building again. module-build-macros is made locally with rpmbuild -bs
// and built from an upload.
func (b *Builder) Submit(ctx context.Context, mb *orchestrator.ModuleBuild, c *orchestrator.ComponentBuild) (string, error) {
	me, err := b.me(ctx, mb)
	if err != nil {
		return "", wrap(mb, "submit "+c.Package, err)
	}
	sc, err := b.recover(ctx, mb, me, c.Batch)
	if err != nil {
		return "", wrap(mb, "look for existing builds of "+c.Package, err)
	}
	if id, ok := sc.tasks[c.Package]; ok {
		b.info(ctx, mb, c.ID, "Adopted koji task %d of %s, found by its mbs_artifact_name and mbs_module_target.", id, c.Package)
		return strconv.FormatInt(id, 10), nil
	}
	if bd, ok := sc.builds[c.Package]; ok {
		b.info(ctx, mb, c.ID, "Found existing build %s with this module's dist tag; it is adopted.", bd.NVR)
		if bd.TaskID != nil && *bd.TaskID > 0 {
			return strconv.FormatInt(*bd.TaskID, 10), nil
		}
		return "build:" + strconv.FormatInt(bd.ID, 10), nil
	}
	n := NamesOf(mb)
	src := c.SCMURL
	if c.Package == orchestrator.MacrosPackage && src == "" {
		if src, err = b.uploadMacros(ctx, mb, c); err != nil {
			return "", wrap(mb, "make "+c.Package, err)
		}
	}
	opts := &koji.BuildOptions{SkipTag: true, Priority: b.opts.Priority,
		Extra: map[string]any{"mbs_artifact_name": c.Package, "mbs_module_target": n.Target}}
	t := time.Now()
	id, err := b.c.Build(ctx, src, n.Target, opts)
	b.logCall(ctx, mb, c.ID, t, err, "build(%q, %q, {skip_tag: true, mbs_artifact_name: %q, mbs_module_target: %q}, priority=%d) -> task %d",
		src, n.Target, c.Package, n.Target, *b.opts.Priority, id)
	if err != nil {
		return "", wrap(mb, "submit "+c.Package, err)
	}
	b.mu.Lock()
	sc.tasks[c.Package] = id
	b.mu.Unlock()
	return strconv.FormatInt(id, 10), nil
}

// Poll reports the state of one component build (see PollBatch).
func (b *Builder) Poll(ctx context.Context, mb *orchestrator.ModuleBuild, c *orchestrator.ComponentBuild) (orchestrator.ComponentResult, error) {
	res, errs := b.PollBatch(ctx, mb, []*orchestrator.ComponentBuild{c})
	return res[0], errs[0]
}

// PollBatch reports the state of running component builds with at most
// three multicalls: the tasks' states, then the builds of closed tasks
// and the failure of failed ones, then the RPMs of the builds.
func (b *Builder) PollBatch(ctx context.Context, mb *orchestrator.ModuleBuild, cs []*orchestrator.ComponentBuild) ([]orchestrator.ComponentResult, []error) {
	res := make([]orchestrator.ComponentResult, len(cs))
	errs := make([]error, len(cs))
	for i := range res {
		res[i].State = orchestrator.ComponentBuilding
	}
	fail := func(err error) ([]orchestrator.ComponentResult, []error) {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
		return res, errs
	}
	if _, err := b.me(ctx, mb); err != nil {
		return fail(wrap(mb, "poll", err))
	}
	// 1: task states (or adopted builds).
	m := b.multi(mb)
	fTask := make([]*koji.Future[any], len(cs))
	fBuild := make([]*koji.Future[any], len(cs))
	for i, c := range cs {
		if id, ok := parseTask(c.TaskID); ok {
			fTask[i] = m.call("getTaskInfo", id)
		} else if id, ok := parseBuildRef(c.TaskID); ok {
			fBuild[i] = m.call("getBuild", id)
		} else {
			errs[i] = fmt.Errorf("kojibuild: component %s has no koji task (task id %q)", c.Package, c.TaskID)
		}
	}
	if err := m.do(ctx); err != nil {
		return fail(wrap(mb, "poll", err))
	}
	// 2: builds of closed tasks, faults of failed ones.
	m = b.multi(mb)
	builds := make([]*koji.Build, len(cs))
	fResult := make([]*koji.Future[any], len(cs))
	for i, c := range cs {
		switch {
		case fTask[i] != nil:
			var t *koji.Task
			if err := result(fTask[i], &t); err != nil {
				errs[i] = err
				continue
			}
			if t == nil {
				res[i] = orchestrator.ComponentResult{State: orchestrator.ComponentFailed, Reason: fmt.Sprintf("koji task %s does not exist", c.TaskID)}
				continue
			}
			switch t.State {
			case koji.TaskClosed:
				fBuild[i] = m.call("listBuilds", koji.Kwargs{"taskID": t.ID})
			case koji.TaskFailed:
				fResult[i] = m.call("getTaskResult", t.ID)
			case koji.TaskCanceled:
				res[i] = orchestrator.ComponentResult{State: orchestrator.ComponentCanceled, Reason: fmt.Sprintf("koji task %d was canceled", t.ID)}
			}
		case fBuild[i] != nil:
			var bd *koji.Build
			if err := result(fBuild[i], &bd); err != nil {
				errs[i] = err
				continue
			}
			builds[i] = bd
			fBuild[i] = nil
		}
	}
	if err := m.do(ctx); err != nil {
		return fail(wrap(mb, "poll", err))
	}
	for i, c := range cs {
		if fBuild[i] != nil {
			var l []koji.Build
			if err := result(fBuild[i], &l); err != nil {
				errs[i] = err
				continue
			}
			if len(l) == 0 {
				res[i] = orchestrator.ComponentResult{State: orchestrator.ComponentFailed, Reason: fmt.Sprintf("koji task %s closed without a build", c.TaskID)}
				continue
			}
			builds[i] = &l[0]
		}
		if fResult[i] != nil {
			_, err := fResult[i].Result()
			var f *koji.Fault
			reason := fmt.Sprintf("koji task %s failed", c.TaskID)
			if errors.As(err, &f) {
				reason += ": " + f.Message
			} else if err != nil {
				reason += ": " + err.Error()
			}
			res[i] = orchestrator.ComponentResult{State: orchestrator.ComponentFailed, Reason: reason}
		}
	}
	// 3: RPMs of complete builds.
	m = b.multi(mb)
	fRPMs := make([]*koji.Future[any], len(cs))
	for i, bd := range builds {
		if bd == nil {
			continue
		}
		switch bd.State {
		case koji.BuildComplete:
			fRPMs[i] = m.call("listRPMs", koji.Kwargs{"buildID": bd.ID})
		case koji.BuildBuilding:
		default:
			res[i] = orchestrator.ComponentResult{State: orchestrator.ComponentFailed, NVR: bd.NVR,
				Reason: fmt.Sprintf("koji build %s is %s", bd.NVR, bd.State)}
		}
	}
	if err := m.do(ctx); err != nil {
		return fail(wrap(mb, "poll", err))
	}
	for i, f := range fRPMs {
		if f == nil {
			continue
		}
		var rpms []koji.RPM
		if err := result(f, &rpms); err != nil {
			errs[i] = err
			continue
		}
		r := orchestrator.ComponentResult{State: orchestrator.ComponentComplete, NVR: builds[i].NVR}
		for _, rpm := range rpms {
			r.RPMs = append(r.RPMs, nevra(rpm))
		}
		res[i] = r
	}
	return res, errs
}

// nevra formats an RPM as N-E:V-R.A (epoch 0 when unset).
func nevra(r koji.RPM) string {
	e := 0
	if r.Epoch != nil {
		e = *r.Epoch
	}
	return fmt.Sprintf("%s-%d:%s-%s.%s", r.Name, e, r.Version, r.Release, r.Arch)
}

// Cancel cancels the component's koji task (and its subtasks).
func (b *Builder) Cancel(ctx context.Context, mb *orchestrator.ModuleBuild, c *orchestrator.ComponentBuild) error {
	id, ok := parseTask(c.TaskID)
	if !ok {
		return nil
	}
	if _, err := b.me(ctx, mb); err != nil {
		return wrap(mb, "cancel "+c.Package, err)
	}
	t := time.Now()
	err := b.c.CancelTask(ctx, id, false)
	b.logCall(ctx, mb, c.ID, t, err, "cancelTask(%d)", id)
	return wrap(mb, "cancel "+c.Package, err)
}

// CancelBatch cancels the koji tasks of the components (and their
// subtasks) in one multicall.
func (b *Builder) CancelBatch(ctx context.Context, mb *orchestrator.ModuleBuild, cs []*orchestrator.ComponentBuild) error {
	if _, err := b.me(ctx, mb); err != nil {
		return wrap(mb, "cancel", err)
	}
	m := b.multi(mb)
	var fs []*koji.Future[any]
	var names []string
	for _, c := range cs {
		if id, ok := parseTask(c.TaskID); ok {
			fs = append(fs, m.call("cancelTask", id))
			names = append(names, c.Package)
		}
	}
	if err := m.do(ctx); err != nil {
		return wrap(mb, "cancel", err)
	}
	var errs []error
	for i, f := range fs {
		if err := result(f, nil); err != nil {
			errs = append(errs, fmt.Errorf("cancel %s: %w", names[i], err))
		}
	}
	return wrap(mb, "cancel", errors.Join(errs...))
}
