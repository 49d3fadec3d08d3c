package koji_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modkit/modkit/internal/xmlrpcx"
	"github.com/modkit/modkit/koji"
)

// The tests in this file run against a real koji 1.35.3 hub (see
// needRealHub). They cover the client's whole method surface and each
// defect a check against a real hub found (issue 9 §1), reading every
// result back from the hub.

// TestRealHubRetriedWriteRunsOnce (defect 1): a logged-in write whose reply
// is lost is resent with the same call number; a released hub reads that
// number only from Koji-Callnum and must refuse the resend (RetryError)
// instead of running the write twice.
func TestRealHubRetriedWriteRunsOnce(t *testing.T) {
	t.Parallel()
	h := needRealHub(t)
	ctx := t.Context()
	admin := h.admin(t)

	t.Run("createTag", func(t *testing.T) {
		name := unique("retry-tag")
		p := newDropProxy(t, h.URL, "<string>"+name+"</string>")
		c := h.client(t, p.URL(), h.Admin, h.AdminPassword)
		_, err := c.CreateTag(ctx, name, nil)
		if !errors.Is(err, koji.ErrRetry) {
			t.Fatalf("CreateTag after a lost reply = %v, want RetryError", err)
		}
		if p.matched() != 2 {
			t.Errorf("createTag reached the hub %d times, want 2 (the call and its resend)", p.matched())
		}
		tags, err := admin.ListTags(ctx, &koji.ListTagsOptions{Pattern: name})
		if err != nil || len(tags) != 1 {
			t.Errorf("tags named %s: %d (%v), want exactly 1", name, len(tags), err)
		}
	})

	t.Run("tagBuild", func(t *testing.T) {
		tag := unique("retry-dest")
		must[int64](t)(admin.CreateTag(ctx, tag, nil))
		set := buildRPMs(t, unique("retrypkg"), "1.0", "1", "x86_64")
		check(t, admin.AddPackage(ctx, koji.Name(tag), set.Name, &koji.AddPackageOptions{Owner: h.Admin}))
		b := importRPMBuild(t, admin, "module-build-service", set)
		p := newDropProxy(t, h.URL, "<methodName>tagBuild</methodName>")
		c := h.client(t, p.URL(), h.Admin, h.AdminPassword)
		since := float64(time.Now().Add(-time.Minute).Unix())
		_, err := c.TagBuild(ctx, koji.Name(tag), koji.ID(b.ID), nil)
		if !errors.Is(err, koji.ErrRetry) {
			t.Fatalf("TagBuild after a lost reply = %v, want RetryError", err)
		}
		// Exactly one tagBuild task for this tag and build.
		var tasks []map[string]any
		check(t, admin.Call(ctx, "listTasks", &tasks, map[string]any{"method": "tagBuild", "decode": true, "createdAfter": since},
			map[string]any{"order": "-id"}))
		n := 0
		tagID := must[*koji.Tag](t)(admin.GetTag(ctx, koji.Name(tag), nil)).ID
		for _, task := range tasks {
			req, _ := task["request"].([]any)
			if len(req) >= 2 && fmt.Sprint(req[0]) == strconv.FormatInt(tagID, 10) && fmt.Sprint(req[1]) == strconv.FormatInt(b.ID, 10) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d tagBuild tasks for %s into %s, want 1", n, b.NVR, tag)
		}
	})

	t.Run("hub reads only Koji-Callnum", func(t *testing.T) {
		// The released hub's behaviour the fix depends on: a resend that
		// carries the number only as Koji-Session-Callnum runs again.
		for _, tt := range []struct {
			header   string
			wantCode int // of the resend
		}{{"Koji-Session-Callnum", 1000}, {"Koji-Callnum", 1009}} {
			s := must[*koji.Session](t)(admin.LoginPassword(ctx, h.Admin, h.AdminPassword, nil))
			name := unique("hdr")
			hdr := http.Header{"Koji-Session-Id": {strconv.FormatInt(s.ID, 10)}, "Koji-Session-Key": {s.Key}, tt.header: {"0"}}
			if _, err := rawCall(t, h.URL, hdr, "createTag", name); err != nil {
				t.Fatalf("%s: createTag: %v", tt.header, err)
			}
			_, err := rawCall(t, h.URL, hdr, "createTag", name)
			if got := faultCode(err); got != tt.wantCode {
				t.Errorf("resend with only %s: fault %d (%v), want %d", tt.header, got, err, tt.wantCode)
			}
		}
	})
}

// rawCall posts one XML-RPC call with the given headers.
func rawCall(t *testing.T, url string, header http.Header, method string, params ...any) (any, error) {
	t.Helper()
	body, err := xmlrpcx.EncodeCall(method, params...)
	if err != nil {
		t.Fatal(err)
	}
	c := &xmlrpcx.Client{HTTPClient: &http.Client{Timeout: time.Minute}}
	resp, err := c.Do(t.Context(), &xmlrpcx.Request{URL: url, Body: body, Header: header})
	if err != nil {
		return nil, err
	}
	return xmlrpcx.DecodeResponse(resp.Body)
}

func faultCode(err error) int {
	var f *xmlrpcx.Fault
	if errors.As(err, &f) {
		return f.Code
	}
	var kf *koji.Fault
	if errors.As(err, &kf) {
		return kf.Code
	}
	return 0
}

