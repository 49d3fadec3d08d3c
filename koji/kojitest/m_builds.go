package kojitest

import (
	"crypto/md5"
	"encoding/hex"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/modkit/modkit/internal/xmlrpcx"
)

func init() {
	def("getBuild", "getBuild", mGetBuild, "buildInfo", "strict=False")
	def("getBuildType", "getBuildType", mGetBuildType, "buildInfo", "strict=False")
	def("listBuilds", "listBuilds", mListBuilds, "packageID=None", "userID=None", "taskID=None", "prefix=None", "state=None",
		"volumeID=None", "source=None", "createdBefore=None", "createdAfter=None", "completeBefore=None", "completeAfter=None",
		"type=None", "typeInfo=None", "queryOpts=None", "pattern=None", "cgID=None", "draft=None")
	def("listTagged", "listTagged", mListTagged, "tag", "event=None", "inherit=False", "prefix=None", "latest=False",
		"package=None", "owner=None", "type=None", "strict=True", "extra=False", "draft=None")
	def("getLatestBuilds", "getLatestBuilds", mGetLatestBuilds, "tag", "event=None", "package=None", "type=None", "draft=None")
	def("getNextRelease", "getNextRelease", mGetNextRelease, "build_info", "incr=1")
	def("tagBuild", "tagBuild", mTagBuild, "tag", "build", "force=False", "fromtag=None")
	def("tagBuildBypass", "tagBuildBypass", mTagBuildBypass, "tag", "build", "force=False", "notify=False")
	def("untagBuild", "untagBuild", mUntagBuild, "tag", "build", "strict=True", "force=False")
	def("untagBuildBypass", "untagBuildBypass", mUntagBuild, "tag", "build", "strict=True", "force=False", "notify=False")
	def("listRPMs", "listRPMs", mListRPMs, "buildID=None", "buildrootID=None", "imageID=None", "componentBuildrootID=None",
		"hostID=None", "arches=None", "queryOpts=None", "draft=None")
	def("getRPM", "getRPM", mGetRPM, "rpminfo", "strict=False", "multi=False")
	def("listTaggedRPMS", "listTaggedRPMS", mListTaggedRPMS, "tag", "event=None", "inherit=False", "latest=False",
		"package=None", "arch=None", "rpmsigs=False", "owner=None", "type=None", "strict=True", "extra=True", "draft=None")
	def("listArchives", "listArchives", mListArchives, "buildID=None", "buildrootID=None", "componentBuildrootID=None",
		"hostID=None", "type=None", "filename=None", "size=None", "checksum=None", "checksum_type=None", "typeInfo=None",
		"queryOpts=None", "imageID=None", "archiveID=None", "strict=False")
	def("listBTypes", "listBTypes", mListBTypes, "query=None", "queryOpts=None")
	def("addBType", "addBType", mAddBType, "name")
	def("createEmptyBuild", "createEmptyBuild", mCreateEmptyBuild, "name", "version", "release", "epoch", "owner=None", "draft=False")
}

func optTime(t *build) (any, any) {
	if t.completion == nil {
		return nil, nil
	}
	return pyTime(*t.completion), pyTS(*t.completion)
}

func buildInfo(st *state, b *build) map[string]any {
	ct, cts := optTime(b)
	var cgID, cgName any
	if b.cgID != nil {
		cgID = *b.cgID
		for name, id := range st.cgIDs() {
			if id == *b.cgID {
				cgName = name
			}
		}
	}
	return map[string]any{"id": b.id, "build_id": b.id, "name": b.name, "version": b.version, "release": b.release,
		"epoch": b.epoch, "nvr": b.nvr(), "state": b.state, "task_id": b.taskID, "owner_id": b.owner,
		"owner_name": st.users[b.owner].name, "package_id": b.pkgID, "package_name": b.name, "source": b.source,
		"start_time": pyTime(b.start), "start_ts": pyTS(b.start), "completion_time": ct, "completion_ts": cts,
		"creation_time": pyTime(b.creation), "creation_ts": pyTS(b.creation), "creation_event_id": b.createEvent,
		"volume_id": 0, "volume_name": "DEFAULT", "cg_id": cgID, "cg_name": cgName, "draft": false,
		"promoter_id": nil, "promoter_name": nil, "promotion_time": nil, "promotion_ts": nil, "extra": b.extra}
}

// buildInfoArg looks up a["buildInfo"]: a missing build is a fault only when
// a["strict"] is set.
func (cx *callCtx) buildInfoArg(a args) (*build, *xmlrpcx.Fault) {
	if a.boolean("strict") {
		return cx.st.getBuildStrict(a["buildInfo"])
	}
	return cx.st.lookupBuild(a["buildInfo"])
}

