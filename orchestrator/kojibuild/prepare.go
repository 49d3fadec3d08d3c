package kojibuild

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
)

// Prepare sets up the koji side of mb as MBS's buildroot_connect does: the
// module tag and its -build tag (created if missing, then edited to the
// module's arches, permission and extra options), the -build tag's
// inheritance from every buildrequired module's koji tag, its build and
// srpm-build groups, the package listings of both tags (and, in a new
// -build tag, the blocks of xmd.mbs_options.blocked_packages) and the
// target.
// Everything that already exists is kept, so Prepare can run again after
// a restart. It takes four multicalls.
func (b *Builder) Prepare(ctx context.Context, mb *orchestrator.ModuleBuild, st *modulemd.Stream) error {
	me, err := b.me(ctx, mb)
	if err != nil {
		return wrap(mb, "prepare", err)
	}
	n := NamesOf(mb)
	arches, err := b.arches(st)
	if err != nil {
		return wrap(mb, "prepare", err)
	}
	parents := parentTags(st)
	build, srpm, err := b.groupPackages(ctx, st)
	if err != nil {
		return wrap(mb, "prepare", err)
	}
	b.info(ctx, mb, 0, "Setting up koji tags %s and %s (arches %s) and target %s.", n.Tag, n.BuildTag, strings.Join(arches, " "), n.Target)

	// 1: what exists.
	m := b.multi(mb)
	fTag := m.call("getTag", n.Tag)
	fBuildTag := m.call("getTag", n.BuildTag)
	fTarget := m.call("getBuildTarget", n.Target)
	fParents := make([]*koji.Future[any], len(parents))
	for i, p := range parents {
		fParents[i] = m.call("getTag", p)
	}
	if err := m.do(ctx); err != nil {
		return wrap(mb, "prepare", err)
	}
	var tag, buildTag *koji.Tag
	var target *koji.Target
	for _, x := range []struct {
		f   *koji.Future[any]
		out any
	}{{fTag, &tag}, {fBuildTag, &buildTag}, {fTarget, &target}} {
		if err := result(x.f, x.out); err != nil {
			return wrap(mb, "prepare", err)
		}
	}
	parentIDs := make([]int64, len(parents))
	for i, f := range fParents {
		var t *koji.Tag
		if err := result(f, &t); err != nil {
			return wrap(mb, "prepare", err)
		}
		if t == nil {
			return wrap(mb, "prepare", fmt.Errorf("the koji tag %s of a buildrequired module does not exist", parents[i]))
		}
		parentIDs[i] = t.ID
	}
	for _, t := range []*koji.Tag{tag, buildTag} {
		if t != nil && t.Locked {
			return wrap(mb, "prepare", fmt.Errorf("koji tag %s is locked", t.Name))
		}
	}
	if target != nil && (target.BuildTagName != n.BuildTag || target.DestTagName != n.Tag) {
		return wrap(mb, "prepare", fmt.Errorf("koji target %s exists but builds in %s into %s, not in %s into %s",
			n.Target, target.BuildTagName, target.DestTagName, n.BuildTag, n.Tag))
	}

	// 2: create the missing tags.
	m = b.multi(mb)
	var fCreate [2]*koji.Future[any]
	if tag == nil {
		fCreate[0] = m.call("createTag", n.Tag)
	}
	if buildTag == nil {
		fCreate[1] = m.call("createTag", n.BuildTag)
	}
	if err := m.do(ctx); err != nil {
		return wrap(mb, "prepare", err)
	}
	ids := [2]int64{}
	if tag != nil {
		ids[0] = tag.ID
	}
	if buildTag != nil {
		ids[1] = buildTag.ID
	}
	for i, f := range fCreate {
		if f == nil {
			continue
		}
		if err := result(f, &ids[i]); err != nil {
			return wrap(mb, "create tag", err)
		}
	}

	// 3: edit both tags; read inheritance, groups and package listings.
	extra := b.tagExtra(st)
	m = b.multi(mb)
	edits := make([]*koji.Future[any], 2)
	for i, id := range ids {
		kw := koji.Kwargs{"arches": strings.Join(arches, " "), "extra": extra}
		if b.opts.Perm != "" {
			kw["perm"] = b.opts.Perm
		}
		edits[i] = m.call("editTag2", id, kw)
	}
	fInh := m.call("getInheritanceData", ids[1])
	fGroups := m.call("getTagGroups", ids[1], koji.Kwargs{"inherit": false})
	fPkgs := [2]*koji.Future[any]{m.call("listPackages", koji.Kwargs{"tagID": ids[0]}), m.call("listPackages", koji.Kwargs{"tagID": ids[1]})}
	if err := m.do(ctx); err != nil {
		return wrap(mb, "prepare", err)
	}
	for _, f := range edits {
		if err := result(f, nil); err != nil {
			return wrap(mb, "edit tag", err)
		}
	}
	var links []koji.InheritanceLink
	if err := result(fInh, &links); err != nil {
		return wrap(mb, "read inheritance", err)
	}
	var groups []koji.Group
	if err := result(fGroups, &groups); err != nil {
		return wrap(mb, "read groups", err)
	}
	var listed [2]map[string]bool
	for i, f := range fPkgs {
		var l []koji.PackageEntry
		if err := result(f, &l); err != nil {
			return wrap(mb, "list packages", err)
		}
		listed[i] = map[string]bool{}
		for _, p := range l {
			listed[i][p.PackageName] = true
		}
	}

	// 4: add what is missing.
	m = b.multi(mb)
	var fWrites []*koji.Future[any]
	if newLinks := inheritance(links, parents, parentIDs); len(newLinks) > 0 {
		fWrites = append(fWrites, m.call("setInheritanceData", ids[1], newLinks))
	}
	for _, g := range []struct {
		name string
		pkgs []string
	}{{"build", build}, {"srpm-build", srpm}} {
		have := map[string]bool{}
		found := false
		for _, gr := range groups {
			if gr.Name == g.name {
				found = true
				for _, p := range gr.Packages {
					have[p.Package] = true
				}
			}
		}
		if !found {
			fWrites = append(fWrites, m.call("groupListAdd", ids[1], g.name))
		}
		for _, p := range g.pkgs {
			if !have[p] {
				fWrites = append(fWrites, m.call("groupPackageListAdd", ids[1], g.name, p))
			}
		}
	}
	pkgs := packageNames(st)
	for i, id := range ids {
		names := pkgs
		if i == 1 {
			names = append(slices.Clone(pkgs), orchestrator.MacrosPackage)
		}
		for _, p := range names {
			if !listed[i][p] {
				fWrites = append(fWrites, m.call("packageListAdd", id, p, koji.Kwargs{"owner": me.Name}))
			}
		}
	}
	if fCreate[1] != nil {
		// xmd.mbs_options.blocked_packages are blocked in the new -build
		// tag, so they cannot enter the buildroot by inheritance.
		blocked, _ := st.XMD.Get("mbs_options", "blocked_packages").([]any)
		for _, v := range blocked {
			if p, ok := v.(string); ok && p != "" {
				fWrites = append(fWrites, m.call("packageListAdd", ids[1], p, koji.Kwargs{"owner": me.Name, "block": true}))
			}
		}
	}
	if target == nil {
		fWrites = append(fWrites, m.call("createBuildTarget", n.Target, n.BuildTag, n.Tag))
	}
	if err := m.do(ctx); err != nil {
		return wrap(mb, "prepare", err)
	}
	for _, f := range fWrites {
		if err := result(f, nil); err != nil {
			return wrap(mb, "prepare", err)
		}
	}
	return nil
}

