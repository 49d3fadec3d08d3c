package kojitest

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"hash/adler32"
	"math"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/modkit/modkit/internal/xmlrpcx"
)

func init() {
	def("grantCGAccess", "grantCGAccess", mGrantCGAccess, "user", "cg", "create=False")
	def("CGInitBuild", "CGInitBuild", mCGInitBuild, "cg", "data")
	def("CGRefundBuild", "CGRefundBuild", mCGRefundBuild, "cg", "build_id", "token", "state=3")
	def("CGImport", "CGImport", mCGImport, "metadata", "directory", "token=None")
	def("checkUpload", "checkUpload", mCheckUpload, "path", "name", "verify=None", "tail=None", "volume=None")
	def("queryHistory", "queryHistory", mQueryHistory, "tables=None", "**kwargs")
}

func (st *state) cgIDs() map[string]int64 {
	m := map[string]int64{}
	for i, n := range st.cgOrder {
		m[n] = int64(i + 1)
	}
	return m
}

func mGrantCGAccess(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	if f := cx.requirePerm("admin"); f != nil {
		return nil, f
	}
	u := cx.st.lookupUser(a["user"])
	if u == nil {
		return nil, fault(1000, "No such user: %s", pyRepr(a["user"]))
	}
	cg := a.str("cg")
	if cx.st.cgs[cg] == nil {
		if !a.boolean("create") {
			return nil, fault(1000, "No such content generator: %s", cg)
		}
		cx.st.cgs[cg] = map[int64]bool{}
		cx.st.cgOrder = append(cx.st.cgOrder, cg)
	}
	cx.event()
	cx.st.cgs[cg][u.id] = true
	return nil, nil
}

func (cx *callCtx) assertCG(cg string) *xmlrpcx.Fault {
	if f := cx.requireLogin(); f != nil {
		return f
	}
	users := cx.st.cgs[cg]
	if users == nil {
		return fault(1000, "No such content generator: %s", cg)
	}
	if !users[cx.user.id] {
		return fault(1004, "%s is not authorized for content generator %s", cx.user.name, cg)
	}
	return nil
}

func mCGInitBuild(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	cg := a.str("cg")
	if f := cx.assertCG(cg); f != nil {
		return nil, f
	}
	d := a.dict("data")
	s := func(k string) string { v, _ := d[k].(string); return v }
	var epoch *int64
	if e, ok := d["epoch"].(int64); ok {
		epoch = &e
	}
	b, f := cx.newBuild(s("name"), s("version"), s("release"), epoch, 0, cx.user.id)
	if f != nil {
		return nil, f
	}
	id := cx.st.cgIDs()[cg]
	b.cgID = &id
	b.token = randomHex(32)
	return map[string]any{"build_id": b.id, "token": b.token}, nil
}

func mCGRefundBuild(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	if f := cx.assertCG(a.str("cg")); f != nil {
		return nil, f
	}
	b := cx.st.builds[a.int("build_id")]
	if b == nil {
		return nil, fault(1000, "No such build: %d", a.int("build_id"))
	}
	if b.token == "" || b.token != a.str("token") {
		return nil, fault(1000, "Token doesn't match")
	}
	if b.state != 0 {
		return nil, fault(1000, "Build %s is not in BUILDING state", b.nvr())
	}
	state := a.int("state")
	if state != 3 && state != 4 {
		return nil, fault(1000, "Only FAILED/CANCELLED states are allowed")
	}
	cx.event()
	now := cx.st.now()
	b.state, b.completion, b.token = state, &now, ""
	return nil, nil
}

// fromJSON converts encoding/json output to the hub's value tree.
func fromJSON(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int64(x)
		}
		return x
	case []any:
		for i := range x {
			x[i] = fromJSON(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = fromJSON(x[k])
		}
	}
	return v
}

type cgOut struct {
	m        map[string]any
	typ      string
	filename string
	btype    string
	rpmIDs   []int64
	data     []byte
}