func mGetBuild(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	b, f := cx.buildInfoArg(a)
	if b == nil {
		return nil, f
	}
	return buildInfo(cx.st, b), nil
}

func mGetBuildType(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	b, f := cx.buildInfoArg(a)
	if b == nil {
		return nil, f
	}
	out := map[string]any{}
	for k, v := range b.btypes {
		out[k] = v
	}
	if _, ok := out["image"]; ok {
		out["image"] = map[string]any{"build_id": b.id} // the image_builds row
	}
	return out, nil
}

func mListBuilds(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	out := []any{}
	var pat *regexp.Regexp
	if p := a.str("pattern"); p != "" {
		pat = globRx(p)
	}
	for _, id := range sortedIDs(cx.st.builds) {
		b := cx.st.builds[id]
		switch {
		case a.has("packageID") && !(a["packageID"] == any(b.pkgID) || a.str("packageID") == b.name),
			a.has("userID") && cx.st.lookupUser(a["userID"]) != cx.st.users[b.owner],
			a.has("taskID") && (b.taskID == nil || *b.taskID != a.int("taskID")),
			a.has("prefix") && !strings.HasPrefix(b.name, a.str("prefix")),
			a.has("state") && b.state != a.int("state"),
			a.has("type") && !hasKey(b.btypes, a.str("type")),
			pat != nil && !pat.MatchString(b.nvr()):
			continue
		}
		// Like the hub, typeInfo filters only maven (group_id,
		// artifact_id, version) and win (platform) builds; for other
		// types it is ignored.
		if ti := a.dict("typeInfo"); ti != nil && (a.str("type") == "maven" || a.str("type") == "win") {
			info, _ := b.btypes[a.str("type")].(map[string]any)
			keys := []string{"group_id", "artifact_id", "version"}
			if a.str("type") == "win" {
				keys = []string{"platform"}
			}
			match := true
			for _, k := range keys {
				if v, ok := ti[k]; ok || k == "platform" {
					match = match && info[k] == v
				}
			}
			if !match {
				continue
			}
		}
		out = append(out, buildInfo(cx.st, b))
	}
	out = applyQueryOpts(out, a.dict("queryOpts"))
	for _, row := range out {
		if m, ok := row.(map[string]any); ok {
			for _, k := range []string{"id", "cg_id", "cg_name"} { // not among listBuilds' columns
				delete(m, k)
			}
		}
	}
	return out, nil
}

func hasKey(m map[string]any, k string) bool { _, ok := m[k]; return ok }

func (cx *callCtx) tagged(a args, inherit, latest bool) ([]any, *xmlrpcx.Fault) {
	t, f := cx.st.getTagStrict(a["tag"])
	if f != nil {
		return nil, f
	}
	ev := a.int("event")
	if a.has("event") {
		if _, ok := a["event"].(int64); !ok {
			return nil, fault(1000, "Invalid event: %s", pyRepr(a["event"]))
		}
	}
	out := []any{}
	seenPkg := map[string]bool{}
	seenBuild := map[int64]bool{}
	for _, tid := range cx.st.tagChain(t.id, inherit, ev) {
		var ls []*listing
		for _, l := range cx.st.listings {
			if l.tagID == tid && alive(l.createEvent, l.revokeEvent, ev) {
				ls = append(ls, l)
			}
		}
		slices.SortFunc(ls, func(x, y *listing) int {
			if x.createEvent != y.createEvent {
				return int(y.createEvent - x.createEvent)
			}
			return int(y.buildID - x.buildID)
		})
		tagSeen := map[string]bool{}
		for _, l := range ls {
			b := cx.st.builds[l.buildID]
			if seenBuild[b.id] || (a.has("package") && b.name != a.str("package")) ||
				(a.has("prefix") && !strings.HasPrefix(b.name, a.str("prefix"))) ||
				(a.has("type") && !hasKey(b.btypes, a.str("type"))) ||
				(a.has("owner") && cx.st.users[b.owner].name != a.str("owner")) {
				continue
			}
			if latest && (seenPkg[b.name] || tagSeen[b.name]) {
				continue
			}
			tagSeen[b.name] = true
			seenBuild[b.id] = true
			row := buildInfo(cx.st, b)
			for _, k := range []string{"start_ts", "completion_ts", "creation_ts", "promotion_ts", "extra", "cg_id", "cg_name", "source"} {
				delete(row, k)
			}
			if a.boolean("extra") {
				row["extra"] = b.extra
			}
			row["tag_id"], row["tag_name"], row["create_event"] = tid, cx.st.tags[tid].name, l.createEvent
			out = append(out, row)
		}
		for n := range tagSeen {
			seenPkg[n] = true
		}
	}
	return out, nil
}