// arches are the module's tag arches: xmd.mbs.koji_tag_arches, else the
// configured ones; buildopts.arches, when set, must be a subset and
// replaces them.
func (b *Builder) arches(st *modulemd.Stream) ([]string, error) {
	arches := b.opts.Arches
	if l, ok := st.XMD.Get("mbs", "koji_tag_arches").([]any); ok && len(l) > 0 {
		arches = nil
		for _, v := range l {
			if s, ok := v.(string); ok {
				arches = append(arches, s)
			}
		}
	}
	if st.BuildOpts != nil && len(st.BuildOpts.Arches) > 0 {
		for _, a := range st.BuildOpts.Arches {
			if !slices.Contains(arches, a) {
				return nil, fmt.Errorf("buildopts.arches names %s, which is not one of the build arches (%s)", a, strings.Join(arches, " "))
			}
		}
		arches = st.BuildOpts.Arches
	}
	return slices.Clone(arches), nil
}

// tagExtra is the configured extra with the module's xmd.mbs_options
// overrides.
func (b *Builder) tagExtra(st *modulemd.Stream) map[string]any {
	extra := maps.Clone(b.opts.TagExtra)
	for _, k := range []string{"repo_include_all", "dynamic_buildrequires"} {
		if v := st.XMD.Get("mbs_options", k); v != nil {
			// xmd keeps YAML's true/false as strings (only TRUE and
			// FALSE are booleans); koji needs a boolean.
			if s, ok := v.(string); ok {
				if b, err := strconv.ParseBool(s); err == nil {
					v = b
				}
			}
			extra[k] = v
		}
	}
	return extra
}

