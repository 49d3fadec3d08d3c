package kojitest

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/modkit/modkit/internal/xmlrpcx"
)

func init() {
	def("createTag", "createTag", mCreateTag, "name", "parent=None", "arches=None", "perm=None", "locked=False",
		"maven_support=False", "maven_include_all=False", "extra=None")
	def("getTag", "get_tag", mGetTag, "tagInfo", "strict=False", "event=None", "blocked=False")
	def("editTag2", "editTag2", mEditTag2, "tagInfo", "**kwargs")
	def("deleteTag", "deleteTag", mDeleteTag, "tagInfo")
	def("listTags", "listTags", mListTags, "build=None", "package=None", "perms=True", "queryOpts=None", "pattern=None")
	def("getInheritanceData", "readInheritanceData", mGetInheritanceData, "tag", "event=None")
	def("setInheritanceData", "setInheritanceData", mSetInheritanceData, "tag", "data", "clear=False")
	def("getFullInheritance", "readFullInheritance", mGetFullInheritance, "tag", "event=None", "reverse=False")
	def("tagLastChangeEvent", "tagLastChangeEvent", mTagLastChangeEvent, "tag", "before=None", "inherit=True")
	def("createBuildTarget", "createBuildTarget", mCreateBuildTarget, "name", "build_tag", "dest_tag")
	def("getBuildTarget", "getBuildTarget", mGetBuildTarget, "info", "event=None", "strict=False")
	def("getBuildTargets", "getBuildTargets", mGetBuildTargets, "info=None", "event=None", "buildTagID=None", "destTagID=None", "queryOpts=None")
	def("editBuildTarget", "editBuildTarget", mEditBuildTarget, "buildTargetInfo", "name", "build_tag", "dest_tag")
	def("deleteBuildTarget", "deleteBuildTarget", mDeleteBuildTarget, "buildTargetInfo")
	def("groupListAdd", "grplist_add", mGroupListAdd, "taginfo", "grpinfo", "block=False", "force=False", "**opts")
	def("groupListRemove", "grplist_remove", mGroupListRemove, "taginfo", "grpinfo", "force=False")
	def("groupPackageListAdd", "grp_pkg_add", mGroupPackageListAdd, "taginfo", "grpinfo", "pkg_name", "block=False", "force=False", "**opts")
	def("getTagGroups", "readTagGroups", mGetTagGroups, "tag", "event=None", "inherit=True", "incl_pkgs=True", "incl_reqs=True", "incl_blocked=False")
	def("packageListAdd", "pkglist_add", mPackageListAdd, "taginfo", "pkginfo", "owner=None", "block=None", "extra_arches=None", "force=False", "update=False")
	def("packageListRemove", "pkglist_remove", mPackageListRemove, "taginfo", "pkginfo", "force=False")
	def("listPackages", "listPackages", mListPackages, "tagID=None", "userID=None", "pkgID=None", "prefix=None", "inherited=False",
		"with_dups=False", "event=None", "queryOpts=None", "with_owners=True", "with_blocked=True")
}

var nameRx = regexp.MustCompile(`^[A-Za-z0-9/_.+-]+$`)

func tagInfo(st *state, t *tag) map[string]any {
	var perm, permID any
	if t.perm != "" {
		perm = t.perm
		permID = int64(slices.Index(st.permNames, t.perm) + 1)
	}
	extra := map[string]any{}
	maps.Copy(extra, t.extra)
	return map[string]any{"id": t.id, "name": t.name, "arches": t.arches, "locked": t.locked, "perm": perm,
		"perm_id": permID, "maven_support": t.mavenSupport, "maven_include_all": t.mavenIncludeAll, "extra": extra}
}

func arches(v any) string {
	switch x := v.(type) {
	case string:
		return strings.Join(strings.Fields(x), " ")
	case []any:
		var s []string
		for _, e := range x {
			if str, ok := e.(string); ok {
				s = append(s, str)
			}
		}
		return strings.Join(s, " ")
	}
	return ""
}

// tagToEdit checks the tag permission and returns the tag ref names, as
// every call that changes a tag does first.
func (cx *callCtx) tagToEdit(ref any) (*tag, *xmlrpcx.Fault) {
	if f := cx.requirePerm("tag"); f != nil {
		return nil, f
	}
	return cx.st.getTagStrict(ref)
}

