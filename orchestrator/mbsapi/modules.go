package mbsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/resolver"
)

// view is the JSON detail level.
type view int

const (
	viewShort view = iota
	viewDefault
	viewVerbose
)

func viewOf(q url.Values) view {
	switch {
	case boolArg(q, "verbose"):
		return viewVerbose
	case boolArg(q, "short"):
		return viewShort
	}
	return viewDefault
}

// taskIDJSON renders a task id as a number when it is one (koji), else as a
// string, or null.
func taskIDJSON(id string) any {
	if id == "" {
		return nil
	}
	if n, err := strconv.ParseInt(id, 10, 64); err == nil {
		return n
	}
	return id
}

func strOrNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func timeJSON(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// moduleJSON renders a module build at the given detail level.
func (h *Handler) moduleJSON(ctx context.Context, tx orchestrator.Tx, r *http.Request, v int, mb *orchestrator.ModuleBuild, vw view) (map[string]any, error) {
	out := map[string]any{
		"id": mb.ID, "state": int(mb.State), "state_name": mb.State.String(), "stream": mb.Stream,
		"version": mb.Version, "name": mb.Name, "context": mb.Context, "scratch": mb.Scratch,
	}
	if vw == viewShort {
		return out, nil
	}
	msg, err := orchestrator.NewModuleMessage(ctx, tx, mb)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	comps, _, err := tx.ListComponentBuilds(ctx, &orchestrator.ComponentBuildFilter{ModuleID: mb.ID})
	if err != nil {
		return nil, err
	}
	tasks := map[string]map[string]any{}
	for _, c := range comps {
		if tasks[c.Format] == nil {
			tasks[c.Format] = map[string]any{}
		}
		var st any
		if c.State != nil {
			st = int(*c.State)
		}
		tasks[c.Format][c.Package] = map[string]any{
			"task_id": taskIDJSON(c.TaskID), "state": st, "state_reason": strOrNil(c.StateReason), "nvr": strOrNil(c.NVR),
		}
	}
	out["tasks"] = tasks
	if vw == viewDefault {
		return out, nil
	}
	traces, err := tx.ModuleTraces(ctx, mb.ID)
	if err != nil {
		return nil, err
	}
	trace := []any{}
	for _, t := range traces {
		trace = append(trace, map[string]any{
			"time": timeJSON(t.Time), "state": int(t.State), "state_name": t.State.String(), "reason": strOrNil(t.Reason),
		})
	}
	bases := []any{}
	for name, br := range msg.BuildRequires {
		if !slices.Contains(h.opts.BaseModules, name) {
			continue
		}
		l, _, err := tx.ListModuleBuilds(ctx, &orchestrator.ModuleBuildFilter{Name: name, Stream: br.Stream, Version: br.Version, Context: br.Context})
		if err != nil {
			return nil, err
		}
		for _, bm := range l {
			e := map[string]any{"id": bm.ID, "name": bm.Name, "stream": bm.Stream, "version": bm.Version,
				"context": bm.Context, "state": int(bm.State), "state_name": bm.State.String(), "stream_version": nil}
			if sv, ok := resolver.StreamVersion(bm.Stream, true); ok {
				e["stream_version"] = sv
			}
			bases = append(bases, e)
		}
	}
	var reused any
	if mb.ReusedModuleID != 0 {
		reused = mb.ReusedModuleID
	}
	out["base_module_buildrequires"] = bases
	out["build_context"] = strOrNil(mb.BuildContext)
	out["runtime_context"] = strOrNil(mb.RuntimeContext)
	out["modulemd"] = mb.Modulemd
	out["reused_module_id"] = reused
	out["state_trace"] = trace
	out["state_url"] = fmt.Sprintf("%s%s%d/module-builds/%d", h.baseURL(r), Prefix, v, mb.ID)
	out["stream_version"] = nil
	out["virtual_streams"] = []any{}
	out["arches"] = []any{}
	// modkit additions.
	out["dist_tag"] = strOrNil(mb.DistTag)
	out["repository"] = strOrNil(mb.Publication.Repository)
	return out, nil
}

// listModules serves GET module-builds/.
func (h *Handler) listModules(w http.ResponseWriter, r *http.Request, v int) error {
	q := r.URL.Query()
	if q.Has("id") {
		return errorf(http.StatusBadRequest, "The id parameter is not allowed on this URL; use /module-build-service/%d/module-builds/<id> to get one module build", v)
	}
	f, err := moduleFilter(q)
	if err != nil {
		return err
	}
	pg, per, err := page(q)
	if err != nil {
		return err
	}
	f.Limit, f.Offset = per, (pg-1)*per
	vw := viewOf(q)
	return writeList(h, w, r, pg, per, func(ctx context.Context, tx orchestrator.Tx) ([]*orchestrator.ModuleBuild, int, error) {
		return tx.ListModuleBuilds(ctx, f)
	}, func(ctx context.Context, tx orchestrator.Tx, mb *orchestrator.ModuleBuild) (map[string]any, error) {
		return h.moduleJSON(ctx, tx, r, v, mb, vw)
	})
}

// writeList writes one page of a list, read and rendered in one
// transaction, as MBS's {"items": [...], "meta": {...}} document.
func writeList[T any](h *Handler, w http.ResponseWriter, r *http.Request, pg, per int,
	list func(context.Context, orchestrator.Tx) ([]T, int, error),
	render func(context.Context, orchestrator.Tx, T) (map[string]any, error)) error {
	ctx := r.Context()
	var items []any
	var total int
	err := h.svc.Store().View(ctx, func(tx orchestrator.Tx) error {
		xs, n, err := list(ctx, tx)
		if err != nil {
			return err
		}
		total = n
		items, err = renderAll(xs, func(x T) (map[string]any, error) { return render(ctx, tx, x) })
		return err
	})
	if err != nil {
		return err
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "meta": h.meta(r, pg, per, total)})
	return nil
}