func mListTagged(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	return cx.tagged(a, a.boolean("inherit"), a.boolean("latest"))
}

func mGetLatestBuilds(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	return cx.tagged(a, true, true)
}

var numRx = regexp.MustCompile(`^\d+$`)

func mGetNextRelease(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	bi := a.dict("build_info")
	name, _ := bi["name"].(string)
	version, _ := bi["version"].(string)
	incr := a.int("incr")
	var newest *build
	for _, id := range sortedIDs(cx.st.builds) {
		b := cx.st.builds[id]
		if b.name == name && b.version == version && (b.state == 0 || b.state == 1 || b.state == 2) {
			if newest == nil || b.id > newest.id {
				newest = b
			}
		}
	}
	if newest == nil {
		return "1", nil
	}
	rel := newest.release
	if numRx.MatchString(rel) {
		n, _ := strconv.ParseInt(rel, 10, 64)
		return strconv.FormatInt(n+incr, 10), nil
	}
	parts := strings.Split(rel, ".")
	if len(parts) == 2 && numRx.MatchString(parts[0]) {
		n, _ := strconv.ParseInt(parts[0], 10, 64)
		return strconv.FormatInt(n+incr, 10) + "." + parts[1], nil
	}
	if len(parts) >= 3 && numRx.MatchString(parts[len(parts)-1]) {
		n, _ := strconv.ParseInt(parts[len(parts)-1], 10, 64)
		parts[len(parts)-1] = strconv.FormatInt(n+incr, 10)
		return strings.Join(parts, "."), nil
	}
	return nil, fault(1005, "Unable to increment release value: %s", rel)
}

// checkTagging validates tagging b into t.
func (cx *callCtx) checkTagging(t *tag, b *build, force bool) *xmlrpcx.Fault {
	if b.state != 1 {
		return fault(1003, "build %s not complete: state %d", b.nvr(), b.state)
	}
	if t.locked && !cx.user.perms["admin"] {
		return fault(1004, "tag %s is locked", t.name)
	}
	if cx.st.activeListing(t.id, b.id) != nil {
		return fault(1003, "build %s already tagged (%s)", b.nvr(), t.name)
	}
	if !force && !cx.st.pkgListed(t.id, b.pkgID) {
		return fault(1003, "Package %s not in list for %s", b.name, t.name)
	}
	return nil
}

// resolveTagBuild checks the tag permission and looks up a["tag"] and a["build"].
func (cx *callCtx) resolveTagBuild(a args) (*tag, *build, *xmlrpcx.Fault) {
	t, f := cx.tagToEdit(a["tag"])
	if f != nil {
		return nil, nil, f
	}
	b, f := cx.st.getBuildStrict(a["build"])
	return t, b, f
}

func (st *state) tagBuild(t *tag, b *build, ev, userID int64) {
	st.listings = append(st.listings, &listing{tagID: t.id, buildID: b.id, createEvent: ev, creator: userID})
	st.touchTag(t.id, ev)
}

func mTagBuild(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	t, b, f := cx.resolveTagBuild(a)
	if f != nil {
		return nil, f
	}
	if f := cx.checkTagging(t, b, a.boolean("force")); f != nil {
		return nil, f
	}
	var from any
	if a.has("fromtag") {
		ft, f := cx.st.getTagStrict(a["fromtag"])
		if f != nil {
			return nil, f
		}
		from = ft.id
	}
	tk := cx.newTask("tagBuild", []any{t.id, b.id, a.boolean("force"), from, true}, 10, nil)
	return tk.id, nil
}

func mTagBuildBypass(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	t, b, f := cx.resolveTagBuild(a)
	if f != nil {
		return nil, f
	}
	if f := cx.checkTagging(t, b, a.boolean("force")); f != nil {
		return nil, f
	}
	cx.st.tagBuild(t, b, cx.event(), cx.user.id)
	return nil, nil
}

func mUntagBuild(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	t, b, f := cx.resolveTagBuild(a)
	if f != nil {
		return nil, f
	}
	l := cx.st.activeListing(t.id, b.id)
	if l == nil {
		if a.boolean("strict") {
			return nil, fault(1003, "build %s not in tag %s", b.nvr(), t.name)
		}
		return nil, nil
	}
	ev := cx.event()
	l.revokeEvent, l.revoker = &ev, cx.user.id
	cx.st.touchTag(t.id, ev)
	return nil, nil
}