func mCGImport(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	if f := cx.requireLogin(); f != nil {
		return nil, f
	}
	md := a.dict("metadata")
	if s, ok := a["metadata"].(string); ok {
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return nil, fault(1000, "Unable to parse metadata: %v", err)
		}
		md, _ = fromJSON(v).(map[string]any)
	}
	if md == nil {
		return nil, fault(1000, "Invalid metadata: %s", pyRepr(a["metadata"]))
	}
	if v, _ := md["metadata_version"].(int64); v != 0 || md["metadata_version"] == nil {
		return nil, fault(1000, "No such metadata version: %s", pyRepr(md["metadata_version"]))
	}
	bd, _ := md["build"].(map[string]any)
	str := func(m map[string]any, k string) string { v, _ := m[k].(string); return v }
	if bd == nil || str(bd, "name") == "" || str(bd, "version") == "" || str(bd, "release") == "" {
		return nil, fault(1000, "Metadata is missing the build name, version or release")
	}
	// Content generator, from the buildroots.
	cg := ""
	brs, _ := md["buildroots"].([]any)
	for _, br := range brs {
		brm, _ := br.(map[string]any)
		cgm, _ := brm["content_generator"].(map[string]any)
		if n := str(cgm, "name"); n != "" {
			if cg != "" && cg != n {
				return nil, fault(1000, "Only one content generator per build is supported")
			}
			cg = n
		}
	}
	if cg == "" {
		return nil, fault(1000, "No content generator in buildroots")
	}
	if f := cx.assertCG(cg); f != nil {
		return nil, f
	}
	// prep_build: dslice(build, [name, version, release, extra, source])
	// needs every key, and extra must be a dict (None fails on setdefault).
	for _, k := range []string{"name", "version", "release", "extra", "source"} {
		if _, ok := bd[k]; !ok {
			return nil, fault(1, "<class 'KeyError'>: '%s'", k)
		}
	}
	extra, ok := bd["extra"].(map[string]any)
	if !ok {
		return nil, fault(1, "<class 'AttributeError'>: '%s' object has no attribute 'setdefault'", pyTypeName(bd["extra"]))
	}
	// Build types. The hub stores extra with typeinfo set (setdefault).
	if extra == nil {
		extra = map[string]any{}
	}
	if _, ok := extra["typeinfo"]; !ok {
		extra["typeinfo"] = map[string]any{}
	}
	typeinfo, _ := extra["typeinfo"].(map[string]any)
	btypes := map[string]any{}
	for k, v := range typeinfo {
		btypes[k] = v
	}
	for _, legacy := range []string{"maven", "win", "image"} {
		if v, ok := extra[legacy]; ok {
			// Legacy types at the top of extra are copied into typeinfo.
			if _, dup := typeinfo[legacy]; dup {
				return nil, fault(1000, "Duplicate typeinfo for '%s'", legacy)
			}
			typeinfo[legacy] = v
			btypes[legacy] = v
		}
	}
	// The build's task: build.task_id, or an OSBS build's
	// extra.container_koji_task_id; it must be a task of this hub.
	var taskID *int64
	if v, ok := bd["task_id"].(int64); ok {
		taskID = &v
	}
	if v, ok := extra["container_koji_task_id"].(int64); ok {
		if taskID != nil && *taskID != v {
			return nil, fault(1000, "CG provided non-matching task_id %d and container_koji_task_id %d", *taskID, v)
		}
		taskID = &v
	}
	if taskID != nil && cx.st.tasks[*taskID] == nil {
		return nil, fault(1, "<class 'psycopg2.errors.ForeignKeyViolation'>: insert or update on table \"build\" violates foreign key constraint \"build_task_id_fkey\"")
	}
	for k := range btypes {
		if !slices.Contains(cx.st.btypes, k) {
			return nil, fault(1000, "Unsupported btype: %s", k)
		}
	}
	// Outputs.
	dir := a.str("directory")
	outs, _ := md["output"].([]any)
	var parsed []cgOut
	for _, o := range outs {
		om, _ := o.(map[string]any)
		out := cgOut{m: om, typ: str(om, "type"), filename: str(om, "filename")}
		if out.filename == "" {
			return nil, fault(1000, "Output is missing a filename")
		}
		fpath := path.Join(dir, str(om, "relpath"), out.filename)
		data, ok := cx.st.uploads[fpath]
		if !ok {
			return nil, fault(1000, "No such file: %s", fpath)
		}
		out.data = data
		if size, _ := om["filesize"].(int64); size != int64(len(data)) {
			return nil, fault(1000, "File size %d for %s (expected %d) doesn't match. Corrupted upload?", len(data), out.filename, size)
		}
		var h hash.Hash
		switch str(om, "checksum_type") {
		case "md5":
			h = md5.New()
		case "sha1":
			h = sha1.New()
		case "sha256":
			h = sha256.New()
		default:
			return nil, fault(1000, "Unsupported checksum type: %s", str(om, "checksum_type"))
		}
		h.Write(data)
		if got := hex.EncodeToString(h.Sum(nil)); got != str(om, "checksum") {
			return nil, fault(1000, "File checksum mismatch for %s: %s != %s", out.filename, got, str(om, "checksum"))
		}
		switch out.typ {
		case "rpm", "log":
		default:
			oextra, _ := om["extra"].(map[string]any)
			oti, _ := oextra["typeinfo"].(map[string]any)
			for k := range oti {
				out.btype = k
			}
			if out.btype == "" {
				for _, legacy := range []string{"maven", "win", "image"} {
					if _, ok := oextra[legacy]; ok {
						out.btype = legacy
					}
				}
			}
			if _, listed := btypes[out.btype]; out.btype == "" || !listed {
				return nil, fault(1000, "Output type %s not listed in build types", out.btype)
			}
			comps, _ := om["components"].([]any)
			for _, c := range comps {
				cm, _ := c.(map[string]any)
				if str(cm, "type") != "rpm" {
					continue
				}
				r := cx.st.matchRPM(str(cm, "name"), str(cm, "version"), str(cm, "release"), str(cm, "arch"))
				if r == nil {
					return nil, fault(1000, "No such rpm: %s-%s-%s.%s", str(cm, "name"), str(cm, "version"), str(cm, "release"), str(cm, "arch"))
				}
				out.rpmIDs = append(out.rpmIDs, r.id)
			}
		}
		if out.typ == "rpm" && !strings.HasSuffix(out.filename, ".rpm") {
			return nil, fault(1000, "Not an rpm: %s", out.filename)
		}
		parsed = append(parsed, out)
	}
	// Owner.
	owner := cx.user
	if o := str(bd, "owner"); o != "" {
		if owner = cx.st.userByName(o); owner == nil {
			return nil, fault(1000, "No such user: %s", o)
		}
	}
	// Reservation or new build.
	var b *build
	if id, ok := bd["build_id"]; ok && a.str("token") == "" {
		return nil, fault(1000, "Token doesn't match build ID %s", pyRepr(id))
	}
	if tok := a.str("token"); tok != "" {
		// The hub's messages (CG_Importer.prep_build).
		id, _ := bd["build_id"].(int64)
		if _, ok := bd["build_id"]; !ok {
			return nil, fault(1000, "Reservation token given, but no build_id in metadata")
		}
		b = cx.st.builds[id]
		if b == nil {
			return nil, fault(1000, "No such build: %d", id)
		}
		if b.token != tok {
			return nil, fault(1000, "Token doesn't match build ID %d", id)
		}
		if b.state != 0 {
			return nil, fault(1000, "Build ID %d is not in BUILDING state", id)
		}
		if b.name != str(bd, "name") || b.version != str(bd, "version") || b.release != str(bd, "release") {
			return nil, fault(1000, "Build (%d) NVR is different", id)
		}
		cx.event()
	} else {
		var epoch *int64
		if e, ok := bd["epoch"].(int64); ok {
			epoch = &e
		}
		// Without a reservation the CG importer refuses an existing build
		// with its own message (new_build's differs).
		if old := cx.st.buildByNVR(str(bd, "name"), str(bd, "version"), str(bd, "release")); old != nil && old.state != 3 && old.state != 4 {
			return nil, fault(1000, "Build already exists: %s", pyDict(buildInfo(cx.st, old)))
		}
		var f *xmlrpcx.Fault
		if b, f = cx.newBuild(str(bd, "name"), str(bd, "version"), str(bd, "release"), epoch, 0, owner.id); f != nil {
			return nil, f
		}
		if st, ok := bd["start_time"].(int64); ok {
			b.start = epochTime(st)
		}
		if et, ok := bd["end_time"].(int64); ok {
			t := epochTime(et)
			b.completion = &t
		}
	}
	id := cx.st.cgIDs()[cg]
	b.cgID, b.token, b.state, b.owner = &id, "", 1, owner.id
	if b.completion == nil || a.str("token") != "" {
		now := cx.st.now()
		b.completion = &now
	}
	b.source = bd["source"]
	if taskID != nil {
		b.taskID = taskID
	}
	if extra != nil {
		b.extra = extra
	}
	for _, out := range parsed {
		if out.typ == "rpm" {
			btypes["rpm"] = nil // RPM outputs make it an rpm build too
		}
	}
	b.btypes = btypes
	// The hub records the metadata's buildroot; its outputs point to it.
	brID := cx.st.nextID("buildroot")
	for _, out := range parsed {
		switch out.typ {
		case "rpm":
			base := strings.TrimSuffix(out.filename, ".rpm")
			i := strings.LastIndexByte(base, '.')
			if n, v, r, ok := splitNVR(base[:max(i, 0)]); ok && i > 0 {
				r := cx.st.addRPM(&build{id: b.id, name: n, version: v, release: r, start: b.start}, base[i+1:])
				r.buildrootID = &brID
				cx.h.importRPMFile(cx.st, r, out.data)
			}
		case "log":
		default:
			size, _ := out.m["filesize"].(int64)
			ar := &archive{id: cx.st.nextID("archive"), buildID: b.id, filename: out.filename, size: size,
				checksum: str(out.m, "checksum"), checksumType: checksumTypes[str(out.m, "checksum_type")],
				btype: out.btype, extra: out.m["extra"], components: out.rpmIDs}
			if out.btype == "image" {
				ar.arch = str(out.m, "arch")
			}
			cx.st.archives[ar.id] = ar
		}
	}
	return buildInfo(cx.st, b), nil
}