func (cx *callCtx) checkPerm(name string) *xmlrpcx.Fault {
	if name == "" {
		return nil
	}
	if !slices.Contains(cx.st.permNames, name) {
		return fault(1000, "No such permission: %s", name)
	}
	return nil
}

func mCreateTag(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	if f := cx.requirePerm("tag"); f != nil {
		return nil, f
	}
	name := a.str("name")
	if !nameRx.MatchString(name) || len(name) > 256 {
		return nil, fault(1000, "Name %s does not match RegexNameInternal value", name)
	}
	if cx.st.lookupTag(name) != nil {
		return nil, fault(1000, "A tag with the name '%s' already exists", name)
	}
	var parent *tag
	if a.has("parent") {
		var f *xmlrpcx.Fault
		if parent, f = cx.st.getTagStrict(a["parent"]); f != nil {
			return nil, f
		}
	}
	if f := cx.checkPerm(a.str("perm")); f != nil {
		return nil, f
	}
	ev := cx.event()
	t := &tag{id: cx.st.nextID("tag"), name: name, arches: arches(a["arches"]), perm: a.str("perm"),
		locked: a.boolean("locked"), mavenSupport: a.boolean("maven_support"),
		mavenIncludeAll: a.boolean("maven_include_all"), extra: map[string]any{}, createEvent: ev}
	maps.Copy(t.extra, a.dict("extra"))
	cx.st.tags[t.id] = t
	cx.recordTagConfig(t, ev)
	if parent != nil {
		cx.st.links = append(cx.st.links, &link{childID: t.id, parentID: parent.id, createEvent: ev, creator: cx.user.id})
	}
	cx.st.touchTag(t.id, ev)
	return t.id, nil
}

func mGetTag(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	t := cx.st.lookupTag(a["tagInfo"])
	if ev := a.int("event"); t != nil && ev != 0 && t.createEvent > ev {
		t = nil
	}
	if t == nil {
		if a.boolean("strict") {
			return nil, fault(1000, "No such tagInfo: %s", pyRepr(a["tagInfo"]))
		}
		return nil, nil
	}
	return tagInfo(cx.st, t), nil
}

func mEditTag2(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	t, f := cx.tagToEdit(a["tagInfo"])
	if f != nil {
		return nil, f
	}
	allowed := map[string]bool{"name": true, "arches": true, "locked": true, "perm": true, "maven_support": true,
		"maven_include_all": true, "extra": true, "remove_extra": true, "block_extra": true}
	for k := range a {
		if rest, ok := strings.CutPrefix(k, "**"); ok && !allowed[rest] {
			return nil, fault(1019, "editTag2() got an unexpected keyword argument '%s'", rest)
		}
	}
	kw := func(n string) (any, bool) { v, ok := a["**"+n]; return v, ok }
	if v, ok := kw("name"); ok {
		name, _ := v.(string)
		if other := cx.st.lookupTag(name); other != nil && other != t {
			return nil, fault(1000, "Name %s already taken by tag %s", name, other.name)
		}
		if !nameRx.MatchString(name) {
			return nil, fault(1000, "Name %s does not match RegexNameInternal value", name)
		}
	}
	if v, ok := kw("perm"); ok && v != nil {
		if f := cx.checkPerm(a.str("**perm")); f != nil {
			return nil, f
		}
	}
	if v, ok := kw("name"); ok {
		t.name, _ = v.(string)
	}
	before := [5]any{t.arches, t.locked, t.perm, t.mavenSupport, t.mavenIncludeAll}
	if v, ok := kw("arches"); ok {
		t.arches = arches(v)
	}
	if _, ok := kw("locked"); ok {
		t.locked = a.boolean("**locked")
	}
	if v, ok := kw("perm"); ok {
		t.perm, _ = v.(string)
	}
	if _, ok := kw("maven_support"); ok {
		t.mavenSupport = a.boolean("**maven_support")
	}
	if _, ok := kw("maven_include_all"); ok {
		t.mavenIncludeAll = a.boolean("**maven_include_all")
	}
	maps.Copy(t.extra, a.dict("**extra"))
	for _, k := range append(a.strs("**remove_extra"), a.strs("**block_extra")...) {
		delete(t.extra, k)
	}
	ev := cx.event()
	if before != [5]any{t.arches, t.locked, t.perm, t.mavenSupport, t.mavenIncludeAll} {
		cx.recordTagConfig(t, ev)
	}
	cx.st.touchTag(t.id, ev)
	return nil, nil
}

