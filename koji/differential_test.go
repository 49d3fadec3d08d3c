package koji_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
)

// TestRealHubDifferential runs one scenario against kojitest and against
// the real hub and compares the shapes of the raw results (member names
// and value types, recursively) and the fault codes: kojitest must answer
// like a koji 1.35.3 hub, or tests written against it hide bugs.
func TestRealHubDifferential(t *testing.T) {
	t.Parallel()
	h := needRealHub(t)
	// With a builder on the real hub, kojitest gets its simulated one and
	// the scenario waits for the tasks on both.
	builder := h.Builder != ""
	realC := h.admin(t)
	if builder {
		h.needBuilder(t, realC)
	}
	real := runScenario(t, realC, h.Admin, builder)

	var opts []kojitest.Option
	if builder {
		opts = append(opts, kojitest.WithBuilder(kojitest.AutoComplete))
	}
	hub := kojitest.New(t, opts...)
	c := newClient(t, hub, koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword})
	check(t, c.Login(t.Context()))
	check(t, c.AddBType(t.Context(), "module"))
	check(t, c.GrantCGAccess(t.Context(), koji.Name(kojitest.AdminUser), "module-build-service", true))
	fake := runScenario(t, c, kojitest.AdminUser, builder)

	for _, k := range slices.Sorted(maps.Keys(real)) {
		if real[k] != fake[k] {
			t.Errorf("%s: kojitest differs from the real hub\nreal:     %s\nkojitest: %s", k, real[k], fake[k])
		}
	}
	for k := range fake {
		if _, ok := real[k]; !ok {
			t.Errorf("%s: only kojitest answered", k)
		}
	}
}