// TestRealHubConcurrentSession (defect 2): one logged-in client used from
// 16 goroutines, 3 createTag each (plus a getTag after each), no
// SequenceError.
func TestRealHubConcurrentSession(t *testing.T) {
	t.Parallel()
	h := needRealHub(t)
	c := h.admin(t)
	prefix := unique("conc")
	if errs := concurrentWrites(t.Context(), c, prefix, 16, 3); len(errs) > 0 {
		t.Fatalf("%d of 48 writes failed, first: %v", len(errs), errs[0])
	}
	tags := must[[]koji.Tag](t)(c.ListTags(t.Context(), &koji.ListTagsOptions{Pattern: prefix + "-*"}))
	if len(tags) != 48 {
		t.Errorf("%d tags on the hub, want 48", len(tags))
	}
}

// BenchmarkRealHubConcurrentSession measures the same load as
// BenchmarkConcurrentSession against the real hub.
func BenchmarkRealHubConcurrentSession(b *testing.B) {
	h := needRealHub(b)
	for _, tt := range []struct {
		name         string
		sessionReads bool
	}{{"default", false}, {"session-reads", true}} {
		b.Run(tt.name, func(b *testing.B) {
			c := h.admin(b, koji.WithSessionReads(tt.sessionReads))
			benchConcurrent(b, c, unique("bench"))
		})
	}
}

// TestRealHubMeta covers versions, echo, users, permissions, events,
// faults and multicall.
func TestRealHubMeta(t *testing.T) {
	t.Parallel()
	h := needRealHub(t)
	ctx := t.Context()
	admin := h.admin(t)
	anon := h.client(t, h.URL, "", "")

	if v := must[int](t)(anon.GetAPIVersion(ctx)); v != 1 {
		t.Errorf("GetAPIVersion = %d", v)
	}
	if v := must[string](t)(anon.GetKojiVersion(ctx)); v != "1.35.3" || anon.HubVersion() != "1.35.3" {
		t.Errorf("GetKojiVersion = %q, HubVersion = %q", v, anon.HubVersion())
	}
	if got := must[[]any](t)(anon.Echo(ctx, "a", int64(1), true)); !cmp.Equal(got, []any{"a", int64(1), true}) {
		t.Errorf("Echo = %#v", got)
	}
	if u, err := anon.GetLoggedInUser(ctx); !errors.Is(err, koji.ErrNotFound) && u != nil {
		t.Errorf("anonymous GetLoggedInUser = %+v, %v", u, err)
	}
	me := must[*koji.User](t)(admin.GetLoggedInUser(ctx))
	if me.Name != h.Admin {
		t.Errorf("GetLoggedInUser = %+v", me)
	}
	if ok := must[bool](t)(admin.HasPerm(ctx, "admin")); !ok {
		t.Error("admin lacks admin")
	}
	if perms := must[[]string](t)(admin.GetPerms(ctx)); !slices.Contains(perms, "admin") {
		t.Errorf("GetPerms = %v", perms)
	}
	name := unique("user")
	uid := must[int64](t)(admin.CreateUser(ctx, name))
	check(t, admin.GrantPermission(ctx, koji.ID(uid), "tag", false))
	if u := must[*koji.User](t)(admin.GetUser(ctx, koji.Name(name))); u.ID != uid || u.Name != name {
		t.Errorf("GetUser = %+v", u)
	}
	if _, err := admin.GetUser(ctx, koji.Name(unique("nobody"))); !errors.Is(err, koji.ErrNotFound) {
		t.Errorf("GetUser(missing) = %v", err)
	}
	check(t, admin.GrantCGAccess(ctx, koji.ID(uid), "module-build-service", false))
	bt := unique("btype")
	check(t, admin.AddBType(ctx, bt))
	if bts := must[[]koji.BType](t)(admin.ListBTypes(ctx)); !slices.ContainsFunc(bts, func(b koji.BType) bool { return b.Name == bt && b.ID > 0 }) {
		t.Errorf("ListBTypes lacks %s: %+v", bt, bts)
	}
	// A chunked upload, overwritten, verified chunk by chunk and whole.
	dir := unique("modkit-test/upload")
	data := strings.Repeat("0123456789", 5)
	up := must[*koji.UploadResult](t)(admin.Upload(ctx, strings.NewReader(data), dir, "f.txt", &koji.UploadOptions{ChunkSize: 7}))
	if up.Size != 50 || up.Path != dir+"/f.txt" {
		t.Errorf("Upload = %+v", up)
	}
	if _, err := admin.Upload(ctx, strings.NewReader("x"), dir, "f.txt", nil); err == nil {
		t.Error("upload over an existing file without Overwrite succeeded")
	}
	if up := must[*koji.UploadResult](t)(admin.Upload(ctx, strings.NewReader("short"), dir, "f.txt", &koji.UploadOptions{Overwrite: true})); up.Size != 5 {
		t.Errorf("overwrite = %+v", up)
	}
	if _, err := anon.Upload(ctx, strings.NewReader("x"), dir, "g", nil); !errors.Is(err, koji.ErrNotLoggedIn) {
		t.Errorf("anonymous upload = %v", err)
	}
	ev := must[*koji.Event](t)(admin.GetLastEvent(ctx))
	if ev.ID == 0 {
		t.Errorf("GetLastEvent = %+v", ev)
	}

	// Faults, each with its class.
	user := h.client(t, h.URL, h.User, h.UserPassword)
	for _, tt := range []struct {
		name string
		err  error
		want error
	}{
		{"anonymous write", func() error { _, err := anon.CreateTag(ctx, unique("x"), nil); return err }(), koji.ErrActionNotAllowed},
		{"write without permission", func() error { _, err := user.CreateTag(ctx, unique("x"), nil); return err }(), koji.ErrActionNotAllowed},
		{"unparsable NVR", func() error { _, err := admin.GetBuild(ctx, koji.Name("nope")); return err }(), koji.ErrGeneric},
		{"missing tag", func() error { _, err := admin.GetTag(ctx, koji.Name(unique("none")), nil); return err }(), koji.ErrNotFound},
		{"unknown method", admin.Call(ctx, "noSuchMethod", nil), koji.ErrGeneric},
		{"unknown kwarg", admin.Call(ctx, "getTag", nil, "x", koji.Kwargs{"bogus": 1}), koji.ErrParameter},
	} {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, tt.err, tt.want)
		}
	}

	// A multicall: results and faults per call, one request.
	tag := unique("mc")
	tagID := must[int64](t)(admin.CreateTag(ctx, tag, nil))
	mc := admin.NewMulticall()
	f1 := mc.GetTag(koji.Name(tag), nil)
	f2 := mc.GetTag(koji.Name(unique("none")), nil)
	f3 := mc.Call("createTag", tag)
	f4 := mc.GetBuild(koji.Name("nope"))
	check(t, mc.Do(ctx, nil))
	if got, err := f1.Result(); err != nil || got.ID != tagID {
		t.Errorf("multicall getTag = %+v, %v", got, err)
	}
	if _, err := f2.Result(); !errors.Is(err, koji.ErrNotFound) {
		t.Errorf("multicall missing tag = %v", err)
	}
	if _, err := f3.Result(); !errors.Is(err, koji.ErrGeneric) {
		t.Errorf("multicall duplicate createTag = %v", err)
	}
	if _, err := f4.Result(); !errors.Is(err, koji.ErrGeneric) {
		t.Errorf("multicall bad NVR = %v", err)
	}

	// Logout ends the session.
	other := h.admin(t)
	check(t, other.Logout(ctx))
	if err := other.Logout(ctx); !errors.Is(err, koji.ErrNotLoggedIn) {
		t.Errorf("second Logout = %v", err)
	}
}