// recordTagConfig revokes the tag's current configuration row and adds
// one for its present state (t.deleted: only revokes).
func (cx *callCtx) recordTagConfig(t *tag, ev int64) {
	for _, c := range cx.st.tagConfigs {
		if c.tagID == t.id && c.revokeEvent == nil {
			c.revokeEvent, c.revoker = &ev, cx.user.id
		}
	}
	if t.deleted {
		return
	}
	cx.st.tagConfigs = append(cx.st.tagConfigs, &tagConfig{tagID: t.id, arches: t.arches, locked: t.locked,
		perm: t.perm, mavenSupport: t.mavenSupport, mavenIncludeAll: t.mavenIncludeAll, createEvent: ev, creator: cx.user.id})
}

func mDeleteTag(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	t, f := cx.tagToEdit(a["tagInfo"])
	if f != nil {
		return nil, f
	}
	ev := cx.event()
	t.deleted = true
	cx.recordTagConfig(t, ev)
	for _, l := range cx.st.links {
		if (l.childID == t.id || l.parentID == t.id) && l.revokeEvent == nil {
			l.revokeEvent, l.revoker = &ev, cx.user.id
		}
	}
	for _, l := range cx.st.listings {
		if l.tagID == t.id && l.revokeEvent == nil {
			l.revokeEvent, l.revoker = &ev, cx.user.id
		}
	}
	return nil, nil
}

func mListTags(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	var buildID, pkgID int64
	if a.has("build") {
		b, f := cx.st.getBuildStrict(a["build"])
		if f != nil {
			return nil, f
		}
		buildID = b.id
	}
	if a.has("package") {
		if pkgID = cx.st.pkgID(a.str("package")); pkgID == 0 {
			return nil, fault(1000, "No such package: %s", pyRepr(a["package"]))
		}
	}
	var pat *regexp.Regexp
	if p := a.str("pattern"); p != "" {
		pat = globRx(p)
	}
	out := []any{}
	for _, id := range sortedIDs(cx.st.tags) {
		t := cx.st.tags[id]
		if t.deleted || (pat != nil && !pat.MatchString(t.name)) {
			continue
		}
		if buildID != 0 && cx.st.activeListing(t.id, buildID) == nil {
			continue
		}
		if pkgID != 0 && !slices.ContainsFunc(cx.st.pkgEntries, func(e *pkgEntry) bool {
			return e.tagID == t.id && e.pkgID == pkgID && e.revokeEvent == nil
		}) {
			continue
		}
		ti := tagInfo(cx.st, t)
		delete(ti, "extra") // listTags rows carry no extra
		out = append(out, ti)
	}
	return applyQueryOpts(out, a.dict("queryOpts")), nil
}

func globRx(p string) *regexp.Regexp {
	q := regexp.QuoteMeta(p)
	q = strings.ReplaceAll(q, `\*`, ".*")
	q = strings.ReplaceAll(q, `\?`, ".")
	return regexp.MustCompile("^" + q + "$")
}

func linkInfo(st *state, l *link) map[string]any {
	var md any
	if l.maxdepth != nil {
		md = *l.maxdepth
	}
	name := ""
	if p := st.tags[l.parentID]; p != nil {
		name = p.name
	}
	return map[string]any{"child_id": l.childID, "parent_id": l.parentID, "name": name, "priority": l.priority,
		"maxdepth": md, "intransitive": l.intransitive, "noconfig": l.noconfig, "pkg_filter": l.pkgFilter}
}

func mGetInheritanceData(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	t, f := cx.st.getTagStrict(a["tag"])
	if f != nil {
		return nil, f
	}
	out := []any{}
	for _, l := range cx.st.activeLinks(t.id, a.int("event")) {
		out = append(out, linkInfo(cx.st, l))
	}
	return out, nil
}