// runScenario sets up tags, inheritance, a target, groups, packages, an
// RPM build, a module build and tagging with unique names, then calls the
// hub's read methods raw and returns, per call, the shape of the result or
// the fault code.
func runScenario(t *testing.T, c *koji.Client, admin string, builder bool) map[string]string {
	t.Helper()
	ctx := context.Background()
	p := unique("diff")
	base, child := p+"-base", p+"-child"
	must[int64](t)(c.CreateTag(ctx, base, &koji.CreateTagOptions{Arches: []string{"x86_64"}, Extra: map[string]any{"k": "v"}}))
	must[int64](t)(c.CreateTag(ctx, child, &koji.CreateTagOptions{Parent: base}))
	other := must[int64](t)(c.CreateTag(ctx, p+"-other", nil))
	zero := 0
	check(t, c.SetInheritanceData(ctx, koji.Name(child), []koji.InheritanceLink{{ParentID: other, Priority: 5, MaxDepth: &zero, PkgFilter: "^x"}}, nil))
	check(t, c.CreateTarget(ctx, p, koji.Name(child), koji.Name(base)))
	check(t, c.AddGroup(ctx, koji.Name(base), "build", &koji.GroupOptions{Description: "d"}))
	check(t, c.AddGroupPackage(ctx, koji.Name(base), "build", "bash", nil))
	set := buildRPMs(t, unique("dpkg"), "1.0", "1", "x86_64")
	check(t, c.AddPackage(ctx, koji.Name(base), set.Name, &koji.AddPackageOptions{Owner: admin}))
	b := importRPMBuild(t, c, "module-build-service", set)
	check(t, c.TagBuildBypass(ctx, koji.Name(base), koji.ID(b.ID), false))
	rpms := must[[]koji.RPM](t)(c.ListRPMs(ctx, &koji.ListRPMsOptions{BuildID: b.ID}))
	var comps []koji.CGComponent
	for _, r := range rpms {
		comps = append(comps, koji.RPMComponent(r))
	}
	mi := &koji.ModuleImport{Name: p, Stream: "s", Version: 1, Context: "c", ContentKojiTag: base,
		SCMURL: "https://example.org/m.git?#1", Start: time.Unix(1735689600, 0), End: time.Unix(1735693200, 0),
		Modulemd: "m\n", SourceModulemd: "s\n", ArchModulemd: map[string]string{"x86_64": "a\n"},
		ArchRPMs: map[string][]koji.CGComponent{"x86_64": comps}, BuildLog: "l\n", HostOS: "Linux"}
	mb := must[*koji.Build](t)(c.ImportModuleBuild(ctx, mi, unique("mbs/diff"), nil))
	archives := must[[]koji.Archive](t)(c.ListArchives(ctx, &koji.ListArchivesOptions{BuildID: mb.ID}))
	var mmdArchive int64
	for _, a := range archives {
		if a.Filename == "modulemd.txt" {
			mmdArchive = a.ID
		}
	}
	check(t, c.AddPackage(ctx, koji.Name(p+"-other"), set.Name, &koji.AddPackageOptions{Owner: admin}))
	taskID := must[int64](t)(c.TagBuild(ctx, koji.Name(p+"-other"), koji.ID(b.ID), nil))
	wait := func(id int64) {
		if builder {
			wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
			defer cancel()
			must[*koji.Task](t)(c.WaitTask(wctx, id, &koji.WaitOptions{Interval: 200 * time.Millisecond}))
		}
	}
	wait(taskID)
	nvr := b.NVR

	out := map[string]string{}

	// Inheritance flattening by value, on a diamond where the shared
	// ancestor is reached again with a deeper depth budget (koji lists it
	// twice), with a filter, an intransitive link and a noconfig link.
	d := map[string]int64{}
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		d[n] = must[int64](t)(c.CreateTag(ctx, p+"-"+n, nil))
	}
	one := 1
	check(t, c.SetInheritanceData(ctx, koji.ID(d["d"]), []koji.InheritanceLink{
		{ParentID: d["b"], Priority: 10, MaxDepth: &one}, {ParentID: d["c"], Priority: 20, PkgFilter: "^f"}}, nil))
	check(t, c.SetInheritanceData(ctx, koji.ID(d["b"]), []koji.InheritanceLink{{ParentID: d["a"], Priority: 0}}, nil))
	check(t, c.SetInheritanceData(ctx, koji.ID(d["c"]), []koji.InheritanceLink{
		{ParentID: d["a"], Priority: 0, NoConfig: true}, {ParentID: d["e"], Priority: 5, Intransitive: true}}, nil))
	flat := func(tag int64, reverse bool) string {
		links := must[[]koji.FullInheritanceLink](t)(c.GetFullInheritance(ctx, koji.ID(tag), &koji.FullInheritanceOptions{Reverse: reverse}))
		var parts []string
		for _, l := range links {
			nd := "nil"
			if l.NextDepth != nil {
				nd = fmt.Sprint(*l.NextDepth)
			}
			name := strings.TrimPrefix(l.Name, p+"-")
			parts = append(parts, fmt.Sprintf("%s(depth %d, next %s, filter %v, noconfig %v)", name, l.CurrDepth, nd, l.Filter, l.NoConfig))
		}
		return strings.Join(parts, " ")
	}
	out["full inheritance of a diamond"] = flat(d["d"], false)
	out["full inheritance of a diamond, reverse"] = flat(d["a"], true)
	out["full inheritance through an intransitive link"] = flat(d["c"], false)

	call := func(label, method string, args ...any) {
		var v any
		err := c.Call(ctx, method, &v, args...)
		if err != nil {
			out[label] = fmt.Sprintf("fault %d", faultCode(err))
			return
		}
		out[label] = shape(v)
	}
	kw := func(kv ...any) koji.Kwargs {
		k := koji.Kwargs{}
		for i := 0; i < len(kv); i += 2 {
			k[kv[i].(string)] = kv[i+1]
		}
		return k
	}
	call("getAPIVersion", "getAPIVersion")
	call("getKojiVersion", "getKojiVersion")
	call("echo", "echo", "a", 1, true)
	call("getLoggedInUser", "getLoggedInUser")
	call("getUser", "getUser", admin)
	call("getUser missing", "getUser", unique("nobody"))
	call("hasPerm", "hasPerm", "admin")
	call("getPerms", "getPerms")
	call("getLastEvent", "getLastEvent")
	call("getTag", "getTag", base)
	call("getTag missing", "getTag", unique("none"))
	call("getTag strict missing", "getTag", unique("none"), kw("strict", true))
	call("createTag duplicate", "createTag", base)
	call("createTag bad name", "createTag", "bad name!")
	call("listTags pattern", "listTags", kw("pattern", p+"-*"))
	call("getInheritanceData", "getInheritanceData", child)
	call("getFullInheritance", "getFullInheritance", child)
	call("getFullInheritance reverse", "getFullInheritance", base, kw("reverse", true))
	call("setInheritanceData missing maxdepth", "setInheritanceData", child, []any{map[string]any{"parent_id": other, "priority": 7}})
	call("getBuildTarget", "getBuildTarget", p)
	call("getBuildTarget missing", "getBuildTarget", unique("none"))
	call("getBuildTargets", "getBuildTargets", p)
	call("getTagGroups", "getTagGroups", child)
	call("groupPackageListAdd missing group", "groupPackageListAdd", base, "nosuch", "x")
	call("listPackages", "listPackages", kw("tagID", child, "inherited", true))
	call("packageListAdd no owner", "packageListAdd", base, unique("p"))
	call("getBuild", "getBuild", nvr)
	call("getBuild module", "getBuild", mb.ID)
	call("getBuild missing", "getBuild", unique("none")+"-1-1")
	call("getBuild bad nvr", "getBuild", "nope")
	call("listBuilds", "listBuilds", kw("packageID", set.Name))
	call("listBuilds module", "listBuilds", kw("type", "module", "typeInfo", map[string]any{"name": p}, "prefix", p))
	call("getBuildType", "getBuildType", nvr)
	call("getBuildType module", "getBuildType", mb.ID)
	call("getNextRelease", "getNextRelease", map[string]any{"name": set.Name, "version": "1.0"})
	call("listRPMs", "listRPMs", kw("buildID", b.ID))
	call("listRPMs imageID", "listRPMs", kw("imageID", mmdArchive))
	call("getRPM", "getRPM", nvr+".x86_64")
	// Signatures: an imported RPM's own (unsigned) header is recorded with
	// sigkey "", so adding it again is a duplicate.
	binRPM := must[*koji.RPM](t)(c.GetRPM(ctx, koji.Name(nvr+"."+set.Arch)))
	call("queryRPMSigs", "queryRPMSigs", kw("rpm_id", binRPM.ID))
	call("queryRPMSigs nvra", "queryRPMSigs", kw("rpm_id", nvr+"."+set.Arch))
	call("queryRPMSigs missing", "queryRPMSigs", kw("rpm_id", nvr+".ppc64le"))
	call("queryRPMSigs other key", "queryRPMSigs", kw("rpm_id", binRPM.ID, "sigkey", "0BADC0DE"))
	var sigs []map[string]any
	check(t, c.Call(ctx, "queryRPMSigs", &sigs, binRPM.ID))
	var keys []string
	for _, s := range sigs {
		keys = append(keys, fmt.Sprintf("%q", s["sigkey"]))
	}
	out["queryRPMSigs sigkeys of an unsigned import"] = strings.Join(keys, " ")
	hdr := base64.StdEncoding.EncodeToString(sigHeader(t, set.RPM))
	call("addRPMSig duplicate", "addRPMSig", binRPM.ID, hdr)
	call("addRPMSig missing rpm", "addRPMSig", nvr+".ppc64le", hdr)
	call("writeSignedRPM no signature", "writeSignedRPM", binRPM.ID, "0badc0de")
	call("getRPM missing", "getRPM", nvr+".ppc64le")
	call("listTagged", "listTagged", child, kw("inherit", true))
	call("listTagged extra", "listTagged", base, kw("extra", true))
	call("listTagged missing", "listTagged", unique("none"))
	call("listTaggedRPMS", "listTaggedRPMS", base)
	call("getLatestBuilds", "getLatestBuilds", child)
	call("listArchives", "listArchives", kw("buildID", mb.ID))
	call("listArchives type", "listArchives", kw("buildID", mb.ID, "type", "module"))
	call("listBTypes", "listBTypes")
	call("tagLastChangeEvent", "tagLastChangeEvent", base)
	call("getTaskInfo", "getTaskInfo", taskID)
	call("getTaskInfo request", "getTaskInfo", taskID, kw("request", true))
	call("getTaskInfo missing", "getTaskInfo", 1<<40)
	call("tagBuild unlisted", "tagBuild", child+"-nolist", nvr)
	call("untagBuild not tagged", "untagBuild", child, nvr)
	call("queryHistory", "queryHistory", kw("tag", child, "tables", []any{"tag_inheritance", "tag_config"}))
	// listTasks: the row of this scenario's task (other tests add theirs).
	since := float64(time.Now().Add(-time.Minute).Unix())
	for label, opts := range map[string]map[string]any{
		"listTasks decoded": {"method": "tagBuild", "decode": true, "parent": nil, "createdAfter": since},
		"listTasks raw":     {"method": "tagBuild", "state": []any{0, 1, 2, 3, 4, 5}, "createdAfter": since},
	} {
		var rows []map[string]any
		check(t, c.Call(ctx, "listTasks", &rows, opts))
		out[label] = "task not listed"
		for _, r := range rows {
			if r["id"] == taskID {
				out[label] = shape(r)
			}
		}
	}
	call("getTaskResult", "getTaskResult", taskID)
	call("getTaskChildren", "getTaskChildren", taskID)
	call("getRepo none", "getRepo", child)
	repoTask := must[int64](t)(c.NewRepo(ctx, koji.Name(base), nil))
	wait(repoTask)
	if !builder { // kojitest's newRepo runs no createrepo subtasks, so waiting stays nil
		call("getTaskInfo newRepo", "getTaskInfo", repoTask)
	}
	call("getTaskResult newRepo", "getTaskResult", repoTask)
	call("getRepo", "getRepo", base)
	if !builder { // a builder would run the task before it could be cancelled
		cancel := must[int64](t)(c.TagBuild(ctx, koji.Name(p+"-other"), koji.ID(b.ID), &koji.TagBuildOptions{Force: true}))
		call("cancelTask", "cancelTask", cancel)
		call("getTaskInfo canceled", "getTaskInfo", cancel)
		call("getTaskResult canceled", "getTaskResult", cancel)
		call("getTaskResult canceled no raise", "getTaskResult", cancel, kw("raise_fault", false))
	}
	call("multiCall", "multiCall", []any{
		map[string]any{"methodName": "getTag", "params": []any{base}},
		map[string]any{"methodName": "getTag", "params": []any{unique("none"), kw("strict", true)}},
		map[string]any{"methodName": "CGImport", "params": []any{map[string]any{"metadata_version": 0,
			"build": map[string]any{"name": "x", "version": "1", "release": "1", "source": "s", "start_time": 1, "end_time": 2}}, "nowhere"}},
	})
	// Fault messages that callers match on (MBS tolerates "Build already
	// exists"), with names and numbers normalised.
	digits := regexp.MustCompile(`[0-9]+`)
	msg := func(label, method string, args ...any) {
		err := c.Call(ctx, method, nil, args...)
		var f *koji.Fault
		if !errors.As(err, &f) {
			out[label] = fmt.Sprintf("no fault: %v", err)
			return
		}
		m := strings.ReplaceAll(f.Message, p, "P")
		if before, _, ok := strings.Cut(m, ": {"); ok {
			m = before + ": {...}" // a Python dict repr: compare the message, not the dump
		}
		m = strings.ReplaceAll(m, set.Name, "PKG")
		out[label] = fmt.Sprintf("fault %d: %s", f.Code, digits.ReplaceAllString(m, "N"))
	}
	msg("message: createTag duplicate", "createTag", base)
	msg("message: getTag strict missing", "getTag", p+"-none", kw("strict", true))
	msg("message: packageListAdd no owner", "packageListAdd", base, p+"-newpkg")
	msg("message: tagBuild unlisted", "tagBuild", p+"-a", nvr)
	msg("message: untagBuild not tagged", "untagBuild", child, nvr)
	msg("message: groupPackageListAdd missing group", "groupPackageListAdd", base, "nosuch", "x")
	msg("message: setInheritanceData missing maxdepth", "setInheritanceData", child, []any{map[string]any{"parent_id": other, "priority": 7}})
	msg("message: getBuild bad nvr", "getBuild", "nope")
	msg("message: unknown method", "noSuchMethod")
	msg("message: unknown kwarg", "getTag", base, kw("bogus", 1))
	msg("message: createTag bad name", "createTag", "bad name!")
	msg("message: getBuildTarget strict missing", "getBuildTarget", p+"-none", kw("strict", true))
	msg("message: getRPM strict missing", "getRPM", nvr+".ppc64le", kw("strict", true))
	msg("message: getBuild strict missing", "getBuild", p+"-1-1", kw("strict", true))
	msg("message: getTaskInfo strict missing", "getTaskInfo", 1<<40, kw("strict", true))
	msg("message: CGImport existing build", "CGImport", map[string]any{"metadata_version": 0,
		"build": map[string]any{"name": b.Name, "version": b.Version, "release": b.Release, "source": "s",
			"start_time": 1, "end_time": 2, "extra": map[string]any{}},
		"buildroots": []any{map[string]any{"id": 1, "host": map[string]any{"os": "x", "arch": "x86_64"},
			"content_generator": map[string]any{"name": "module-build-service", "version": "1"},
			"container":         map[string]any{"type": "none", "arch": "x86_64"}, "tools": []any{}, "components": []any{}}},
		"output": []any{}}, "nowhere")

	res := must[*koji.CGReservation](t)(c.CGInitBuild(ctx, "module-build-service", koji.NVR{Name: p + "-res", Version: "1", Release: "1"}))
	resMD := func(release string) map[string]any {
		return map[string]any{"metadata_version": 0,
			"build": map[string]any{"name": p + "-res", "version": "1", "release": release, "source": "s",
				"start_time": 1, "end_time": 2, "extra": map[string]any{}, "build_id": res.BuildID},
			"buildroots": []any{map[string]any{"id": 1, "host": map[string]any{"os": "x", "arch": "x86_64"},
				"content_generator": map[string]any{"name": "module-build-service", "version": "1"},
				"container":         map[string]any{"type": "none", "arch": "x86_64"}, "tools": []any{}, "components": []any{}}},
			"output": []any{}}
	}
	msg("message: CGImport wrong token", "CGImport", resMD("1"), "nowhere", kw("token", "bad"))
	msg("message: CGImport no token", "CGImport", resMD("1"), "nowhere")
	msg("message: CGImport other NVR", "CGImport", resMD("2"), "nowhere", kw("token", res.Token))

	// Writes: what they return.
	call("createTag", "createTag", p+"-w", kw("arches", "x86_64"))
	call("editTag2", "editTag2", p+"-w", kw("extra", map[string]any{"a": 1}))
	call("createBuildTarget", "createBuildTarget", p+"-w", p+"-w", p+"-w")
	call("editBuildTarget", "editBuildTarget", p+"-w", p+"-w2", p+"-w", p+"-w")
	call("deleteBuildTarget", "deleteBuildTarget", p+"-w2")
	call("groupListAdd", "groupListAdd", p+"-w", "g")
	call("groupPackageListAdd", "groupPackageListAdd", p+"-w", "g", "bash")
	call("groupListRemove", "groupListRemove", p+"-w", "g")
	call("packageListAdd", "packageListAdd", p+"-w", set.Name, kw("owner", admin))
	call("packageListRemove", "packageListRemove", p+"-w", set.Name)
	call("setInheritanceData", "setInheritanceData", p+"-w", []any{map[string]any{"parent_id": other, "priority": 1,
		"maxdepth": nil, "intransitive": false, "noconfig": false, "pkg_filter": ""}})
	call("CGInitBuild", "CGInitBuild", "module-build-service", map[string]any{"name": p + "-r", "version": "1", "release": "1"})
	call("deleteTag", "deleteTag", p+"-w")
	call("checkUpload", "checkUpload", "nowhere-"+p, "none")
	call("getTagExtra kwarg", "getTag", base, kw("bogus", 1))
	call("unknown method", "noSuchMethod")
	call("CGImport no extra", "CGImport", map[string]any{"metadata_version": 0,
		"build": map[string]any{"name": "x", "version": "1", "release": "1", "source": "s", "start_time": 1, "end_time": 2},
		"buildroots": []any{map[string]any{"id": 1, "host": map[string]any{"os": "x", "arch": "x86_64"},
			"content_generator": map[string]any{"name": "module-build-service", "version": "1"},
			"container":         map[string]any{"type": "none", "arch": "x86_64"}, "tools": []any{}, "components": []any{}}},
		"output": []any{}}, "nowhere")
	return out
}

// shape describes a value's structure: member names and XML-RPC types,
// recursively; a list shows the distinct shapes of its elements.
func shape(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case bool:
		return "bool"
	case int, int32, int64:
		return "int"
	case float64:
		return "double"
	case string:
		return "string"
	case []any:
		var elems []string
		for _, e := range x {
			s := shape(e)
			if !slices.Contains(elems, s) {
				elems = append(elems, s)
			}
		}
		slices.Sort(elems)
		return "[" + strings.Join(elems, " | ") + "]"
	case map[string]any:
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(x)) {
			parts = append(parts, k+": "+shape(x[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprintf("%T", v)
}

// sigHeader is an RPM file's signature header, as koji's rip_rpm_sighdr
// cuts it (after the 96-byte lead, padded to 8 bytes).
func sigHeader(t *testing.T, rpm string) []byte {
	t.Helper()
	data, err := os.ReadFile(rpm)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 96+16 {
		t.Fatalf("%s: too short for an RPM", rpm)
	}
	il, dl := int(binary.BigEndian.Uint32(data[96+8:])), int(binary.BigEndian.Uint32(data[96+12:]))
	n := 16 + 16*il + dl
	n += (8 - n%8) % 8
	return data[96 : 96+n]
}