// renderAll renders each of xs.
func renderAll[T any](xs []T, render func(T) (map[string]any, error)) ([]any, error) {
	out := make([]any, 0, len(xs))
	for _, x := range xs {
		j, err := render(x)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}

// writeOne writes the document render makes inside one read transaction.
func (h *Handler) writeOne(w http.ResponseWriter, r *http.Request, render func(context.Context, orchestrator.Tx) (map[string]any, error)) error {
	ctx := r.Context()
	var out map[string]any
	err := h.svc.Store().View(ctx, func(tx orchestrator.Tx) (err error) {
		out, err = render(ctx, tx)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// noSuch turns ErrNotFound into MBS's 404 "No such <kind> found.".
func noSuch(err error, kind string) error {
	if errors.Is(err, orchestrator.ErrNotFound) {
		return errorf(http.StatusNotFound, "No such %s found.", kind)
	}
	return err
}

var unsupportedModuleFilters = []string{
	"rpm", "virtual_stream", "stream_version_lte", "base_module_br", "base_module_br_name",
	"base_module_br_stream", "base_module_br_version", "base_module_br_context",
	"base_module_br_stream_version", "base_module_br_stream_version_lte", "base_module_br_stream_version_gte",
}

// moduleFilter turns MBS's query arguments into a store filter.
func moduleFilter(q url.Values) (*orchestrator.ModuleBuildFilter, error) {
	f := &orchestrator.ModuleBuildFilter{}
	for _, k := range unsupportedModuleFilters {
		if q.Has(k) {
			return nil, errorf(http.StatusBadRequest, "The %s filter is not supported by this server", k)
		}
	}
	for key, dst := range map[string]*string{
		"name": &f.Name, "stream": &f.Stream, "version": &f.Version, "context": &f.Context,
		"owner": &f.Owner, "koji_tag": &f.KojiTag, "scmurl": &f.SCMURL, "rebuild_strategy": &f.RebuildStrategy,
		"build_context": &f.BuildContext, "build_context_no_bms": &f.BuildContextNoBMS,
		"runtime_context": &f.RuntimeContext, "state_reason": &f.StateReason,
	} {
		*dst = q.Get(key)
	}
	if v := q.Get("scratch"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "The scratch parameter must be true or false, not %q", v)
		}
		f.Scratch = &b
	}
	if v := q.Get("batch"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "The batch parameter must be an integer, not %q", v)
		}
		f.Batch = &n
	}
	for _, s := range q["state"] {
		st, err := orchestrator.ParseModuleState(s)
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "An invalid state was supplied: %s", s)
		}
		f.States = append(f.States, st)
	}
	if v := q.Get("nsvc"); v != "" {
		p := strings.Split(v, ":")
		if len(p) > 4 {
			return nil, errorf(http.StatusBadRequest, "The nsvc parameter must be N[:S[:V[:C]]], not %q", v)
		}
		dst := []*string{&f.Name, &f.Stream, &f.Version, &f.Context}
		for i, s := range p {
			*dst[i] = s
		}
	}
	for key, dst := range map[string]*time.Time{
		"submitted_before": &f.SubmittedBefore, "submitted_after": &f.SubmittedAfter,
		"modified_before": &f.ModifiedBefore, "modified_after": &f.ModifiedAfter,
		"completed_before": &f.CompletedBefore, "completed_after": &f.CompletedAfter,
	} {
		if v := q.Get(key); v != "" {
			t, err := time.Parse("2006-01-02T15:04:05Z", v)
			if err != nil {
				return nil, errorf(http.StatusBadRequest, "An invalid Zulu ISO 8601 timestamp was provided for the %q parameter", key)
			}
			*dst = t
		}
	}
	order, err := orderArgs(q, orchestrator.ModuleBuildColumns)
	if err != nil {
		return nil, err
	}
	f.OrderBy = order
	return f, nil
}