func rpmInfo(r *rpm) map[string]any {
	return map[string]any{"id": r.id, "name": r.name, "version": r.version, "release": r.release, "epoch": r.epoch,
		"arch": r.arch, "build_id": r.buildID, "buildroot_id": r.buildrootID, "buildtime": r.buildtime,
		"payloadhash": r.payloadhash, "size": r.size, "extra": nil, "metadata_only": false, "draft": false,
		"nvr": r.name + "-" + r.version + "-" + r.release, "external_repo_id": 0, "external_repo_name": "INTERNAL"}
}

func mListRPMs(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	out := []any{}
	var ids []int64
	if a.has("imageID") {
		ar := cx.st.archives[a.int("imageID")]
		if ar == nil {
			return out, nil
		}
		ids = ar.components
	} else {
		ids = sortedIDs(cx.st.rpms)
	}
	arches := a.strs("arches")
	for _, id := range ids {
		r := cx.st.rpms[id]
		if (a.has("buildID") && r.buildID != a.int("buildID")) ||
			(a.has("buildrootID") && (r.buildrootID == nil || *r.buildrootID != a.int("buildrootID"))) ||
			(arches != nil && !slices.Contains(arches, r.arch)) {
			continue
		}
		out = append(out, rpmInfo(r))
	}
	return applyQueryOpts(out, a.dict("queryOpts")), nil
}

func (st *state) findRPM(ref any) *rpm {
	switch v := ref.(type) {
	case int64:
		return st.rpms[v]
	case string:
		i := strings.LastIndexByte(v, '.')
		if i < 0 {
			return nil
		}
		n, ver, rel, ok := splitNVR(v[:i])
		if !ok {
			return nil
		}
		return st.matchRPM(n, ver, rel, v[i+1:])
	case map[string]any:
		s := func(k string) string { x, _ := v[k].(string); return x }
		return st.matchRPM(s("name"), s("version"), s("release"), s("arch"))
	}
	return nil
}

func (st *state) matchRPM(n, v, r, arch string) *rpm {
	for _, id := range sortedIDs(st.rpms) {
		x := st.rpms[id]
		if x.name == n && x.version == v && x.release == r && x.arch == arch {
			return x
		}
	}
	return nil
}

func mGetRPM(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	r := cx.st.findRPM(a["rpminfo"])
	if r == nil {
		if a.boolean("strict") {
			return nil, fault(1000, "No such rpm: %s", rpmInfoRepr(a["rpminfo"]))
		}
		return nil, nil
	}
	info := rpmInfo(r)
	delete(info, "nvr") // getRPM has no nvr (listRPMs has)
	return info, nil
}

func mListTaggedRPMS(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	builds, f := cx.tagged(a, a.boolean("inherit"), a.boolean("latest"))
	if f != nil {
		return nil, f
	}
	arches := a.strs("arch")
	rpms := []any{}
	for _, b := range builds {
		bid := b.(map[string]any)["build_id"].(int64)
		for _, id := range sortedIDs(cx.st.rpms) {
			r := cx.st.rpms[id]
			if r.buildID == bid && (arches == nil || slices.Contains(arches, r.arch)) {
				info := rpmInfo(r)
				for _, k := range []string{"nvr", "external_repo_id", "external_repo_name"} {
					delete(info, k)
				}
				rpms = append(rpms, info)
			}
		}
		delete(b.(map[string]any), "extra") // extra=True is about the RPMs
	}
	return []any{rpms, builds}, nil
}

var checksumTypes = map[string]int64{"md5": 0, "sha1": 1, "sha256": 2}

func mListArchives(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	out := []any{}
	for _, id := range sortedIDs(cx.st.archives) {
		ar := cx.st.archives[id]
		if (a.has("buildID") && ar.buildID != a.int("buildID")) || (a.has("type") && ar.btype != a.str("type")) ||
			(a.has("filename") && ar.filename != a.str("filename")) || (a.has("archiveID") && ar.id != a.int("archiveID")) {
			continue
		}
		ext := ar.filename[strings.LastIndexByte(ar.filename, '.')+1:]
		typeName, exts, desc, compression := ext, ext, ext+" file", any(nil)
		for _, e := range []string{".tar", ".tar.gz", ".tar.bz2", ".tar.xz", ".tgz"} {
			if strings.HasSuffix(ar.filename, e) { // koji's archive type "tar"
				typeName, exts, desc, compression = "tar", "tar tar.gz tar.bz2 tar.xz tgz", "Tar file", "tar"
			}
		}
		out = append(out, map[string]any{"id": ar.id, "build_id": ar.buildID, "buildroot_id": 1,
			"filename": ar.filename, "size": ar.size, "checksum": ar.checksum, "checksum_type": ar.checksumType,
			"btype": ar.btype, "btype_id": int64(slices.Index(cx.st.btypes, ar.btype) + 1), "type_id": 1,
			"type_name": typeName, "type_extensions": exts, "type_description": desc, "compression_type": compression,
			"extra": ar.extra, "metadata_only": false})
		if a.str("type") == "image" { // the hub joins image_archives for this type
			out[len(out)-1].(map[string]any)["arch"] = ar.arch
		}
	}
	return applyQueryOpts(out, a.dict("queryOpts")), nil
}