// handleUpload implements the raw-POST upload protocol.
func (h *Hub) handleUpload(r *http.Request, body []byte) []byte {
	st := h.st
	q := r.URL.Query()
	if st.offline {
		return encodeResult(nil, fault(1014, "server is offline"))
	}
	sess, callnum, f := h.authenticate(r, "upload", nil)
	if f == nil && sess == nil {
		f = fault(1004, "you must be logged in for this operation")
	}
	if f != nil {
		st.log("upload", sess, callnum, f)
		return encodeResult(nil, f)
	}
	name, dir := q.Get("filename"), q.Get("filepath")
	if strings.Contains(name, "/") || strings.Contains(dir, "..") || path.IsAbs(dir) {
		f = fault(1000, "Invalid upload path: %s/%s", dir, name)
		st.log("upload", sess, callnum, f)
		return encodeResult(nil, f)
	}
	offset, err := strconv.ParseInt(q.Get("offset"), 10, 64)
	if err != nil || offset < 0 || offset > 1<<40 {
		offset = 0
	}
	key := path.Join(dir, name)
	data, exists := st.uploads[key]
	if exists && offset == 0 && q.Get("overwrite") == "" && len(data) > 0 {
		f = fault(1000, "upload path exists: %s", key)
		st.log("upload", sess, callnum, f)
		return encodeResult(nil, f)
	}
	if offset == 0 && q.Get("overwrite") != "" {
		data = nil
	}
	if need := offset + int64(len(body)); int64(len(data)) < need {
		data = append(data, make([]byte, need-int64(len(data)))...)
	}
	copy(data[offset:], body)
	st.uploads[key] = data
	// A real hub's upload handler writes no database row, so the call
	// number is checked but never stored: resending a chunk is harmless.
	st.log("upload", sess, callnum, nil)
	return encodeResult(map[string]any{"size": int64(len(body)), "fileverify": "adler32", "offset": offset,
		"hexdigest": fmt.Sprintf("%08x", adler32.Checksum(body))}, nil)
}