// TestRealHubTags covers tags, inheritance (defect 3: reverse), targets,
// groups, package lists and history.
func TestRealHubTags(t *testing.T) {
	t.Parallel()
	h := needRealHub(t)
	ctx := t.Context()
	c := h.admin(t)
	p := unique("tags")
	base := must[int64](t)(c.CreateTag(ctx, p+"-base", &koji.CreateTagOptions{Arches: []string{"x86_64", "aarch64"},
		Extra: map[string]any{"mock.package_manager": "dnf"}}))
	mid := must[int64](t)(c.CreateTag(ctx, p+"-mid", &koji.CreateTagOptions{Parent: p + "-base"}))
	other := must[int64](t)(c.CreateTag(ctx, p+"-other", &koji.CreateTagOptions{Perm: "admin", Locked: false}))
	child := must[int64](t)(c.CreateTag(ctx, p+"-child", nil))

	tg := must[*koji.Tag](t)(c.GetTag(ctx, koji.ID(base), nil))
	if tg.Name != p+"-base" || !cmp.Equal(tg.ArchList(), []string{"x86_64", "aarch64"}) || tg.Extra["mock.package_manager"] != "dnf" {
		t.Errorf("GetTag = %+v", tg)
	}
	if o := must[*koji.Tag](t)(c.GetTag(ctx, koji.ID(other), nil)); o.Perm != "admin" || o.PermID == nil {
		t.Errorf("tag perm = %+v", o)
	}
	newName := p + "-base2"
	check(t, c.EditTag(ctx, koji.ID(base), &koji.EditTagOptions{Name: &newName, Arches: []string{"x86_64"},
		Extra: map[string]any{"rpm.macro.dist": ".m1"}, RemoveExtra: []string{"mock.package_manager"}}))
	tg = must[*koji.Tag](t)(c.GetTag(ctx, koji.ID(base), nil))
	if tg.Name != newName || tg.Arches != "x86_64" || tg.Extra["rpm.macro.dist"] != ".m1" || tg.Extra["mock.package_manager"] != nil {
		t.Errorf("after EditTag = %+v", tg)
	}
	listed := must[[]koji.Tag](t)(c.ListTags(ctx, &koji.ListTagsOptions{Pattern: p + "-*"}))
	if len(listed) != 4 {
		t.Errorf("ListTags(%s-*) = %d tags", p, len(listed))
	}

	// Inheritance: child -> mid (maxdepth 2) and other (filtered); mid -> base.
	two := 2
	check(t, c.SetInheritanceData(ctx, koji.ID(child), []koji.InheritanceLink{
		{ParentID: mid, Priority: 10, MaxDepth: &two},
		{ParentID: other, Priority: 20, PkgFilter: "^foo", NoConfig: true},
	}, nil))
	links := must[[]koji.InheritanceLink](t)(c.GetInheritanceData(ctx, koji.ID(child), nil))
	want := []koji.InheritanceLink{
		{ChildID: child, ParentID: mid, Name: p + "-mid", Priority: 10, MaxDepth: &two},
		{ChildID: child, ParentID: other, Name: p + "-other", Priority: 20, PkgFilter: "^foo", NoConfig: true},
	}
	if diff := cmp.Diff(want, links); diff != "" {
		t.Errorf("GetInheritanceData (-want +got):\n%s", diff)
	}
	full := must[[]koji.FullInheritanceLink](t)(c.GetFullInheritance(ctx, koji.ID(child), nil))
	type entry struct {
		Child, Parent, Tag int64
		Name               string
		Depth              int
		Next               *int
		Filter             []string
	}
	var got []entry
	for _, l := range full {
		got = append(got, entry{l.ChildID, l.ParentID, l.TagID, l.Name, l.CurrDepth, l.NextDepth, l.Filter})
	}
	one := 1
	wantFull := []entry{{child, mid, 0, p + "-mid", 1, &two, []string{}}, {mid, base, 0, newName, 2, &one, []string{}},
		{child, other, 0, p + "-other", 1, nil, []string{"^foo"}}}
	if diff := cmp.Diff(wantFull, got); diff != "" {
		t.Errorf("GetFullInheritance (-want +got):\n%s", diff)
	}
	rev := must[[]koji.FullInheritanceLink](t)(c.GetFullInheritance(ctx, koji.ID(base), &koji.FullInheritanceOptions{Reverse: true}))
	got = nil
	for _, l := range rev {
		got = append(got, entry{l.ChildID, l.ParentID, l.TagID, l.Name, l.CurrDepth, l.NextDepth, l.Filter})
	}
	wantRev := []entry{{0, base, mid, p + "-mid", 1, nil, []string{}}, {0, mid, child, p + "-child", 2, nil, []string{}}}
	if diff := cmp.Diff(wantRev, got); diff != "" {
		t.Errorf("reverse GetFullInheritance: the descendants (-want +got):\n%s", diff)
	}
	check(t, c.SetInheritanceData(ctx, koji.ID(child), []koji.InheritanceLink{{ParentID: other, Delete: true}}, nil))
	if l := must[[]koji.InheritanceLink](t)(c.GetInheritanceData(ctx, koji.ID(child), nil)); len(l) != 1 || l[0].ParentID != mid {
		t.Errorf("after deleting a link: %+v", l)
	}
	if err := c.SetInheritanceData(ctx, koji.ID(child), []koji.InheritanceLink{{ParentID: base, Priority: 10}}, nil); !errors.Is(err, koji.ErrGeneric) {
		t.Errorf("duplicate priority = %v, want GenericError", err)
	}

	// Targets.
	target := p + "-target"
	check(t, c.CreateTarget(ctx, target, koji.ID(child), koji.ID(other)))
	tgt := must[*koji.Target](t)(c.GetTarget(ctx, koji.Name(target), nil))
	if tgt.BuildTagName != p+"-child" || tgt.DestTagName != p+"-other" {
		t.Errorf("GetTarget = %+v", tgt)
	}
	if ts := must[[]koji.Target](t)(c.ListTargets(ctx, &koji.ListTargetsOptions{DestTag: koji.ID(other)})); len(ts) != 1 || ts[0].ID != tgt.ID {
		t.Errorf("ListTargets = %+v", ts)
	}
	check(t, c.EditTarget(ctx, koji.ID(tgt.ID), target+"-2", koji.ID(mid), koji.ID(other)))
	if e := must[*koji.Target](t)(c.GetTarget(ctx, koji.ID(tgt.ID), nil)); e.Name != target+"-2" || e.BuildTag != mid {
		t.Errorf("after EditTarget = %+v", e)
	}
	check(t, c.DeleteTarget(ctx, koji.ID(tgt.ID)))
	if _, err := c.GetTarget(ctx, koji.ID(tgt.ID), nil); !errors.Is(err, koji.ErrNotFound) {
		t.Errorf("deleted target = %v", err)
	}

	// Groups.
	check(t, c.AddGroup(ctx, koji.ID(base), "build", &koji.GroupOptions{Description: "buildroot", DisplayName: "Build"}))
	check(t, c.AddGroupPackage(ctx, koji.ID(base), "build", "bash", nil))
	check(t, c.AddGroupPackage(ctx, koji.ID(base), "build", "module-build-macros", &koji.GroupPackageOptions{Type: "default"}))
	check(t, c.AddGroup(ctx, koji.ID(base), "srpm-build", nil))
	if err := c.AddGroupPackage(ctx, koji.ID(base), "nosuch", "x", nil); !errors.Is(err, koji.ErrGeneric) {
		t.Errorf("package of a missing group = %v", err)
	}
	groups := must[[]koji.Group](t)(c.ListGroups(ctx, koji.ID(child), nil)) // inherited through mid
	var gnames []string
	for _, g := range groups {
		gnames = append(gnames, g.Name)
		if g.Name == "build" {
			var pk []string
			for _, p := range g.Packages {
				pk = append(pk, p.Package+":"+p.Type)
			}
			slices.Sort(pk)
			if !cmp.Equal(pk, []string{"bash:mandatory", "module-build-macros:default"}) || g.DisplayName != "Build" {
				t.Errorf("group build = %+v", g)
			}
		}
	}
	slices.Sort(gnames)
	if !cmp.Equal(gnames, []string{"build", "srpm-build"}) {
		t.Errorf("inherited groups = %v", gnames)
	}
	if own := must[[]koji.Group](t)(c.ListGroups(ctx, koji.ID(child), &koji.ListGroupsOptions{NoInherit: true})); len(own) != 0 {
		t.Errorf("child's own groups = %+v", own)
	}
	check(t, c.RemoveGroup(ctx, koji.ID(base), "srpm-build"))
	if gs := must[[]koji.Group](t)(c.ListGroups(ctx, koji.ID(base), nil)); len(gs) != 1 {
		t.Errorf("after RemoveGroup: %d groups", len(gs))
	}

	// Package lists.
	pkg := unique("pkg")
	if err := c.AddPackage(ctx, koji.ID(base), pkg, nil); !errors.Is(err, koji.ErrGeneric) {
		t.Errorf("AddPackage without owner = %v", err)
	}
	check(t, c.AddPackage(ctx, koji.ID(base), pkg, &koji.AddPackageOptions{Owner: h.Admin}))
	if ps := must[[]koji.PackageEntry](t)(c.ListPackages(ctx, &koji.ListPackagesOptions{Tag: koji.ID(child), Inherited: true})); len(ps) != 1 || ps[0].PackageName != pkg || ps[0].TagID != base || ps[0].OwnerName != h.Admin {
		t.Errorf("inherited packages = %+v", ps)
	}
	check(t, c.RemovePackage(ctx, koji.ID(base), pkg))
	if ps := must[[]koji.PackageEntry](t)(c.ListPackages(ctx, &koji.ListPackagesOptions{Tag: koji.ID(base)})); len(ps) != 0 {
		t.Errorf("after RemovePackage = %+v", ps)
	}

	// History and events.
	hist := must[map[string][]koji.HistoryEntry](t)(c.QueryHistory(ctx, &koji.QueryHistoryOptions{Tag: koji.ID(child), Tables: []string{"tag_inheritance"}}))
	if rows := hist["tag_inheritance"]; len(rows) != 2 {
		t.Errorf("tag_inheritance history of child: %d rows, want 2 (one revoked)", len(rows))
	} else {
		active := 0
		for _, r := range rows {
			if r.Active {
				active++
			} else if r.RevokeEvent == nil || r.RevokerName != h.Admin {
				t.Errorf("revoked row = %+v", r)
			}
		}
		if active != 1 {
			t.Errorf("%d active rows, want 1", active)
		}
	}
	if ev := must[int64](t)(c.TagLastChangeEvent(ctx, koji.ID(child))); ev == 0 {
		t.Error("TagLastChangeEvent = 0")
	}

	// Deleting a tag; the name can be reused.
	check(t, c.DeleteTag(ctx, koji.ID(child)))
	if _, err := c.GetTag(ctx, koji.ID(child), nil); !errors.Is(err, koji.ErrNotFound) {
		t.Errorf("deleted tag = %v", err)
	}
	must[int64](t)(c.CreateTag(ctx, p+"-child", nil))
}

