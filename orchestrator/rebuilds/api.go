package rebuilds

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// APIOptions configure [NewHandler].
type APIOptions struct {
	// DryRun is reported by about/.
	DryRun bool
	// Version is reported by about/.
	Version string
	// Write, when set, also serves cancel (PATCH events/<id>) and manual
	// rebuilds (POST builds/); see [WriteOptions].
	Write *WriteOptions
}

// NewHandler serves Freshmaker's read API over st, under /api/1/ (and the
// same under /api/2/): events/ and events/<id>, builds/ and builds/<id>,
// event-types/, build-types/, build-states/ and about/. Lists are
// {"items": [...], "meta": {...}} with page and per_page (default 1 and
// 10, at most 100); errors are {"status", "error", "message"}. Events
// filter by message_id, search_key, event_type_id and state (repeatable,
// a code or a name); builds by event_id, build_id, dep_on_id, name and
// state. An unknown filter is a 400 naming it. Requests other than GET are
// refused with 405.
func NewHandler(st Store, opts *APIOptions) http.Handler {
	o := APIOptions{}
	if opts != nil {
		o = *opts
	}
	return &api{st: st, opts: o}
}

type api struct {
	st   Store
	opts APIOptions
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func apiError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]any{"status": status, "error": http.StatusText(status), "message": fmt.Sprintf(format, args...)})
}

func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	var rest string
	switch {
	case strings.HasPrefix(p, "/api/1/"):
		rest = strings.TrimPrefix(p, "/api/1/")
	case strings.HasPrefix(p, "/api/2/"):
		rest = strings.TrimPrefix(p, "/api/2/")
	default:
		apiError(w, http.StatusNotFound, "No such resource %q: the rebuild API is under /api/1/", p)
		return
	}
	if a.opts.Write != nil && (r.Method == http.MethodPatch || r.Method == http.MethodPost) {
		a.write(w, r, strings.Trim(rest, "/"))
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		apiError(w, http.StatusMethodNotAllowed, "Method %s is not allowed here", r.Method)
		return
	}
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	if len(parts) > 2 {
		apiError(w, http.StatusNotFound, "No such resource %q", p)
		return
	}
	var id int64
	if len(parts) == 2 {
		var err error
		if id, err = strconv.ParseInt(parts[1], 10, 64); err != nil || id <= 0 {
			apiError(w, http.StatusBadRequest, "The id %q is not a positive integer", parts[1])
			return
		}
	}
	switch parts[0] {
	case "events":
		a.events(w, r, id)
	case "builds":
		a.builds(w, r, id)
	case "event-types":
		a.enum(w, id, len(parts) == 2, eventTypeItems())
	case "build-types":
		a.enum(w, id, len(parts) == 2, []map[string]any{{"id": 0, "name": "RPM"}, {"id": 1, "name": "IMAGE"}, {"id": 2, "name": "MODULE"}})
	case "build-states":
		var items []map[string]any
		for s := BuildBuilding; s <= BuildSkipped; s++ {
			items = append(items, map[string]any{"id": int(s), "name": strings.ToUpper(s.String())})
		}
		a.enum(w, id, len(parts) == 2, items)
	case "about":
		writeJSON(w, http.StatusOK, map[string]any{"version": a.opts.Version, "dry_run": a.opts.DryRun, "read_only": a.opts.Write == nil, "api_versions": []int{1, 2}})
	default:
		apiError(w, http.StatusNotFound, "No such resource %q", p)
	}
}

func eventTypeItems() []map[string]any {
	var ids []int
	for t := range eventTypeNames {
		ids = append(ids, int(t))
	}
	slices.Sort(ids)
	var out []map[string]any
	for _, i := range ids {
		out = append(out, map[string]any{"id": i, "name": EventType(i).String()})
	}
	return out
}

func (a *api) enum(w http.ResponseWriter, id int64, one bool, items []map[string]any) {
	if !one {
		writeJSON(w, http.StatusOK, map[string]any{"items": items})
		return
	}
	for _, it := range items {
		if int64(it["id"].(int)) == id {
			writeJSON(w, http.StatusOK, it)
			return
		}
	}
	apiError(w, http.StatusNotFound, "No such id %d", id)
}

