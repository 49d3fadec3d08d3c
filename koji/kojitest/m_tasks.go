package kojitest

import (
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/modkit/modkit/internal/xmlrpcx"
)

func init() {
	def("build", "build", mBuild, "src", "target", "opts=None", "priority=None", "channel=None")
	def("getTaskInfo", "getTaskInfo", mGetTaskInfo, "task_id", "request=False", "strict=False")
	def("getTaskChildren", "getTaskChildren", mGetTaskChildren, "task_id", "request=False", "strict=False")
	def("getTaskResult", "getTaskResult", mGetTaskResult, "taskId", "raise_fault=True")
	def("cancelTask", "cancelTask", mCancelTask, "task_id", "recurse=True")
	def("listTasks", "listTasks", mListTasks, "opts=None", "queryOpts=None")
	def("newRepo", "newRepo", mNewRepo, "tag", "event=None", "src=False", "debuginfo=False", "separate_src=False")
	def("getRepo", "getRepo", mGetRepo, "tag", "state=None", "event=None", "dist=False", "min_event=None")
	def("repoInfo", "repoInfo", mRepoInfo, "repo_id", "strict=False")
}

var taskStates = []string{"FREE", "OPEN", "CLOSED", "CANCELED", "ASSIGNED", "FAILED"}

func (cx *callCtx) newTask(method string, request []any, priority int64, parent *int64) *task {
	cx.event()
	var owner int64
	if cx.user != nil {
		owner = cx.user.id
	}
	return cx.st.addTask(method, request, priority, parent, owner)
}

func (st *state) addTask(method string, request []any, priority int64, parent *int64, owner int64) *task {
	t := &task{id: st.nextID("task"), method: method, owner: owner, parent: parent, priority: priority,
		arch: "noarch", request: request, create: st.now()}
	st.tasks[t.id] = t
	return t
}

func taskInfo(t *task, withRequest bool) map[string]any {
	m := map[string]any{"id": t.id, "method": t.method, "state": t.state, "owner": t.owner, "parent": t.parent,
		"host_id": nil, "channel_id": 1, "arch": t.arch, "priority": t.priority, "weight": 0.2, "label": t.label,
		"awaited": nil, "waiting": nil, "create_time": pyTime(t.create), "create_ts": pyTS(t.create),
		"start_time": nil, "start_ts": nil, "completion_time": nil, "completion_ts": nil}
	if t.start != nil {
		// A task that ran was assigned to a host: the simulated builder
		// is host 1.
		m["start_time"], m["start_ts"], m["host_id"] = pyTime(*t.start), pyTS(*t.start), int64(1)
	}
	if t.completion != nil {
		m["completion_time"], m["completion_ts"] = pyTime(*t.completion), pyTS(*t.completion)
	}
	if withRequest {
		m["request"] = t.request
	}
	return m
}

func mBuild(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	if f := cx.requireLogin(); f != nil {
		return nil, f
	}
	if a.int("priority") < 0 && !cx.user.perms["admin"] {
		return nil, fault(1004, "only admins may create high-priority tasks")
	}
	opts := a.dict("opts")
	if opts == nil {
		opts = map[string]any{}
	}
	prio := int64(20)
	if a.has("priority") {
		prio = 20 + a.int("priority")
	}
	t := cx.newTask("build", []any{a.str("src"), a.str("target"), opts}, prio, nil)
	t.label = nil
	return t.id, nil
}

func mGetTaskInfo(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	one := func(id int64) (any, *xmlrpcx.Fault) {
		t := cx.st.tasks[id]
		if t == nil {
			if a.boolean("strict") {
				return nil, fault(1000, "query returned no rows") // the hub's Task.getInfo
			}
			return nil, nil
		}
		return taskInfo(t, a.boolean("request")), nil
	}
	if list, ok := a["task_id"].([]any); ok {
		out := make([]any, len(list))
		for i, x := range list {
			id, _ := x.(int64)
			v, f := one(id)
			if f != nil {
				return nil, f
			}
			out[i] = v
		}
		return out, nil
	}
	return one(a.int("task_id"))
}