// TestRealHubBuilds covers builds imported through the content-generator
// API (defect 4: no build extra given), RPMs, tagging (bypass and real
// tagBuild tasks run by kojid), tasks, repos, uploads and the module import
// (defect 5), all read back from the hub.
func TestRealHubBuilds(t *testing.T) {
	t.Parallel()
	h := needRealHub(t)
	ctx := t.Context()
	c := h.admin(t)
	p := unique("mod")
	const cg = "module-build-service"
	buildTag := p + "-build"
	must[int64](t)(c.CreateTag(ctx, buildTag, &koji.CreateTagOptions{Arches: []string{"x86_64"}, Extra: map[string]any{"repo.include_all": true}}))
	must[int64](t)(c.CreateTag(ctx, p, nil))
	check(t, c.CreateTarget(ctx, p, koji.Name(buildTag), koji.Name(p)))
	check(t, c.AddGroup(ctx, koji.Name(buildTag), "build", nil))
	check(t, c.AddGroupPackage(ctx, koji.Name(buildTag), "build", "bash", nil))

	set := buildRPMs(t, unique("comp"), "1.0", "1.module_"+strings.ReplaceAll(p, "-", "_"), "x86_64")
	for _, tag := range []string{buildTag, p} {
		check(t, c.AddPackage(ctx, koji.Name(tag), set.Name, &koji.AddPackageOptions{Owner: h.Admin}))
	}
	b := importRPMBuild(t, c, cg, set)
	nvr := set.Name + "-" + set.Version + "-" + set.Release
	if b.NVR != nvr || b.State != koji.BuildComplete || b.CGName != cg || b.TaskID != nil {
		t.Errorf("imported build = %+v", b)
	}
	got := must[*koji.Build](t)(c.GetBuild(ctx, koji.Name(nvr)))
	if got.ID != b.ID || got.OwnerName != h.Admin || got.Source == "" || got.StartTime.IsZero() || got.CompletionTime.IsZero() {
		t.Errorf("GetBuild = %+v", got)
	}
	if bt := must[map[string]any](t)(c.GetBuildType(ctx, koji.ID(b.ID))); len(bt) != 1 || bt["rpm"] != nil {
		if _, ok := bt["rpm"]; !ok {
			t.Errorf("GetBuildType = %v, want rpm", bt)
		}
	}
	if bs := must[[]koji.Build](t)(c.ListBuilds(ctx, &koji.ListBuildsOptions{Package: koji.Name(set.Name)})); len(bs) != 1 || bs[0].ID != b.ID {
		t.Errorf("ListBuilds = %v", nvrs(bs))
	}
	if r := must[string](t)(c.GetNextRelease(ctx, set.Name, set.Version)); r == "" {
		t.Errorf("GetNextRelease = %q", r)
	}
	rpms := must[[]koji.RPM](t)(c.ListRPMs(ctx, &koji.ListRPMsOptions{BuildID: b.ID}))
	var nevras []string
	for _, r := range rpms {
		nevras = append(nevras, r.NEVRA())
		if r.PayloadHash == "" || r.Size == 0 || r.BuildTime.IsZero() {
			t.Errorf("rpm %+v", r)
		}
	}
	slices.Sort(nevras)
	if !cmp.Equal(nevras, []string{nvr + ".src", nvr + ".x86_64"}) {
		t.Errorf("ListRPMs = %v", nevras)
	}
	if r := must[*koji.RPM](t)(c.GetRPM(ctx, koji.Name(nvr+".x86_64"))); r.BuildID != b.ID {
		t.Errorf("GetRPM = %+v", r)
	}
	if _, err := c.GetRPM(ctx, koji.Name(nvr+".ppc64le")); !errors.Is(err, koji.ErrNotFound) {
		t.Errorf("GetRPM(missing) = %v", err)
	}

	// Tagging without a task, and untagging.
	check(t, c.TagBuildBypass(ctx, koji.Name(p), koji.ID(b.ID), false))
	if tb := must[[]koji.Build](t)(c.ListTagged(ctx, koji.Name(p), nil)); len(tb) != 1 || tb[0].TagName != p || tb[0].TagEvent == 0 {
		t.Errorf("ListTagged after bypass = %+v", tb)
	}
	check(t, c.UntagBuildBypass(ctx, koji.Name(p), koji.ID(b.ID), nil))
	if err := c.UntagBuild(ctx, koji.Name(p), koji.ID(b.ID), nil); !errors.Is(err, koji.ErrGeneric) && !errors.Is(err, koji.ErrTag) {
		t.Errorf("untag of an untagged build = %v", err)
	}
	check(t, c.UntagBuild(ctx, koji.Name(p), koji.ID(b.ID), &koji.UntagBuildOptions{NonStrict: true}))

	// Module import with a reservation (defect 5: modulemd.txt and
	// modulemd.src.txt carry every RPM).
	var all, x86 []koji.CGComponent
	for _, r := range rpms {
		all = append(all, koji.RPMComponent(r))
		if r.Arch == "x86_64" {
			x86 = append(x86, koji.RPMComponent(r))
		}
	}
	mi := &koji.ModuleImport{
		Name: p, Stream: "1-a", Version: 20260101, Context: "abcd1234",
		ModuleBuildServiceID: 7, ContentKojiTag: p, SCMURL: "https://src.example.org/modules/m.git?#0123",
		Owner: h.Admin, Start: time.Now().Add(-time.Hour), End: time.Now(),
		Modulemd:       "---\ndocument: modulemd\nversion: 2\ndata:\n  name: " + p + "\n",
		SourceModulemd: "---\ndocument: modulemd\nversion: 2\ndata:\n  summary: source\n",
		ArchModulemd:   map[string]string{"x86_64": "---\ndocument: modulemd\nversion: 2\ndata:\n  arch: x86_64\n"},
		ArchRPMs:       map[string][]koji.CGComponent{"x86_64": x86}, RPMs: all,
		BuildLog: "log\n", CGVersion: "3.9.2", HostOS: "Debian 12", Tools: []koji.CGTool{{Name: "modkit", Version: "0"}},
	}
	res := must[*koji.CGReservation](t)(c.CGInitBuild(ctx, cg, mi.NVR()))
	if r := must[*koji.Build](t)(c.GetBuild(ctx, koji.ID(res.BuildID))); r.State != koji.BuildBuilding {
		t.Errorf("reserved build = %+v", r)
	}
	mb := must[*koji.Build](t)(c.ImportModuleBuild(ctx, mi, unique("mbs/modkit"), res))
	if mb.ID != res.BuildID || mb.State != koji.BuildComplete || mb.NVR != p+"-1_a-20260101.abcd1234" {
		t.Errorf("module build = %+v", mb)
	}
	info := must[*koji.Build](t)(c.GetBuild(ctx, koji.ID(mb.ID))).ModuleInfo()
	if info == nil || info.ContentKojiTag != p || info.Stream != "1-a" || info.Version != "20260101" || info.ModulemdStr != mi.Modulemd {
		t.Errorf("module typeinfo = %+v", info)
	}
	archives := must[[]koji.Archive](t)(c.ListArchives(ctx, &koji.ListArchivesOptions{BuildID: mb.ID, Type: "module"}))
	comps := map[string][]string{}
	for _, a := range archives {
		var n []string
		for _, r := range must[[]koji.RPM](t)(c.ListRPMs(ctx, &koji.ListRPMsOptions{ImageID: a.ID})) {
			n = append(n, r.NEVRA())
		}
		slices.Sort(n)
		comps[a.Filename] = n
		if a.BType != "module" || a.TypeName != "txt" || a.ChecksumType != 0 {
			t.Errorf("archive %+v", a)
		}
	}
	wantComps := map[string][]string{"modulemd.txt": nevras, "modulemd.src.txt": nevras, "modulemd.x86_64.txt": {nvr + ".x86_64"}}
	if diff := cmp.Diff(wantComps, comps); diff != "" {
		t.Errorf("module archives and their RPM components (-want +got):\n%s", diff)
	}
	// The hub ignores typeInfo for module builds: filter on extra.
	found := 0
	for _, lb := range must[[]koji.Build](t)(c.ListBuilds(ctx, &koji.ListBuildsOptions{Type: "module"})) {
		if mi := lb.ModuleInfo(); mi != nil && mi.ContentKojiTag == p {
			found++
		}
	}
	if found != 1 {
		t.Errorf("ListBuilds(type module): %d builds of %s, want 1", found, p)
	}
	if _, err := c.ImportModuleBuild(ctx, mi, unique("mbs/modkit"), nil); !errors.Is(err, koji.ErrGeneric) {
		t.Errorf("second import = %v, want GenericError", err)
	}
	mi2 := *mi
	mi2.Context = "ffff0000"
	res2 := must[*koji.CGReservation](t)(c.CGInitBuild(ctx, cg, mi2.NVR()))
	check(t, c.CGRefundBuild(ctx, cg, res2.BuildID, res2.Token, koji.BuildFailed))
	if r := must[*koji.Build](t)(c.GetBuild(ctx, koji.ID(res2.BuildID))); r.State != koji.BuildFailed {
		t.Errorf("refunded build = %+v", r)
	}

	// The hub requires build.extra: without it, a Python exception.
	err := c.Call(ctx, "CGImport", nil, map[string]any{"metadata_version": 0,
		"build": map[string]any{"name": "x", "version": "1", "release": "1", "source": "s", "start_time": 1, "end_time": 2},
		"buildroots": []any{map[string]any{"id": 1, "host": map[string]any{"os": "x", "arch": "x86_64"},
			"content_generator": map[string]any{"name": cg, "version": "1"},
			"container":         map[string]any{"type": "none", "arch": "x86_64"}, "tools": []any{}, "components": []any{}}},
		"output": []any{}}, "nowhere")
	if faultCode(err) != 1 {
		t.Errorf("CGImport without build.extra = %v, want fault 1", err)
	}

	t.Run("tasks", func(t *testing.T) {
		h.needBuilder(t, c)
		wctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
		defer cancel()
		// tagBuild runs as a task on kojid.
		tid := must[int64](t)(c.TagBuild(wctx, koji.Name(buildTag), koji.ID(b.ID), nil))
		task := must[*koji.Task](t)(c.WaitTask(wctx, tid, nil))
		if task.Method != "tagBuild" || task.State != koji.TaskClosed || task.HostID == nil {
			t.Errorf("tagBuild task = %+v", task)
		}
		if tb := must[[]koji.Build](t)(c.ListTagged(ctx, koji.Name(buildTag), nil)); len(tb) != 1 || tb[0].ID != b.ID {
			t.Errorf("ListTagged after tagBuild = %v", nvrs(tb))
		}
		if lb := must[[]koji.Build](t)(c.GetLatestBuilds(ctx, koji.Name(buildTag), nil)); len(lb) != 1 || lb[0].ID != b.ID {
			t.Errorf("GetLatestBuilds = %v", nvrs(lb))
		}
		trpms, tbuilds := must2(t)(c.ListTaggedRPMs(ctx, koji.Name(buildTag), &koji.ListTaggedRPMsOptions{Arches: []string{"x86_64"}}))
		if len(trpms) != 1 || trpms[0].NEVRA() != nvr+".x86_64" || len(tbuilds) != 1 {
			t.Errorf("ListTaggedRPMs = %+v, %v", trpms, nvrs(tbuilds))
		}
		if tags := must[[]koji.Tag](t)(c.ListTags(ctx, &koji.ListTagsOptions{Build: koji.ID(b.ID)})); len(tags) != 1 || tags[0].Name != buildTag {
			t.Errorf("ListTags(build) = %+v", tags)
		}
		mc := c.NewMulticall()
		fTask, fTagged := mc.GetTaskInfo(tid), mc.ListTagged(koji.Name(buildTag), nil)
		check(t, mc.Do(ctx, nil))
		if ti, err := fTask.Result(); err != nil || ti.State != koji.TaskClosed {
			t.Errorf("multicall getTaskInfo = %+v, %v", ti, err)
		}
		if tb, err := fTagged.Result(); err != nil || len(tb) != 1 {
			t.Errorf("multicall listTagged = %v, %v", nvrs(tb), err)
		}

		// newRepo runs createrepo on kojid; WaitRepo sees the repo.
		rid := must[int64](t)(c.NewRepo(wctx, koji.Name(buildTag), nil))
		repoTask := must[*koji.Task](t)(c.WaitTask(wctx, rid, nil))
		if repoTask.Method != "newRepo" {
			t.Errorf("newRepo task = %+v", repoTask)
		}
		kids := must[[]koji.Task](t)(c.GetTaskChildren(ctx, rid, nil))
		if len(kids) == 0 || kids[0].Method != "createrepo" {
			t.Errorf("newRepo children = %+v", kids)
		}
		repo := must[*koji.Repo](t)(c.WaitRepo(wctx, koji.Name(buildTag), &koji.WaitRepoOptions{Builds: []string{nvr}}))
		if repo.State != koji.RepoReady || repo.TagName != buildTag || repo.TaskID == nil || *repo.TaskID != rid {
			t.Errorf("WaitRepo = %+v", repo)
		}
		if r := must[*koji.Repo](t)(c.GetRepo(ctx, koji.Name(buildTag), nil)); r.ID != repo.ID {
			t.Errorf("GetRepo = %+v, want repo %d", r, repo.ID)
		}
		// The repo holds the tagged RPM.
		repodata := fmt.Sprintf("%s/repos/%s/%d/x86_64/pkglist", h.TopDir, buildTag, repo.ID)
		if h.TopDir != "" {
			if b, err := readFile(repodata); err != nil || !strings.Contains(b, set.Name) {
				t.Errorf("repo pkglist %s: %q, %v", repodata, b, err)
			}
		}

		// A build task fails on this builder (no mock); its fault is read
		// back. Another is cancelled.
		bid := must[int64](t)(c.Build(wctx, "git+https://src.example.org/rpms/"+set.Name+".git#0123", p,
			&koji.BuildOptions{SkipTag: true, Extra: map[string]any{"mbs_artifact_name": set.Name, "mbs_module_target": p}}))
		bt, err := c.WaitTask(wctx, bid, nil)
		var te *koji.TaskError
		if !errors.As(err, &te) || bt.State != koji.TaskFailed || te.Fault == nil {
			t.Errorf("build task = %+v, %v; want FAILED with a fault", bt, err)
		}
		if _, err := c.GetTaskResult(ctx, bid); err == nil {
			t.Error("GetTaskResult of a failed task: no fault")
		}
		ti := must[*koji.Task](t)(c.GetTaskInfo(ctx, bid, &koji.GetTaskOptions{Request: true}))
		if len(ti.Request) < 3 || ti.Request[1] != p {
			t.Errorf("build task request = %#v", ti.Request)
		}
	})

	t.Run("cancel", func(t *testing.T) {
		// Without a builder the task stays FREE until cancelled; with one
		// kojid may fail it first (no mock), which WaitTask reports too.
		wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		cid := must[int64](t)(c.Build(wctx, "git+https://src.example.org/rpms/x.git#1", p,
			&koji.BuildOptions{SkipTag: true, Extra: map[string]any{"mbs_artifact_name": "x"}}))
		ti := must[*koji.Task](t)(c.GetTaskInfo(ctx, cid, &koji.GetTaskOptions{Request: true}))
		if ti.Method != "build" || len(ti.Request) < 3 || ti.Request[1] != p {
			t.Errorf("build task = %+v", ti)
		}
		if opts, _ := ti.Request[2].(map[string]any); opts["skip_tag"] != true || opts["mbs_artifact_name"] != "x" {
			t.Errorf("build opts = %#v", ti.Request[2])
		}
		cerr := c.CancelTask(ctx, cid, false)
		ct, err := c.WaitTask(wctx, cid, nil)
		var te *koji.TaskError
		switch {
		case ct == nil || !errors.As(err, &te):
			t.Fatalf("WaitTask = %+v, %v; want a TaskError", ct, err)
		case ct.State == koji.TaskCanceled:
			check(t, cerr)
			if _, err := c.GetTaskResult(ctx, cid); !errors.Is(err, koji.ErrGeneric) {
				t.Errorf("GetTaskResult of a cancelled task = %v", err)
			}
		case ct.State == koji.TaskFailed && h.Builder != "":
			t.Logf("kojid failed the task before the cancel (%v)", cerr)
		default:
			t.Errorf("task after cancel = %+v", ct)
		}
	})
}