// getModule serves GET module-builds/<id>.
func (h *Handler) getModule(w http.ResponseWriter, r *http.Request, v int, id int64) error {
	return h.writeModule(w, r, v, id, viewOf(r.URL.Query()))
}

// writeModule writes module build id at detail level vw.
func (h *Handler) writeModule(w http.ResponseWriter, r *http.Request, v int, id int64, vw view) error {
	return h.writeOne(w, r, func(ctx context.Context, tx orchestrator.Tx) (map[string]any, error) {
		mb, err := tx.ModuleBuild(ctx, id)
		if err != nil {
			return nil, noSuch(err, "module")
		}
		return h.moduleJSON(ctx, tx, r, v, mb, vw)
	})
}

// cancel serves PATCH module-builds/<id> with {"state": "failed"}.
func (h *Handler) cancel(w http.ResponseWriter, r *http.Request, v int, id int64) error {
	u, err := h.user(r)
	if err != nil {
		return err
	}
	mb, err := h.svc.Get(r.Context(), id)
	if err != nil {
		return noSuch(err, "module")
	}
	if mb.Owner != u.Name && !u.InGroup(h.opts.AdminGroups) {
		return errorf(http.StatusForbidden, "You are not owner of this build and therefore cannot cancel it.")
	}
	var body map[string]any
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return errorf(http.StatusBadRequest, "Cannot read the request body: %v", err)
	}
	if err := json.Unmarshal(data, &body); err != nil {
		return errorf(http.StatusBadRequest, "Invalid JSON submitted")
	}
	for k := range body {
		if k != "state" {
			return errorf(http.StatusBadRequest, "The request contains unspecified parameters: %s", k)
		}
	}
	state := fmt.Sprint(body["state"])
	if st, err := orchestrator.ParseModuleState(state); err != nil || st != orchestrator.StateFailed {
		return errorf(http.StatusBadRequest, "The provided state change is not supported")
	}
	if _, err := h.svc.Cancel(r.Context(), id, u.Name); err != nil {
		return err
	}
	return h.writeModule(w, r, v, id, viewVerbose)
}