func mListBTypes(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	out := []any{}
	q := a.dict("query")
	for i, n := range cx.st.btypes {
		if name, ok := q["name"].(string); ok && name != n {
			continue
		}
		out = append(out, map[string]any{"id": int64(i + 1), "name": n})
	}
	return out, nil
}

func mAddBType(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	if f := cx.requirePerm("admin"); f != nil {
		return nil, f
	}
	name := a.str("name")
	if slices.Contains(cx.st.btypes, name) {
		return nil, fault(1000, "btype already exists")
	}
	cx.event()
	cx.st.btypes = append(cx.st.btypes, name)
	return nil, nil
}

// newBuild creates a build row. A FAILED or CANCELED build with the same
// NVR gives way, as on the real hub.
func (cx *callCtx) newBuild(name, version, release string, epoch *int64, state int64, owner int64) (*build, *xmlrpcx.Fault) {
	if !nameRx.MatchString(name) || version == "" || release == "" || strings.Contains(version, "-") || strings.Contains(release, "-") {
		return nil, fault(1000, "Invalid build NVR: %s-%s-%s", name, version, release)
	}
	if old := cx.st.buildByNVR(name, version, release); old != nil {
		if old.state != 3 && old.state != 4 {
			return nil, fault(1000, "Build already exists (id=%d, state=%s): %s", old.id, buildStates[old.state], pyRepr(map[string]any{"name": name, "version": version, "release": release}))
		}
		old.release += "-refunded-" + itoa(old.id) // frees the NVR
	}
	ev := cx.event()
	now := cx.st.now()
	b := &build{id: cx.st.nextID("build"), pkgID: cx.st.ensurePkg(name), name: name, version: version, release: release,
		epoch: epoch, state: state, owner: owner, start: now, creation: now, createEvent: ev, btypes: map[string]any{}}
	if state != 0 {
		b.completion = &now
	}
	cx.st.builds[b.id] = b
	return b, nil
}

var buildStates = []string{"BUILDING", "COMPLETE", "DELETED", "FAILED", "CANCELED"}

func mCreateEmptyBuild(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	if f := cx.requirePerm("admin"); f != nil {
		return nil, f
	}
	epoch, f := a.optInt("epoch")
	if f != nil {
		return nil, f
	}
	owner := cx.user
	if a.has("owner") {
		if owner = cx.st.lookupUser(a["owner"]); owner == nil {
			return nil, fault(1000, "No such user: %s", pyRepr(a["owner"]))
		}
	}
	b, f := cx.newBuild(a.str("name"), a.str("version"), a.str("release"), epoch, 1, owner.id)
	if f != nil {
		return nil, f
	}
	return b.id, nil
}

// addRPM records an RPM of a build.
func (st *state) addRPM(b *build, arch string) *rpm {
	sum := md5.Sum([]byte(b.nvr() + "." + arch))
	r := &rpm{id: st.nextID("rpm"), buildID: b.id, name: b.name, version: b.version, release: b.release,
		epoch: b.epoch, arch: arch, payloadhash: hex.EncodeToString(sum[:]), size: 1024 + int64(len(arch)),
		buildtime: b.start.Unix()}
	st.rpms[r.id] = r
	return r
}

// rpmInfoRepr is how the hub shows an rpm reference it could not find: a
// string is parsed into its NVRA dict first.
func rpmInfoRepr(ref any) string {
	s, ok := ref.(string)
	if !ok {
		return pyRepr(ref)
	}
	i := strings.LastIndexByte(s, '.')
	n, v, r, ok := splitNVR(s[:max(i, 0)])
	if i < 0 || !ok {
		return pyRepr(ref)
	}
	return pyDict(map[string]any{"name": n, "version": v, "release": r, "arch": s[i+1:], "epoch": nil})
}