// parentTags are the koji tags of the buildrequired modules, by module
// name.
func parentTags(st *modulemd.Stream) []string {
	brs, _ := st.XMD.Get("mbs", "buildrequires").(map[string]any)
	var out []string
	for _, name := range slices.Sorted(maps.Keys(brs)) {
		if t, ok := valueAt(brs[name], "koji_tag").(string); ok && t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// inheritance returns the links to add: each parent not yet inherited, at
// MBS's priorities (the highest existing + 10, or 0, stepping by 10).
func inheritance(have []koji.InheritanceLink, parents []string, ids []int64) []koji.InheritanceLink {
	prio := -10
	got := map[int64]bool{}
	for _, l := range have {
		prio = max(prio, l.Priority)
		got[l.ParentID] = true
	}
	var out []koji.InheritanceLink
	for i := range parents {
		if got[ids[i]] {
			continue
		}
		prio += 10
		got[ids[i]] = true
		out = append(out, koji.InheritanceLink{ParentID: ids[i], Priority: prio})
	}
	return out
}

// groupPackages are the unions of the buildrequired modules' buildroot
// and srpm-buildroot profiles.
func (b *Builder) groupPackages(ctx context.Context, st *modulemd.Stream) (build, srpm []string, err error) {
	brs, _ := st.XMD.Get("mbs", "buildrequires").(map[string]any)
	if b.opts.Source == nil {
		return nil, nil, nil
	}
	for _, name := range slices.Sorted(maps.Keys(brs)) {
		stream, _ := valueAt(brs[name], "stream").(string)
		version, _ := valueAt(brs[name], "version").(string)
		context, _ := valueAt(brs[name], "context").(string)
		l, err := b.opts.Source.Builds(ctx, name, stream)
		if err != nil {
			return nil, nil, fmt.Errorf("read buildrequired module %s:%s: %w", name, stream, err)
		}
		var found *modulemd.Stream
		for _, s := range l {
			if strconv.FormatUint(s.Version, 10) == version && (context == "" || s.Context == context) {
				found = s
				break
			}
		}
		if found == nil {
			return nil, nil, fmt.Errorf("buildrequired module %s:%s:%s:%s not found", name, stream, version, context)
		}
		build = append(build, found.Profiles["buildroot"].RPMs...)
		srpm = append(srpm, found.Profiles["srpm-buildroot"].RPMs...)
	}
	slices.Sort(build)
	slices.Sort(srpm)
	return slices.Compact(build), slices.Compact(srpm), nil
}

// packageNames are the packages listed in the module's tags: the
// components, or buildopts.rpms.whitelist when set.
func packageNames(st *modulemd.Stream) []string {
	if st.BuildOpts != nil && st.BuildOpts.RPMs != nil && len(st.BuildOpts.RPMs.Whitelist) > 0 {
		return slices.Sorted(slices.Values(st.BuildOpts.RPMs.Whitelist))
	}
	return slices.Sorted(maps.Keys(st.Components.RPMs))
}

// valueAt follows keys through the nested maps of a decoded xmd value (as
// [modulemd.XMD.Get] returns them); nil when a key is missing or a value on
// the way is not a map.
func valueAt(x any, keys ...string) any {
	for _, k := range keys {
		m, ok := x.(map[string]any)
		if !ok {
			return nil
		}
		x = m[k]
	}
	return x
}