// TestRealHubMulticallEach checks that the real hub's answers (pretty
// printed, with <nil/> members) decode straight into narrow rows exactly
// as through the value tree, and that a fault in a batch is reported.
func TestRealHubMulticallEach(t *testing.T) {
	t.Parallel()
	h := needRealHub(t)
	ctx := t.Context()
	admin := h.admin(t)
	var names []string
	for range 3 {
		name := unique("mce")
		must[int64](t)(admin.CreateTag(ctx, name, nil))
		names = append(names, name)
	}
	type row struct {
		ID     int64          `xmlrpc:"id"`
		Name   string         `xmlrpc:"name"`
		Perm   any            `xmlrpc:"perm"` // nil here
		Locked bool           `xmlrpc:"locked"`
		Arches any            `xmlrpc:"arches"`
		Extra  map[string]any `xmlrpc:"extra"`
	}
	args := [][]any{{names[0]}, {names[1]}, {names[2]}}
	direct := make([]row, len(args))
	check(t, koji.MulticallEach(ctx, admin, "getTag", args, direct, &koji.MulticallOptions{BatchSize: 2}))
	mc := admin.NewMulticall()
	var futs []*koji.Future[any]
	for _, a := range args {
		futs = append(futs, mc.Call("getTag", a...))
	}
	check(t, mc.Do(ctx, nil))
	for i, f := range futs {
		var viaTree row
		check(t, koji.DecodeValue(must[any](t)(f.Result()), &viaTree))
		if diff := cmp.Diff(viaTree, direct[i]); diff != "" {
			t.Errorf("getTag %s: direct decoding differs (-tree +direct):\n%s", names[i], diff)
		}
		if direct[i].Name != names[i] || direct[i].ID == 0 || direct[i].Perm != nil {
			t.Errorf("row %+v", direct[i])
		}
	}
	var f *koji.Fault
	bad := [][]any{{names[0]}, {names[1], koji.Kwargs{"bogus": true}}}
	if err := koji.MulticallEach(ctx, admin, "getTag", bad, make([]row, 2), nil); !errors.As(err, &f) {
		t.Errorf("fault in a batch = %v", err)
	}
}