// messages serves GET module-builds/<id>/messages and
// component-builds/<id>/messages.
func (h *Handler) messages(w http.ResponseWriter, r *http.Request, v int, f *orchestrator.LogMessageFilter, kind string, id int64) error {
	pg, per, err := page(r.URL.Query())
	if err != nil {
		return err
	}
	f.Limit, f.Offset = per, (pg-1)*per
	// debug=1 adds the builders' debug messages (the koji builder's
	// koji calls).
	if d := r.URL.Query().Get("debug"); d != "" {
		f.Debug, err = strconv.ParseBool(d)
		if err != nil {
			return errorf(http.StatusBadRequest, "The debug parameter must be a boolean, not %q", d)
		}
	}
	ctx := r.Context()
	var items []any
	var total int
	err = h.svc.Store().View(ctx, func(tx orchestrator.Tx) error {
		var err error
		if kind == "module" {
			_, err = tx.ModuleBuild(ctx, id)
		} else {
			_, err = tx.ComponentBuild(ctx, id)
		}
		if err != nil {
			return noSuch(err, kind)
		}
		msgs, n, err := tx.LogMessages(ctx, f)
		if err != nil {
			return err
		}
		total = n
		items = make([]any, 0, len(msgs))
		for _, m := range msgs {
			item := map[string]any{"id": m.ID, "time_created": timeJSON(m.Time), "message": m.Message}
			if f.Debug {
				item["level"] = strings.ToLower(m.Level.String())
			}
			items = append(items, item)
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": items, "meta": h.meta(r, pg, per, total)})
	return nil
}

// componentJSON renders a component build.
func (h *Handler) componentJSON(ctx context.Context, tx orchestrator.Tx, r *http.Request, v int, c *orchestrator.ComponentBuild, verbose bool) (map[string]any, error) {
	var st, name any
	if c.State != nil {
		st, name = int(*c.State), c.State.String()
	}
	out := map[string]any{
		"id": c.ID, "package": c.Package, "format": c.Format, "task_id": taskIDJSON(c.TaskID),
		"state": st, "state_name": name, "state_reason": strOrNil(c.StateReason),
		"module_build": c.ModuleID, "nvr": strOrNil(c.NVR),
	}
	if !verbose {
		return out, nil
	}
	traces, err := tx.ComponentTraces(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	trace := []any{}
	for _, t := range traces {
		var st, name any
		if t.State != nil {
			st, name = int(*t.State), t.State.String()
		}
		trace = append(trace, map[string]any{
			"time": timeJSON(t.Time), "state": st, "state_name": name, "reason": strOrNil(t.Reason),
			"task_id": taskIDJSON(t.TaskID),
		})
	}
	out["batch"] = c.Batch
	out["state_trace"] = trace
	out["state_url"] = fmt.Sprintf("%s%s%d/component-builds/%d", h.baseURL(r), Prefix, v, c.ID)
	var reused any
	if c.ReusedComponentID != 0 {
		reused = c.ReusedComponentID
	}
	out["reused_component_id"] = reused
	return out, nil
}

// listComponents serves GET component-builds/.
func (h *Handler) listComponents(w http.ResponseWriter, r *http.Request, v int) error {
	q := r.URL.Query()
	if q.Has("id") {
		return errorf(http.StatusBadRequest, "The id parameter is not allowed on this URL; use /module-build-service/%d/component-builds/<id> to get one component build", v)
	}
	f := &orchestrator.ComponentBuildFilter{}
	for key, dst := range map[string]*string{
		"package": &f.Package, "format": &f.Format, "scmurl": &f.SCMURL, "ref": &f.Ref,
		"task_id": &f.TaskID, "nvr": &f.NVR, "state_reason": &f.StateReason,
	} {
		*dst = q.Get(key)
	}
	for key, dst := range map[string]**bool{"build_time_only": &f.BuildTimeOnly, "buildonly": &f.Buildonly} {
		if s := q.Get(key); s != "" {
			b, err := strconv.ParseBool(s)
			if err != nil {
				return errorf(http.StatusBadRequest, "The %s parameter must be true or false, not %q", key, s)
			}
			*dst = &b
		}
	}
	for key, dst := range map[string]*int64{"module_build": &f.ModuleID, "module_id": &f.ModuleID} {
		if s := q.Get(key); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return errorf(http.StatusBadRequest, "The %s parameter must be an integer, not %q", key, s)
			}
			*dst = n
		}
	}
	if s := q.Get("batch"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return errorf(http.StatusBadRequest, "The batch parameter must be an integer, not %q", s)
		}
		f.Batch = &n
	}
	for _, s := range q["state"] {
		st, err := orchestrator.ParseComponentState(s)
		if err != nil {
			return errorf(http.StatusBadRequest, "An invalid state was supplied: %s", s)
		}
		f.States = append(f.States, st)
	}
	order, err := orderArgs(q, orchestrator.ComponentBuildColumns)
	if err != nil {
		return err
	}
	f.OrderBy = order
	if len(order) == 0 {
		f.OrderBy = []orchestrator.Order{{Field: "id", Desc: true}}
	}
	pg, per, err := page(q)
	if err != nil {
		return err
	}
	f.Limit, f.Offset = per, (pg-1)*per
	verbose := boolArg(q, "verbose")
	return writeList(h, w, r, pg, per, func(ctx context.Context, tx orchestrator.Tx) ([]*orchestrator.ComponentBuild, int, error) {
		return tx.ListComponentBuilds(ctx, f)
	}, func(ctx context.Context, tx orchestrator.Tx, c *orchestrator.ComponentBuild) (map[string]any, error) {
		return h.componentJSON(ctx, tx, r, v, c, verbose)
	})
}

// getComponent serves GET component-builds/<id>.
func (h *Handler) getComponent(w http.ResponseWriter, r *http.Request, v int, id int64) error {
	return h.writeOne(w, r, func(ctx context.Context, tx orchestrator.Tx) (map[string]any, error) {
		c, err := tx.ComponentBuild(ctx, id)
		if err != nil {
			return nil, noSuch(err, "component")
		}
		return h.componentJSON(ctx, tx, r, v, c, boolArg(r.URL.Query(), "verbose"))
	})
}