func mGetTaskChildren(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	id := a.int("task_id")
	if cx.st.tasks[id] == nil && a.boolean("strict") {
		return nil, fault(1000, "No such task: %d", id)
	}
	out := []any{}
	for _, cid := range sortedIDs(cx.st.tasks) {
		t := cx.st.tasks[cid]
		if t.parent != nil && *t.parent == id {
			out = append(out, taskInfo(t, a.boolean("request")))
		}
	}
	return out, nil
}

func mGetTaskResult(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	id := a.int("taskId")
	t := cx.st.tasks[id]
	if t == nil {
		return nil, fault(1000, "No such task: %d", id)
	}
	switch t.state {
	case 2:
		return t.result, nil
	case 3:
		return nil, fault(1000, "Task %d is canceled", id)
	case 5:
		if a.boolean("raise_fault") {
			return nil, t.fault
		}
		return map[string]any{"faultCode": t.fault.Code, "faultString": t.fault.Message}, nil
	}
	return nil, fault(1000, "Task %d is not finished", id)
}

func mCancelTask(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	if f := cx.requireLogin(); f != nil {
		return nil, f
	}
	id := a.int("task_id")
	t := cx.st.tasks[id]
	if t == nil {
		return nil, fault(1000, "No such task id: %d", id)
	}
	if t.owner != cx.user.id && !cx.user.perms["admin"] {
		return nil, fault(1004, "Cannot cancel task, not owner")
	}
	cx.event()
	cx.st.cancelTask(t)
	if a.boolean("recurse") {
		for _, cid := range sortedIDs(cx.st.tasks) {
			c := cx.st.tasks[cid]
			if c.parent != nil && *c.parent == id {
				cx.st.cancelTask(c)
			}
		}
	}
	return nil, nil
}

// cancelTask cancels t; a task that never started keeps no start time, as
// on the hub.
func (st *state) cancelTask(t *task) {
	started := t.start != nil
	st.finishTask(t, 3, nil, nil)
	if !started {
		t.start = nil
	}
}

// mListTasks is the hub's listTasks: filters on arch, state (and their
// not_ forms), owner, host_id, channel_id, parent (nil: top-level tasks),
// method and creation time; rows carry the owner's name and type, and
// request and result as XML text unless opts.decode.
func mListTasks(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	opts := a.dict("opts")
	decode, _ := opts["decode"].(bool)
	inList := func(key string, v any) (bool, bool) {
		want, ok := opts[key]
		if !ok {
			return true, false
		}
		switch w := want.(type) {
		case []any:
			for _, x := range w {
				if x == v {
					return true, true
				}
			}
			return false, true
		case nil:
			return v == nil, true
		default:
			return w == v, true
		}
	}
	match := func(key string, v any) bool {
		in, _ := inList(key, v)
		if out, has := inList("not_"+key, v); has && out {
			return false
		}
		return in
	}
	timeOpt := func(key string) (time.Time, bool) {
		switch v := opts[key].(type) {
		case float64:
			return time.UnixMicro(int64(v * 1e6)), true
		case int64:
			return time.Unix(v, 0), true
		case string:
			if t, err := time.Parse("2006-01-02 15:04:05", v); err == nil {
				return t, true
			}
		}
		return time.Time{}, false
	}
	out := []any{}
	for _, id := range sortedIDs(cx.st.tasks) {
		t := cx.st.tasks[id]
		var parent, host any
		if t.parent != nil {
			parent = *t.parent
		}
		if t.start != nil {
			host = int64(1)
		}
		if m, ok := opts["method"].(string); ok && t.method != m {
			continue
		}
		if !match("arch", t.arch) || !match("state", t.state) || !match("owner", t.owner) ||
			!match("host_id", host) || !match("channel_id", int64(1)) || !match("parent", parent) {
			continue
		}
		if after, ok := timeOpt("createdAfter"); ok && !t.create.After(after) {
			continue
		}
		if before, ok := timeOpt("createdBefore"); ok && !t.create.Before(before) {
			continue
		}
		row := taskInfo(t, true)
		if u := cx.st.users[t.owner]; u != nil {
			row["owner_name"], row["owner_type"] = u.name, u.usertype
		} else {
			row["owner_name"], row["owner_type"] = nil, nil
		}
		var result any
		switch {
		case t.state == 2 && decode:
			result = []any{t.result} // the decoded methodResponse: its params
		case t.state == 2:
			b, _ := xmlrpcx.EncodeResponse(t.result)
			result = string(b)
		case t.fault != nil && decode:
			result = map[string]any{"faultCode": t.fault.Code, "faultString": t.fault.Message}
		case t.fault != nil:
			result = string(xmlrpcx.EncodeFault(t.fault.Code, t.fault.Message))
		}
		row["result"] = result
		if !decode {
			b, _ := xmlrpcx.EncodeCall(t.method, t.request...)
			row["request"] = string(b)
		}
		out = append(out, row)
	}
	return applyQueryOpts(out, a.dict("queryOpts")), nil
}