func mSetInheritanceData(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	t, f := cx.tagToEdit(a["tag"])
	if f != nil {
		return nil, f
	}
	data, ok := a["data"].([]any)
	if !ok {
		if a["data"] == nil {
			data = nil
		} else {
			return nil, fault(1000, "Invalid inheritance data: %s", pyRepr(a["data"]))
		}
	}
	// Validate everything before changing anything.
	type change struct {
		parent *tag
		del    bool
		l      *link
	}
	var changes []change
	for _, d := range data {
		m, ok := d.(map[string]any)
		if !ok {
			return nil, fault(1000, "Invalid inheritance data: %s", pyRepr(d))
		}
		pid, _ := m["parent_id"].(int64)
		parent := cx.st.lookupTag(pid)
		if parent == nil {
			return nil, fault(1000, "No such tagInfo: %s", pyRepr(m["parent_id"]))
		}
		if parent.id == t.id {
			return nil, fault(1000, "A tag cannot inherit from itself")
		}
		if del, _ := m["delete link"].(bool); del {
			changes = append(changes, change{parent: parent, del: true})
			continue
		}
		for _, k := range []string{"priority", "maxdepth", "intransitive", "noconfig", "pkg_filter"} {
			if _, ok := m[k]; !ok {
				return nil, fault(1000, "No value for %s", k)
			}
		}
		l := &link{childID: t.id, parentID: parent.id}
		l.priority, _ = m["priority"].(int64)
		switch md := m["maxdepth"].(type) {
		case int64:
			l.maxdepth = &md
		case nil:
		default:
			return nil, fault(1, "<class 'psycopg2.errors.InvalidTextRepresentation'>: invalid input syntax for type integer: %s", pyRepr(md))
		}
		l.intransitive, _ = m["intransitive"].(bool)
		l.noconfig, _ = m["noconfig"].(bool)
		l.pkgFilter, _ = m["pkg_filter"].(string)
		if l.pkgFilter != "" {
			if _, err := regexp.Compile(l.pkgFilter); err != nil {
				return nil, fault(1000, "Invalid pkg_filter: %s", l.pkgFilter)
			}
		}
		changes = append(changes, change{parent: parent, l: l})
	}
	// Compute the resulting set and check priorities.
	result := map[int64]*link{}
	if !a.boolean("clear") {
		for _, l := range cx.st.activeLinks(t.id, 0) {
			result[l.parentID] = l
		}
	}
	for _, c := range changes {
		if c.del {
			delete(result, c.parent.id)
		} else {
			result[c.parent.id] = c.l
		}
	}
	prios := map[int64]bool{}
	for _, l := range result {
		if prios[l.priority] {
			return nil, fault(1000, "Inheritance priorities must be unique (pri %d)", l.priority)
		}
		prios[l.priority] = true
	}
	ev := cx.event()
	for _, old := range cx.st.activeLinks(t.id, 0) {
		if nl, keep := result[old.parentID]; !keep || nl != old {
			old.revokeEvent, old.revoker = &ev, cx.user.id
		}
	}
	for _, pid := range sortedIDs(result) {
		l := result[pid]
		if l.createEvent == 0 {
			l.createEvent, l.creator = ev, cx.user.id
			cx.st.links = append(cx.st.links, l)
		}
	}
	cx.st.touchTag(t.id, ev)
	return nil, nil
}

func mGetFullInheritance(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	t, f := cx.st.getTagStrict(a["tag"])
	if f != nil {
		return nil, f
	}
	reverse := a.boolean("reverse")
	out := []any{}
	for _, fl := range cx.st.fullInheritance(t.id, a.int("event"), reverse) {
		m := linkInfo(cx.st, fl.link)
		if reverse {
			// readDescendantsData: the child as tag_id, its name, and no
			// child_id.
			delete(m, "child_id")
			m["tag_id"] = fl.childID
			m["name"] = ""
			if c := cx.st.tags[fl.childID]; c != nil {
				m["name"] = c.name
			}
		}
		var nd any
		if fl.nextdepth != nil {
			nd = *fl.nextdepth
		}
		m["currdepth"], m["nextdepth"], m["filter"] = fl.currdepth, nd, fl.filter
		out = append(out, m)
	}
	return out, nil
}

