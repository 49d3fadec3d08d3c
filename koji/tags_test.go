package koji_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/modkit/modkit/koji"
)

func TestTags(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	ctx := t.Context()
	platform := must[int64](t)(c.CreateTag(ctx, "platform-f42", &koji.CreateTagOptions{Arches: []string{"x86_64", "aarch64"}}))
	id := must[int64](t)(c.CreateTag(ctx, "module-foo-build", &koji.CreateTagOptions{
		Parent: "platform-f42", Perm: "admin", Extra: map[string]any{"mock.package_manager": "dnf", "repo_include_all": true}}))

	tag := must[*koji.Tag](t)(c.GetTag(ctx, koji.ID(id), nil))
	want := &koji.Tag{ID: id, Name: "module-foo-build", Perm: "admin", Extra: map[string]any{"mock.package_manager": "dnf", "repo_include_all": true}}
	if diff := cmp.Diff(want, tag, cmpopts.IgnoreFields(koji.Tag{}, "PermID")); diff != "" {
		t.Errorf("GetTag mismatch (-want +got):\n%s", diff)
	}
	if tag.PermID == nil {
		t.Error("PermID is nil for a tag with a permission")
	}

	newName := "module-foo-1-build"
	check(t, c.EditTag(ctx, koji.Name("module-foo-build"), &koji.EditTagOptions{Name: &newName, Arches: []string{"x86_64"},
		Extra: map[string]any{"mock.new_chroot": 0}, RemoveExtra: []string{"repo_include_all"}, Perm: new(string)}))
	tag = must[*koji.Tag](t)(c.GetTag(ctx, koji.Name(newName), nil))
	if diff := cmp.Diff([]string{"x86_64"}, tag.ArchList()); diff != "" {
		t.Errorf("arches (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"mock.package_manager": "dnf", "mock.new_chroot": int64(0)}, tag.Extra); diff != "" {
		t.Errorf("extra (-want +got):\n%s", diff)
	}
	if tag.Perm != "" || tag.PermID != nil {
		t.Errorf("perm = %q/%v, want cleared", tag.Perm, tag.PermID)
	}

	if _, err := c.GetTag(ctx, koji.Name("nope"), nil); !errors.Is(err, koji.ErrNotFound) {
		t.Errorf("GetTag(missing) = %v, want ErrNotFound", err)
	}
	if _, err := c.CreateTag(ctx, "platform-f42", nil); !errors.Is(err, koji.ErrGeneric) {
		t.Errorf("CreateTag(duplicate) = %v, want GenericError", err)
	}
	if _, err := c.CreateTag(ctx, "bad name!", nil); !errors.Is(err, koji.ErrGeneric) {
		t.Errorf("CreateTag(bad name) = %v, want GenericError", err)
	}

	tags := must[[]koji.Tag](t)(c.ListTags(ctx, &koji.ListTagsOptions{Pattern: "platform-*"}))
	if len(tags) != 1 || tags[0].ID != platform {
		t.Errorf("ListTags(platform-*) = %+v", tags)
	}

	check(t, c.DeleteTag(ctx, koji.ID(platform)))
	if _, err := c.GetTag(ctx, koji.ID(platform), nil); !errors.Is(err, koji.ErrNotFound) {
		t.Errorf("GetTag(deleted) = %v, want ErrNotFound", err)
	}
	if links := must[[]koji.InheritanceLink](t)(c.GetInheritanceData(ctx, koji.ID(id), nil)); len(links) != 0 {
		t.Errorf("links after parent deletion = %+v", links)
	}
}

func TestInheritance(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	ctx := t.Context()
	base := must[int64](t)(c.CreateTag(ctx, "base", nil))
	mid := must[int64](t)(c.CreateTag(ctx, "mid", nil))
	other := must[int64](t)(c.CreateTag(ctx, "other", nil))
	child := must[int64](t)(c.CreateTag(ctx, "child", nil))
	two := 2
	check(t, c.SetInheritanceData(ctx, koji.Name("mid"), []koji.InheritanceLink{{ParentID: base, Priority: 0}}, nil))
	check(t, c.SetInheritanceData(ctx, koji.Name("child"), []koji.InheritanceLink{
		{ParentID: mid, Priority: 10, MaxDepth: &two},
		{ParentID: other, Priority: 20, PkgFilter: "^foo"},
	}, nil))

	links := must[[]koji.InheritanceLink](t)(c.GetInheritanceData(ctx, koji.ID(child), nil))
	want := []koji.InheritanceLink{
		{ChildID: child, ParentID: mid, Name: "mid", Priority: 10, MaxDepth: &two},
		{ChildID: child, ParentID: other, Name: "other", Priority: 20, PkgFilter: "^foo"},
	}
	if diff := cmp.Diff(want, links); diff != "" {
		t.Errorf("GetInheritanceData (-want +got):\n%s", diff)
	}

	full := must[[]koji.FullInheritanceLink](t)(c.GetFullInheritance(ctx, koji.ID(child), nil))
	var got []string
	for _, l := range full {
		got = append(got, l.Name)
	}
	if diff := cmp.Diff([]string{"mid", "base", "other"}, got); diff != "" {
		t.Errorf("full inheritance order (-want +got):\n%s", diff)
	}
	if full[1].CurrDepth != 2 {
		t.Errorf("base currdepth = %d, want 2", full[1].CurrDepth)
	}

	// Reverse: the descendants of base, each in TagID with its own name,
	// and the tag it inherits from in ParentID (the hub sends no child_id).
	rev := must[[]koji.FullInheritanceLink](t)(c.GetFullInheritance(ctx, koji.ID(base), &koji.FullInheritanceOptions{Reverse: true}))
	type desc struct {
		TagID, ParentID int64
		Name            string
		CurrDepth       int
	}
	var gotRev []desc
	for _, l := range rev {
		if l.ChildID != 0 || l.NextDepth != nil {
			t.Errorf("reverse link %+v: child_id/nextdepth set", l)
		}
		gotRev = append(gotRev, desc{l.TagID, l.ParentID, l.Name, l.CurrDepth})
	}
	if diff := cmp.Diff([]desc{{mid, base, "mid", 1}, {child, mid, "child", 2}}, gotRev); diff != "" {
		t.Errorf("reverse inheritance (-want +got):\n%s", diff)
	}
	for _, l := range full {
		if l.TagID != 0 {
			t.Errorf("ancestor link %s has TagID %d", l.Name, l.TagID)
		}
	}

	// Duplicate priority is refused and changes nothing.
	err := c.SetInheritanceData(ctx, koji.ID(child), []koji.InheritanceLink{{ParentID: base, Priority: 10}}, nil)
	if !errors.Is(err, koji.ErrGeneric) {
		t.Errorf("duplicate priority error = %v, want GenericError", err)
	}
	// Delete one link.
	check(t, c.SetInheritanceData(ctx, koji.ID(child), []koji.InheritanceLink{{ParentID: other, Delete: true}}, nil))
	if links := must[[]koji.InheritanceLink](t)(c.GetInheritanceData(ctx, koji.ID(child), nil)); len(links) != 1 || links[0].ParentID != mid {
		t.Errorf("after delete: %+v", links)
	}
	// Clear replaces everything.
	check(t, c.SetInheritanceData(ctx, koji.ID(child), []koji.InheritanceLink{{ParentID: other, Priority: 5}}, &koji.SetInheritanceOptions{Clear: true}))
	if links := must[[]koji.InheritanceLink](t)(c.GetInheritanceData(ctx, koji.ID(child), nil)); len(links) != 1 || links[0].ParentID != other {
		t.Errorf("after clear: %+v", links)
	}
}

func TestGroupsAndPackages(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	ctx := t.Context()
	must[int64](t)(c.CreateTag(ctx, "parent", nil))
	must[int64](t)(c.CreateTag(ctx, "build", &koji.CreateTagOptions{Parent: "parent"}))
	check(t, c.AddGroup(ctx, koji.Name("build"), "build", &koji.GroupOptions{DisplayName: "Build"}))
	check(t, c.AddGroupPackage(ctx, koji.Name("build"), "build", "bash", nil))
	check(t, c.AddGroupPackage(ctx, koji.Name("build"), "build", "rpm-build", &koji.GroupPackageOptions{Type: "default"}))
	if err := c.AddGroupPackage(ctx, koji.Name("build"), "nogroup", "bash", nil); !errors.Is(err, koji.ErrGeneric) {
		t.Errorf("AddGroupPackage(missing group) = %v, want GenericError", err)
	}
	groups := must[[]koji.Group](t)(c.ListGroups(ctx, koji.Name("build"), nil))
	if len(groups) != 1 || groups[0].DisplayName != "Build" {
		t.Fatalf("groups = %+v", groups)
	}
	var pkgs []string
	for _, p := range groups[0].Packages {
		pkgs = append(pkgs, p.Package+":"+p.Type)
	}
	if diff := cmp.Diff([]string{"bash:mandatory", "rpm-build:default"}, pkgs); diff != "" {
		t.Errorf("group packages (-want +got):\n%s", diff)
	}
	check(t, c.RemoveGroup(ctx, koji.Name("build"), "build"))
	if g := must[[]koji.Group](t)(c.ListGroups(ctx, koji.Name("build"), nil)); len(g) != 0 {
		t.Errorf("groups after removal = %+v", g)
	}

	if err := c.AddPackage(ctx, koji.Name("parent"), "foo", nil); !errors.Is(err, koji.ErrGeneric) {
		t.Errorf("AddPackage without owner = %v, want GenericError", err)
	}
	check(t, c.AddPackage(ctx, koji.Name("parent"), "foo", &koji.AddPackageOptions{Owner: "kojiadmin"}))
	own := must[[]koji.PackageEntry](t)(c.ListPackages(ctx, &koji.ListPackagesOptions{Tag: koji.Name("build")}))
	inh := must[[]koji.PackageEntry](t)(c.ListPackages(ctx, &koji.ListPackagesOptions{Tag: koji.Name("build"), Inherited: true}))
	if len(own) != 0 || len(inh) != 1 || inh[0].PackageName != "foo" || inh[0].TagName != "parent" || inh[0].OwnerName != "kojiadmin" {
		t.Errorf("ListPackages own=%+v inherited=%+v", own, inh)
	}
	check(t, c.RemovePackage(ctx, koji.Name("parent"), "foo"))
	if p := must[[]koji.PackageEntry](t)(c.ListPackages(ctx, &koji.ListPackagesOptions{Tag: koji.Name("parent")})); len(p) != 0 {
		t.Errorf("after RemovePackage: %+v", p)
	}
}

func TestTargets(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	ctx := t.Context()
	b := must[int64](t)(c.CreateTag(ctx, "b", nil))
	d := must[int64](t)(c.CreateTag(ctx, "d", nil))
	check(t, c.CreateTarget(ctx, "tgt", koji.Name("b"), koji.Name("d")))
	got := must[*koji.Target](t)(c.GetTarget(ctx, koji.Name("tgt"), nil))
	want := &koji.Target{ID: got.ID, Name: "tgt", BuildTag: b, BuildTagName: "b", DestTag: d, DestTagName: "d"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetTarget (-want +got):\n%s", diff)
	}
	if err := c.CreateTarget(ctx, "tgt", koji.Name("b"), koji.Name("d")); !errors.Is(err, koji.ErrGeneric) {
		t.Errorf("duplicate target = %v", err)
	}
	check(t, c.EditTarget(ctx, koji.Name("tgt"), "tgt2", koji.Name("d"), koji.Name("b")))
	list := must[[]koji.Target](t)(c.ListTargets(ctx, &koji.ListTargetsOptions{BuildTag: koji.Name("d")}))
	if len(list) != 1 || list[0].Name != "tgt2" {
		t.Errorf("ListTargets = %+v", list)
	}
	check(t, c.DeleteTarget(ctx, koji.Name("tgt2")))
	if _, err := c.GetTarget(ctx, koji.Name("tgt2"), nil); !errors.Is(err, koji.ErrNotFound) {
		t.Errorf("GetTarget(deleted) = %v", err)
	}
}

func TestTagPermissions(t *testing.T) {
	t.Parallel()
	hub, _ := setup(t)
	hub.AddUser("alice", "pw")
	hub.AddUser("tagger", "pw", "tag")
	ctx := t.Context()
	anon := newClient(t, hub, nil)
	if _, err := anon.CreateTag(ctx, "x", nil); !errors.Is(err, koji.ErrActionNotAllowed) {
		t.Errorf("anonymous CreateTag = %v, want ActionNotAllowed", err)
	}
	alice := newClient(t, hub, koji.PasswordAuth{User: "alice", Password: "pw"})
	check(t, alice.Login(ctx))
	if _, err := alice.CreateTag(ctx, "x", nil); !errors.Is(err, koji.ErrActionNotAllowed) {
		t.Errorf("CreateTag without perm = %v, want ActionNotAllowed", err)
	}
	tagger := newClient(t, hub, koji.PasswordAuth{User: "tagger", Password: "pw"})
	check(t, tagger.Login(ctx))
	if _, err := tagger.CreateTag(ctx, "x", nil); err != nil {
		t.Errorf("CreateTag with tag perm = %v", err)
	}
}