func mNewRepo(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	if f := cx.requirePerm("repo"); f != nil {
		return nil, f
	}
	t, f := cx.st.getTagStrict(a["tag"])
	if f != nil {
		return nil, f
	}
	tk := cx.newTask("newRepo", []any{t.name, a["event"], map[string]any{"src": a.boolean("src"), "debuginfo": a.boolean("debuginfo")}}, 15, nil)
	return tk.id, nil
}

func repoInfo(st *state, r *repo) map[string]any {
	// begin_event: the tag's last change the repo's content reflects
	// (the hub's tag_last_change_event before the repo's event).
	begin := r.createEvent
	if ev, ok := st.tagChange[r.tagID]; ok && ev <= r.createEvent {
		begin = ev
	}
	return map[string]any{"begin_event": begin, "begin_ts": pyTS(st.eventTime(begin)), "id": r.id, "state": r.state, "tag_id": r.tagID, "tag_name": st.tags[r.tagID].name,
		"create_event": r.createEvent, "create_ts": pyTS(st.eventTime(r.createEvent)),
		"creation_time": pyTime(r.create), "creation_ts": pyTS(r.create), "state_time": pyTime(r.create),
		"state_ts": pyTS(r.create), "end_event": nil, "end_ts": nil,
		"dist": false, "opts": map[string]any{"src": false, "debuginfo": false, "separate_src": false, "maven": false},
		"custom_opts": map[string]any{}, "task_id": r.taskID, "task_state": int64(2)}
}

func mGetRepo(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	t, f := cx.st.getTagStrict(a["tag"])
	if f != nil {
		return nil, f
	}
	state := int64(1)
	if a.has("state") {
		state = a.int("state")
	}
	var best *repo
	for _, id := range sortedIDs(cx.st.repos) {
		r := cx.st.repos[id]
		// As the hub's getRepo: with an event, the state is not filtered.
		if r.tagID != t.id || (!a.has("event") && r.state != state) ||
			(a.has("event") && r.createEvent > a.int("event")) ||
			(a.has("min_event") && r.createEvent < a.int("min_event")) {
			continue
		}
		best = r
	}
	if best == nil {
		return nil, nil
	}
	return repoInfo(cx.st, best), nil
}

func mRepoInfo(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	r := cx.st.repos[a.int("repo_id")]
	if r == nil {
		if a.boolean("strict") {
			return nil, fault(1000, "No such repo: %d", a.int("repo_id"))
		}
		return nil, nil
	}
	return repoInfo(cx.st, r), nil
}

// scmName derives a package name from an SCM URL such as
// git+https://host/rpms/foo.git#commit.
func scmName(src string) string {
	s := strings.TrimPrefix(src, "git+")
	if u, err := url.Parse(s); err == nil {
		s = u.Path
	}
	s, _, _ = strings.Cut(s, "#")
	s, _, _ = strings.Cut(s, "?")
	return strings.TrimSuffix(path.Base(s), ".git")
}