func mTagLastChangeEvent(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	t, f := cx.st.getTagStrict(a["tag"])
	if f != nil {
		return nil, f
	}
	var last int64
	for _, id := range cx.st.tagChain(t.id, a.boolean("inherit"), 0) {
		last = max(last, cx.st.tagChange[id])
	}
	return last, nil
}

// Targets.

func (st *state) lookupTarget(ref any) *target {
	for _, id := range sortedIDs(st.targets) {
		t := st.targets[id]
		if t.deleted {
			continue
		}
		switch v := ref.(type) {
		case int64:
			if t.id == v {
				return t
			}
		case string:
			if t.name == v {
				return t
			}
		}
	}
	return nil
}

// targetToEdit checks the target permission and returns the target ref names.
func (cx *callCtx) targetToEdit(ref any) (*target, *xmlrpcx.Fault) {
	if f := cx.requirePerm("target"); f != nil {
		return nil, f
	}
	if t := cx.st.lookupTarget(ref); t != nil {
		return t, nil
	}
	return nil, fault(1000, "No such build target: %s", pyRepr(ref))
}

func targetInfo(st *state, t *target) map[string]any {
	return map[string]any{"id": t.id, "name": t.name, "build_tag": t.buildTag, "build_tag_name": st.tags[t.buildTag].name,
		"dest_tag": t.destTag, "dest_tag_name": st.tags[t.destTag].name}
}

func mCreateBuildTarget(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	if f := cx.requirePerm("target"); f != nil {
		return nil, f
	}
	name := a.str("name")
	if cx.st.lookupTarget(name) != nil {
		return nil, fault(1000, "A build target with the name '%s' already exists", name)
	}
	bt, f := cx.st.getTagStrict(a["build_tag"])
	if f != nil {
		return nil, f
	}
	dt, f := cx.st.getTagStrict(a["dest_tag"])
	if f != nil {
		return nil, f
	}
	cx.event()
	t := &target{id: cx.st.nextID("target"), name: name, buildTag: bt.id, destTag: dt.id}
	cx.st.targets[t.id] = t
	return nil, nil // like the real hub: no id
}

func mGetBuildTarget(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	t := cx.st.lookupTarget(a["info"])
	if t == nil {
		if a.boolean("strict") {
			return nil, fault(1000, "No such build target: %v", a["info"]) // %s, not %r, on the hub
		}
		return nil, nil
	}
	return targetInfo(cx.st, t), nil
}

func mGetBuildTargets(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	out := []any{}
	var bt, dt *tag
	if a.has("buildTagID") {
		if bt = cx.st.lookupTag(a["buildTagID"]); bt == nil {
			return out, nil
		}
	}
	if a.has("destTagID") {
		if dt = cx.st.lookupTag(a["destTagID"]); dt == nil {
			return out, nil
		}
	}
	for _, id := range sortedIDs(cx.st.targets) {
		t := cx.st.targets[id]
		if t.deleted || (a.has("info") && cx.st.lookupTarget(a["info"]) != t) ||
			(bt != nil && t.buildTag != bt.id) || (dt != nil && t.destTag != dt.id) {
			continue
		}
		out = append(out, targetInfo(cx.st, t))
	}
	return out, nil
}

func mEditBuildTarget(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	t, f := cx.targetToEdit(a["buildTargetInfo"])
	if f != nil {
		return nil, f
	}
	bt, f := cx.st.getTagStrict(a["build_tag"])
	if f != nil {
		return nil, f
	}
	dt, f := cx.st.getTagStrict(a["dest_tag"])
	if f != nil {
		return nil, f
	}
	if other := cx.st.lookupTarget(a.str("name")); other != nil && other != t {
		return nil, fault(1000, "A target with the name '%s' already exists", a.str("name"))
	}
	cx.event()
	t.name, t.buildTag, t.destTag = a.str("name"), bt.id, dt.id
	return nil, nil
}

func mDeleteBuildTarget(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	t, f := cx.targetToEdit(a["buildTargetInfo"])
	if f != nil {
		return nil, f
	}
	cx.event()
	t.deleted = true
	return nil, nil
}

// Groups.