// query checks the query's keys and reads the pagination.
func query(r *http.Request, allowed ...string) (url.Values, int, int, error) {
	q := r.URL.Query()
	allowed = append(allowed, "page", "per_page")
	var bad []string
	for k := range q {
		if !slices.Contains(allowed, k) {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return nil, 0, 0, fmt.Errorf("unknown filters %s; expected %s", strings.Join(bad, ", "), strings.Join(allowed, ", "))
	}
	page, per := 1, 10
	for _, f := range []struct {
		key string
		v   *int
		max int
	}{{"page", &page, 1 << 30}, {"per_page", &per, 100}} {
		if s := q.Get(f.key); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > f.max {
				return nil, 0, 0, fmt.Errorf("%s must be an integer from 1 to %d, not %q", f.key, f.max, s)
			}
			*f.v = n
		}
	}
	return q, page, per, nil
}

func meta(r *http.Request, page, per, total int) map[string]any {
	pages := (total + per - 1) / per
	link := func(p int) any {
		if p < 1 || p > max(pages, 1) {
			return nil
		}
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		q.Set("per_page", strconv.Itoa(per))
		return r.URL.Path + "?" + q.Encode()
	}
	return map[string]any{"page": page, "pages": pages, "per_page": per, "total": total,
		"first": link(1), "last": link(max(pages, 1)), "prev": link(page - 1), "next": link(page + 1)}
}

func timeJSON(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// EventJSON is an event as the API shows it (Freshmaker's fields; builds
// included).
func EventJSON(e *Event, builds []*ArtifactBuild) map[string]any {
	bj := make([]map[string]any, 0, len(builds))
	for _, b := range builds {
		bj = append(bj, BuildJSON(b))
	}
	return map[string]any{
		"id": e.ID, "message_id": e.MessageID, "search_key": e.SearchKey, "event_type_id": int(e.Type),
		"event_type_name": e.Type.String(), "state": int(e.State), "state_name": strings.ToUpper(e.State.String()),
		"state_reason": e.StateReason, "time_created": timeJSON(e.TimeCreated), "time_done": timeJSON(e.TimeDone),
		"dry_run": e.DryRun, "requester": e.Requester, "builds": bj, "url": fmt.Sprintf("/api/1/events/%d", e.ID),
	}
}

// BuildJSON is an artifact build as the API shows it (Freshmaker's fields
// plus rule and path).
func BuildJSON(b *ArtifactBuild) map[string]any {
	var buildID, depOnID any
	if b.BuildID != 0 {
		buildID = b.BuildID
	}
	if b.DepOnID != 0 {
		depOnID = b.DepOnID
	}
	return map[string]any{
		"id": b.ID, "event_id": b.EventID, "name": b.Name, "type": int(b.Type), "type_name": strings.ToUpper(b.Type.Name()),
		"state": int(b.State), "state_name": strings.ToUpper(b.State.String()), "state_reason": b.StateReason,
		"build_id": buildID, "dep_on": b.DepOn, "dep_on_id": depOnID, "original_nvr": b.OriginalNVR, "rebuilt_nvr": b.RebuiltNVR,
		"rebuild_reason": b.RebuildReason, "rule": b.Rule, "path": b.Path,
		"time_submitted": timeJSON(b.TimeSubmitted), "time_completed": timeJSON(b.TimeCompleted),
		"url": fmt.Sprintf("/api/1/builds/%d", b.ID),
	}
}

func (a *api) events(w http.ResponseWriter, r *http.Request, id int64) {
	ctx := r.Context()
	if id != 0 {
		e, err := a.st.Event(ctx, id)
		if errors.Is(err, ErrNotFound) {
			apiError(w, http.StatusNotFound, "No such event found.")
			return
		}
		if err != nil {
			apiError(w, http.StatusInternalServerError, "%v", err)
			return
		}
		bs, _, err := a.st.Builds(ctx, &BuildFilter{EventID: id})
		if err != nil {
			apiError(w, http.StatusInternalServerError, "%v", err)
			return
		}
		j := a.withImageArgs(ctx, EventJSON(e, bs), bs)
		if err := addLinks(r, a.st, j, id); err != nil {
			apiError(w, http.StatusInternalServerError, "%v", err)
			return
		}
		writeJSON(w, http.StatusOK, j)
		return
	}
	q, page, per, err := query(r, "message_id", "search_key", "event_type_id", "state")
	if err != nil {
		apiError(w, http.StatusBadRequest, "%v", err)
		return
	}
	f := &EventFilter{MessageID: q.Get("message_id"), SearchKey: q.Get("search_key"), Limit: per, Offset: (page - 1) * per}
	for _, s := range q["event_type_id"] {
		n, err := strconv.Atoi(s)
		if err != nil {
			apiError(w, http.StatusBadRequest, "event_type_id must be an integer, not %q", s)
			return
		}
		f.Types = append(f.Types, EventType(n))
	}
	for _, s := range q["state"] {
		st, ok := parseState(s, int(EventCanceled), func(i int) string { return EventState(i).String() })
		if !ok {
			apiError(w, http.StatusBadRequest, "state %q is not an event state (0-5 or initialized, building, complete, failed, skipped, canceled)", s)
			return
		}
		f.States = append(f.States, EventState(st))
	}
	evs, total, err := a.st.Events(ctx, f)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	items := make([]map[string]any, 0, len(evs))
	for _, e := range evs {
		bs, _, err := a.st.Builds(ctx, &BuildFilter{EventID: e.ID})
		if err != nil {
			apiError(w, http.StatusInternalServerError, "%v", err)
			return
		}
		items = append(items, a.withImageArgs(ctx, EventJSON(e, bs), bs))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "meta": meta(r, page, per, total)})
}