func mCheckUpload(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	if f := cx.requireLogin(); f != nil {
		return nil, f
	}
	data, ok := cx.st.uploads[path.Join(a.str("path"), a.str("name"))]
	if !ok {
		return nil, nil
	}
	out := map[string]any{"size": int64(len(data)), "mtime": pyTS(cx.st.now())}
	switch a.str("verify") {
	case "adler32":
		out["hexdigest"] = fmt.Sprintf("%08x", adler32.Checksum(data))
	case "md5":
		s := md5.Sum(data)
		out["hexdigest"] = hex.EncodeToString(s[:])
	case "":
	default:
		return nil, fault(1000, "Unsupported verify type: %s", a.str("verify"))
	}
	return out, nil
}

func mQueryHistory(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	allowed := map[string]bool{"tag": true, "build": true, "package": true, "user": true, "active": true,
		"beforeEvent": true, "afterEvent": true, "before": true, "after": true, "editor": true}
	for k := range a {
		if rest, ok := strings.CutPrefix(k, "**"); ok && !allowed[rest] {
			return nil, fault(1019, "queryHistory() got an unexpected keyword argument '%s'", rest)
		}
	}
	tables := a.strs("tables")
	if tables == nil {
		tables = []string{"tag_listing", "tag_inheritance", "tag_config", "tag_packages", "user_perms"}
	}
	var tagID, buildID int64 = -1, -1
	if a.has("**tag") {
		t := cx.st.lookupTag(a["**tag"])
		if t == nil {
			for id, tt := range cx.st.tags { // deleted tags keep their history
				if tt.name == a.str("**tag") {
					t = cx.st.tags[id]
				}
			}
		}
		if t == nil {
			return nil, fault(1000, "No such tagInfo: %s", pyRepr(a["**tag"]))
		}
		tagID = t.id
	}
	if a.has("**build") {
		b, f := cx.st.getBuildStrict(a["**build"])
		if f != nil {
			return nil, f
		}
		buildID = b.id
	}
	var pkgName string
	if a.has("**package") {
		pkgName = a.str("**package")
	}
	keep := func(create int64, revoke *int64) bool {
		if a.has("**active") && a.boolean("**active") != (revoke == nil) {
			return false
		}
		if a.has("**afterEvent") {
			ae := a.int("**afterEvent")
			if create <= ae && (revoke == nil || *revoke <= ae) {
				return false
			}
		}
		if a.has("**beforeEvent") && create >= a.int("**beforeEvent") {
			return false
		}
		return true
	}
	row := func(create, creator int64, revoke *int64, revoker int64) map[string]any {
		m := map[string]any{"create_event": create, "create_ts": pyTS(cx.st.eventTime(create)), "creator_id": creator,
			"creator_name": cx.st.users[creator].name, "revoke_event": nil, "revoke_ts": nil, "revoker_id": nil,
			"revoker_name": nil, "active": revoke == nil}
		if cx.st.users[creator] == nil {
			m["creator_name"] = nil
		}
		if revoke != nil {
			m["revoke_event"], m["revoke_ts"] = *revoke, pyTS(cx.st.eventTime(*revoke))
			if u := cx.st.users[revoker]; u != nil {
				m["revoker_id"], m["revoker_name"] = revoker, u.name
			}
		}
		return m
	}
	out := map[string]any{}
	for _, table := range tables {
		rows := []any{}
		switch table {
		case "tag_listing":
			for _, l := range cx.st.listings {
				b := cx.st.builds[l.buildID]
				if (tagID >= 0 && l.tagID != tagID) || (buildID >= 0 && l.buildID != buildID) ||
					(pkgName != "" && b.name != pkgName) || !keep(l.createEvent, l.revokeEvent) {
					continue
				}
				m := row(l.createEvent, l.creator, l.revokeEvent, l.revoker)
				m["tag_id"], m["tag.name"], m["build_id"], m["build.state"] = l.tagID, cx.st.tags[l.tagID].name, l.buildID, b.state
				m["package.name"], m["build.version"], m["build.release"], m["build.epoch"] = b.name, b.version, b.release, b.epoch
				rows = append(rows, m)
			}
		case "tag_config":
			if buildID >= 0 || pkgName != "" {
				break
			}
			for _, c := range cx.st.tagConfigs {
				if (tagID >= 0 && c.tagID != tagID) || !keep(c.createEvent, c.revokeEvent) {
					continue
				}
				m := row(c.createEvent, c.creator, c.revokeEvent, c.revoker)
				var arches, permID, permName any
				if c.arches != "" {
					arches = c.arches
				}
				if c.perm != "" {
					permID, permName = int64(slices.Index(cx.st.permNames, c.perm)+1), c.perm
				}
				m["tag_id"], m["tag.name"], m["arches"], m["locked"] = c.tagID, cx.st.tags[c.tagID].name, arches, c.locked
				m["maven_support"], m["maven_include_all"], m["perm_id"], m["permission.name"] = c.mavenSupport, c.mavenIncludeAll, permID, permName
				rows = append(rows, m)
			}
		case "tag_inheritance":
			if buildID >= 0 || pkgName != "" {
				break
			}
			for _, l := range cx.st.links {
				if (tagID >= 0 && l.childID != tagID && l.parentID != tagID) || !keep(l.createEvent, l.revokeEvent) {
					continue
				}
				m := row(l.createEvent, l.creator, l.revokeEvent, l.revoker)
				li := linkInfo(cx.st, l)
				delete(li, "name")
				for k, v := range li {
					m[k] = v
				}
				// The table's column is tag_id (the child).
				delete(m, "child_id")
				m["tag_id"] = l.childID
				m["tag.name"], m["parent.name"] = cx.st.tags[l.childID].name, cx.st.tags[l.parentID].name
				rows = append(rows, m)
			}
		case "tag_packages":
			if buildID >= 0 {
				break
			}
			for _, e := range cx.st.pkgEntries {
				if (tagID >= 0 && e.tagID != tagID) || (pkgName != "" && cx.st.packages[e.pkgID] != pkgName) ||
					!keep(e.createEvent, e.revokeEvent) {
					continue
				}
				m := row(e.createEvent, e.creator, e.revokeEvent, e.creator)
				m["tag_id"], m["tag.name"], m["package_id"], m["package.name"] = e.tagID, cx.st.tags[e.tagID].name, e.pkgID, cx.st.packages[e.pkgID]
				m["blocked"], m["extra_arches"] = e.blocked, e.extraArches
				rows = append(rows, m)
			}
		case "user_perms":
			if tagID >= 0 || buildID >= 0 || pkgName != "" {
				break
			}
			for _, g := range cx.st.permGrants {
				ev := g["create_event"].(int64)
				if !keep(ev, nil) {
					continue
				}
				m := row(ev, 1, nil, 0)
				for k, v := range g {
					m[k] = v
				}
				rows = append(rows, m)
			}
		default:
			return nil, fault(1000, "No such table: %s", table)
		}
		out[table] = rows
	}
	return out, nil
}