func (st *state) findGroup(tagID int64, name string) *group {
	for _, g := range st.groups {
		if g.tagID == tagID && g.name == name {
			return g
		}
	}
	return nil
}

func mGroupListAdd(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	t, f := cx.tagToEdit(a["taginfo"])
	if f != nil {
		return nil, f
	}
	name := a.str("grpinfo")
	g := cx.st.findGroup(t.id, name)
	if g == nil {
		g = &group{id: cx.st.nextID("group"), name: name, tagID: t.id, displayName: name}
		cx.st.groups = append(cx.st.groups, g)
	}
	if v, ok := a["**display_name"].(string); ok {
		g.displayName = v
	}
	if v, ok := a["**description"]; ok {
		g.description = v
	}
	g.blocked = a.boolean("block")
	cx.st.touchTag(t.id, cx.event())
	return nil, nil
}

func mGroupListRemove(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	t, f := cx.tagToEdit(a["taginfo"])
	if f != nil {
		return nil, f
	}
	g := cx.st.findGroup(t.id, a.str("grpinfo"))
	if g == nil {
		return nil, fault(1000, "No group: %s found for tag: %s", a.str("grpinfo"), t.name)
	}
	cx.st.groups = slices.DeleteFunc(cx.st.groups, func(x *group) bool { return x == g })
	cx.st.touchTag(t.id, cx.event())
	return nil, nil
}

func mGroupPackageListAdd(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	t, f := cx.tagToEdit(a["taginfo"])
	if f != nil {
		return nil, f
	}
	g := cx.st.findGroup(t.id, a.str("grpinfo"))
	if g == nil {
		return nil, fault(1000, "No such entry in table groups: %s", a.str("grpinfo"))
	}
	typ := "mandatory"
	if v, ok := a["**type"].(string); ok {
		typ = v
	}
	name := a.str("pkg_name")
	g.packages = slices.DeleteFunc(g.packages, func(p *groupPkg) bool { return p.name == name })
	g.packages = append(g.packages, &groupPkg{name: name, typ: typ, blocked: a.boolean("block")})
	cx.st.touchTag(t.id, cx.event())
	return nil, nil
}

func mGetTagGroups(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	t, f := cx.st.getTagStrict(a["tag"])
	if f != nil {
		return nil, f
	}
	seen := map[string]bool{}
	out := []any{}
	for _, tid := range cx.st.tagChain(t.id, a.boolean("inherit"), 0) {
		for _, g := range cx.st.groups {
			if g.tagID != tid || seen[g.name] {
				continue
			}
			seen[g.name] = true
			if g.blocked && !a.boolean("incl_blocked") {
				continue
			}
			pkgs := []any{}
			if a.boolean("incl_pkgs") {
				for _, p := range g.packages {
					pkgs = append(pkgs, map[string]any{"package": p.name, "type": p.typ, "basearchonly": nil,
						"requires": nil, "blocked": p.blocked, "group_id": g.id, "tag_id": tid})
				}
			}
			out = append(out, map[string]any{"group_id": g.id, "name": g.name, "display_name": g.displayName,
				"description": g.description, "tag_id": tid, "blocked": g.blocked, "exported": true,
				"uservisible": true, "is_default": nil, "langonly": nil, "biarchonly": false,
				"packagelist": pkgs, "grouplist": []any{}})
		}
	}
	return out, nil
}

// Package lists.

func mPackageListAdd(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	t, f := cx.tagToEdit(a["taginfo"])
	if f != nil {
		return nil, f
	}
	name := a.str("pkginfo")
	if !nameRx.MatchString(name) {
		return nil, fault(1000, "Name %s does not match RegexNameInternal value", name)
	}
	var owner *user
	if a.has("owner") {
		if owner = cx.st.lookupUser(a["owner"]); owner == nil {
			return nil, fault(1000, "No such user: %s", pyRepr(a["owner"]))
		}
	}
	pid := cx.st.pkgID(name)
	var cur *pkgEntry
	for _, e := range cx.st.pkgEntries {
		if e.tagID == t.id && e.pkgID == pid && pid != 0 && e.revokeEvent == nil {
			cur = e
		}
	}
	if owner == nil {
		switch {
		case cur != nil:
			owner = cx.st.users[cur.owner]
		case a.boolean("force"):
			owner = cx.user
		default:
			return nil, fault(1000, "owner not specified")
		}
	}
	ev := cx.event()
	pid = cx.st.ensurePkg(name)
	if cur != nil {
		cur.revokeEvent = &ev
	}
	cx.st.pkgEntries = append(cx.st.pkgEntries, &pkgEntry{tagID: t.id, pkgID: pid, owner: owner.id,
		blocked: a.boolean("block"), extraArches: a["extra_arches"], createEvent: ev, creator: cx.user.id})
	cx.st.touchTag(t.id, ev)
	return nil, nil
}