func parseState(s string, last int, name func(int) string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, n >= 0 && n <= last
	}
	for i := 0; i <= last; i++ {
		if strings.EqualFold(name(i), s) {
			return i, true
		}
	}
	return 0, false
}

func (a *api) builds(w http.ResponseWriter, r *http.Request, id int64) {
	ctx := r.Context()
	if id != 0 {
		bs, _, err := a.st.Builds(ctx, &BuildFilter{ID: id})
		if err != nil {
			apiError(w, http.StatusInternalServerError, "%v", err)
			return
		}
		if len(bs) == 0 {
			apiError(w, http.StatusNotFound, "No such build found.")
			return
		}
		writeJSON(w, http.StatusOK, a.withImageArgs(ctx, BuildJSON(bs[0]), bs[:1]))
		return
	}
	q, page, per, err := query(r, "event_id", "build_id", "dep_on_id", "name", "state")
	if err != nil {
		apiError(w, http.StatusBadRequest, "%v", err)
		return
	}
	f := &BuildFilter{Name: q.Get("name"), Limit: per, Offset: (page - 1) * per}
	for _, p := range []struct {
		key string
		v   *int64
	}{{"event_id", &f.EventID}, {"build_id", &f.BuildID}, {"dep_on_id", &f.DepOnID}} {
		if s := q.Get(p.key); s != "" {
			if *p.v, err = strconv.ParseInt(s, 10, 64); err != nil || *p.v <= 0 {
				apiError(w, http.StatusBadRequest, "%s must be a positive integer, not %q", p.key, s)
				return
			}
		}
	}
	for _, s := range q["state"] {
		st, ok := parseState(s, int(BuildSkipped), func(i int) string { return BuildState(i).String() })
		if !ok {
			apiError(w, http.StatusBadRequest, "state %q is not a build state (0-5 or build, done, failed, canceled, planned, skipped)", s)
			return
		}
		f.States = append(f.States, BuildState(st))
	}
	bs, total, err := a.st.Builds(ctx, f)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	items := make([]map[string]any, 0, len(bs))
	for _, b := range bs {
		items = append(items, a.withImageArgs(ctx, BuildJSON(b), []*ArtifactBuild{b}))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "meta": meta(r, page, per, total)})
}