func mPackageListRemove(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	t, f := cx.tagToEdit(a["taginfo"])
	if f != nil {
		return nil, f
	}
	pid := cx.st.pkgID(a.str("pkginfo"))
	for _, e := range cx.st.pkgEntries {
		if e.tagID == t.id && e.pkgID == pid && e.revokeEvent == nil {
			ev := cx.event()
			e.revokeEvent = &ev
			cx.st.touchTag(t.id, ev)
		}
	}
	return nil, nil
}

func mListPackages(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	var tagIDs []int64
	if a.has("tagID") {
		t, f := cx.st.getTagStrict(a["tagID"])
		if f != nil {
			return nil, f
		}
		tagIDs = cx.st.tagChain(t.id, a.boolean("inherited"), a.int("event"))
	}
	var pid int64 = -1
	if a.has("pkgID") {
		switch v := a["pkgID"].(type) {
		case int64:
			pid = v
		default:
			pid = cx.st.pkgID(a.str("pkgID"))
		}
	}
	out := []any{}
	seen := map[int64]bool{}
	ev := a.int("event")
	consider := func(e *pkgEntry) {
		if !alive(e.createEvent, e.revokeEvent, ev) || (pid >= 0 && e.pkgID != pid) ||
			(a.has("prefix") && !strings.HasPrefix(cx.st.packages[e.pkgID], a.str("prefix"))) {
			return
		}
		if tagIDs != nil {
			if seen[e.pkgID] {
				return
			}
			seen[e.pkgID] = true
		}
		if e.blocked && !a.boolean("with_blocked") {
			return
		}
		out = append(out, map[string]any{"package_id": e.pkgID, "package_name": cx.st.packages[e.pkgID],
			"tag_id": e.tagID, "tag_name": cx.st.tags[e.tagID].name, "owner_id": e.owner,
			"owner_name": cx.st.users[e.owner].name, "blocked": e.blocked, "extra_arches": e.extraArches})
	}
	if tagIDs == nil {
		for _, e := range cx.st.pkgEntries {
			consider(e)
		}
	} else {
		for _, tid := range tagIDs {
			for _, e := range cx.st.pkgEntries {
				if e.tagID == tid {
					consider(e)
				}
			}
		}
	}
	return applyQueryOpts(out, a.dict("queryOpts")), nil
}

// applyQueryOpts applies order, offset and limit.
func applyQueryOpts(rows []any, q map[string]any) []any {
	if q == nil {
		return rows
	}
	if order, ok := q["order"].(string); ok && order != "" {
		desc := strings.HasPrefix(order, "-")
		key := strings.TrimPrefix(order, "-")
		slices.SortStableFunc(rows, func(x, y any) int {
			c := compareAny(x.(map[string]any)[key], y.(map[string]any)[key])
			if desc {
				return -c
			}
			return c
		})
	}
	if off, ok := q["offset"].(int64); ok && off > 0 {
		rows = rows[min(int(off), len(rows)):]
	}
	if lim, ok := q["limit"].(int64); ok && lim >= 0 && int(lim) < len(rows) {
		rows = rows[:lim]
	}
	if b, _ := q["countOnly"].(bool); b {
		return []any{int64(len(rows))}
	}
	return rows
}

func compareAny(x, y any) int {
	switch a := x.(type) {
	case int64:
		b, _ := y.(int64)
		return int(a - b)
	case string:
		b, _ := y.(string)
		return strings.Compare(a, b)
	case float64:
		b, _ := y.(float64)
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
	}
	return 0
}
