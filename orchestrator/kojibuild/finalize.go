package kojibuild

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
)

// Finalize publishes the finished module as MBS does. It tags the last
// batch into both tags (no repo regeneration). The artifacts come
// from the module tag (the RPMs of the module's component builds, without
// filtered RPMs and the output of buildonly components, which go to the
// -devel module); the per-arch modulemd documents list each arch's RPMs.
// Unless the build is scratch or Options.NoContentGenerator is set, the
// module is imported as a content-generator build in MBS's format ("Build
// already exists" is tolerated, so Finalize can run again), tagged into
// the candidate tag, and a <name>-devel module holding the filtered RPMs
// is imported beside it. The publication's repository is the module tag.
func (b *Builder) Finalize(ctx context.Context, mb *orchestrator.ModuleBuild, final *modulemd.Stream, built []*orchestrator.ComponentBuild) (orchestrator.Publication, error) {
	if _, err := b.me(ctx, mb); err != nil {
		return orchestrator.Publication{}, wrap(mb, "finalize", err)
	}
	b.forget(mb, 1<<30)
	n := NamesOf(mb)
	pub := orchestrator.Publication{Repository: n.Tag}
	stored, err := decode(mb.Modulemd)
	if err != nil {
		return pub, wrap(mb, "finalize", err)
	}
	arches, err := b.arches(stored)
	if err != nil {
		return pub, wrap(mb, "finalize", err)
	}
	// The service does not call FinishBatch after the last batch: tag it
	// here (without regenerating the repo, as MBS does).
	if err := b.tagAll(ctx, mb, built); err != nil {
		return pub, wrap(mb, "tag the last batch", err)
	}
	t := time.Now()
	rpms, builds, err := b.c.ListTaggedRPMs(ctx, koji.Name(n.Tag), &koji.ListTaggedRPMsOptions{Latest: true})
	b.logCall(ctx, mb, 0, t, err, "listTaggedRPMS(%q, latest=True)", n.Tag)
	if err != nil {
		return pub, wrap(mb, "finalize", err)
	}
	mine := map[string]*orchestrator.ComponentBuild{}
	for _, c := range built {
		mine[c.NVR] = c
	}
	buildNVR := map[int64]string{}
	for _, bd := range builds {
		buildNVR[bd.ID] = bd.NVR
	}
	var kept, devel []koji.RPM
	for _, r := range rpms {
		c := mine[buildNVR[r.BuildID]]
		if c == nil {
			continue
		}
		if c.Buildonly || (r.Arch != "src" && slices.Contains(final.Filter, r.Name)) {
			devel = append(devel, r)
			continue
		}
		kept = append(kept, r)
	}
	final.Artifacts.RPMs = nevras(kept, nil)
	if lic, err := b.licenses(ctx, mb, kept); err != nil {
		return pub, wrap(mb, "read the RPMs' licences", err)
	} else if len(lic) > 0 {
		final.License.Content = lic
	}
	if mb.Scratch || b.opts.NoContentGenerator {
		return pub, nil
	}
	id, err := b.importModule(ctx, mb, final, stored, arches, kept, "")
	if err != nil {
		return pub, wrap(mb, "import the module into koji", err)
	}
	pub.KojiBuildID = id
	if b.opts.CandidateTag != "" {
		if err := b.tagCandidate(ctx, mb, stored, id, mb.Name); err != nil {
			return pub, wrap(mb, "tag the module build", err)
		}
	}
	if !b.opts.NoDevelModule {
		dev := final.Clone()
		dev.Name = final.Name + "-devel"
		dev.API, dev.Profiles, dev.Filter = nil, nil, nil
		dev.Artifacts.RPMs = nevras(devel, nil)
		if len(dev.Dependencies) == 0 {
			dev.Dependencies = []modulemd.Dependency{{}}
		}
		for i := range dev.Dependencies {
			if dev.Dependencies[i].Requires == nil {
				dev.Dependencies[i].Requires = map[string][]string{}
			}
			dev.Dependencies[i].Requires[final.Name] = []string{final.Stream}
		}
		if _, err := b.importModule(ctx, mb, dev, stored, arches, devel, "-devel"); err != nil {
			return pub, wrap(mb, "import the -devel module into koji", err)
		}
	}
	return pub, nil
}

// nevras formats RPMs as sorted N-E:V-R.A strings, only those of arches
// when given.
func nevras(rpms []koji.RPM, arches []string) []string {
	var out []string
	for _, r := range rpms {
		if arches == nil || slices.Contains(arches, r.Arch) {
			out = append(out, nevra(r))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// importModule imports st (final, noarch) with one modulemd per arch as a
// content-generator build and returns its build id.
func (b *Builder) importModule(ctx context.Context, mb *orchestrator.ModuleBuild, st, stored *modulemd.Stream, arches []string, rpms []koji.RPM, suffix string) (int64, error) {
	version, err := strconv.ParseUint(mb.Version, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("module version %q: %w", mb.Version, err)
	}
	y, err := modulemd.Marshal(st)
	if err != nil {
		return 0, err
	}
	src, err := modulemd.Marshal(stored)
	if err != nil {
		return 0, err
	}
	imp := &koji.ModuleImport{
		Name: st.Name, Stream: mb.Stream, Version: version, Context: mb.Context,
		ModuleBuildServiceID: mb.ID, ContentKojiTag: NamesOf(mb).Tag, SCMURL: mb.SCMURL,
		Start: mb.TimeSubmitted, End: b.opts.Now(),
		Modulemd: string(y), SourceModulemd: string(src),
		ArchModulemd: map[string]string{}, ArchRPMs: map[string][]koji.CGComponent{},
		BuildLog: fmt.Sprintf("modkit module build %d (%s), koji tag %s\n", mb.ID, mb.NSVC(), NamesOf(mb).Tag),
		CGName:   b.opts.ContentGenerator, CGVersion: "modkit",
	}
	if imp.Start.IsZero() {
		imp.Start = imp.End
	}
	for _, arch := range arches {
		as := st.Clone()
		as.Arch = arch
		want := []string{arch, "noarch", "src"}
		as.Artifacts.RPMs = nevras(rpms, want)
		ay, err := modulemd.Marshal(as)
		if err != nil {
			return 0, err
		}
		imp.ArchModulemd[arch] = string(ay)
		comps := []koji.CGComponent{}
		for _, r := range rpms {
			if slices.Contains(want, r.Arch) {
				comps = append(comps, koji.RPMComponent(r))
			}
		}
		imp.ArchRPMs[arch] = comps
	}
	nvr := imp.NVR()
	dir := fmt.Sprintf("mbs/%d.%d%s", mb.TimeSubmitted.Unix(), mb.ID, suffix)
	t := time.Now()
	bd, err := b.c.ImportModuleBuild(ctx, imp, dir, nil)
	b.logCall(ctx, mb, 0, t, err, "CGImport of %s (%d RPMs, arches %s) from %s", nvr, len(rpms), strings.Join(arches, " "), dir)
	if err != nil {
		if !strings.Contains(err.Error(), "Build already exists") {
			return 0, err
		}
		t = time.Now()
		bd, err = b.c.GetBuild(ctx, koji.Name(nvr.String()))
		b.logCall(ctx, mb, 0, t, err, "getBuild(%q)", nvr)
		if err != nil {
			return 0, err
		}
		if info := bd.ModuleInfo(); info == nil || info.ModuleBuildServiceID != mb.ID {
			return 0, fmt.Errorf("koji build %s already exists and belongs to another module build", nvr)
		}
		b.info(ctx, mb, 0, "Koji build %s (id %d) was imported before.", nvr, bd.ID)
		return bd.ID, nil
	}
	b.info(ctx, mb, 0, "Imported %s into koji as build %d.", nvr, bd.ID)
	return bd.ID, nil
}

// baseStream is the stream of the buildrequired base module (platform).
func baseStream(st *modulemd.Stream) string {
	brs, _ := st.XMD.Get("mbs", "buildrequires").(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(brs)) {
		if name == "platform" {
			s, _ := valueAt(brs[name], "stream").(string)
			return s
		}
	}
	return ""
}

// tagCandidate tags the CG build into Options.CandidateTag formatted with
// the base stream, or modular-updates-candidate when that tag does not
// exist.
func (b *Builder) tagCandidate(ctx context.Context, mb *orchestrator.ModuleBuild, st *modulemd.Stream, buildID int64, name string) error {
	cands := []string{strings.ReplaceAll(b.opts.CandidateTag, "{}", baseStream(st))}
	if strings.Contains(b.opts.CandidateTag, "{}") {
		cands = append(cands, "modular-updates-candidate")
	}
	m := b.multi(mb)
	fs := make([]*koji.Future[any], len(cands))
	for i, c := range cands {
		fs[i] = m.call("getTag", c)
	}
	fTags := m.call("listTags", koji.Kwargs{"build": buildID})
	if err := m.do(ctx); err != nil {
		return err
	}
	tag := ""
	for i, f := range fs {
		var t *koji.Tag
		if err := result(f, &t); err != nil {
			return err
		}
		if t != nil {
			tag = cands[i]
			break
		}
	}
	if tag == "" {
		return fmt.Errorf("no candidate tag exists (tried %s)", strings.Join(cands, ", "))
	}
	var have []koji.Tag
	if err := result(fTags, &have); err != nil {
		return err
	}
	if slices.ContainsFunc(have, func(t koji.Tag) bool { return t.Name == tag }) {
		return nil
	}
	me, err := b.me(ctx, mb)
	if err != nil {
		return err
	}
	m = b.multi(mb)
	fListed := m.call("listPackages", koji.Kwargs{"tagID": tag, "pkgID": name, "inherited": true})
	if err := m.do(ctx); err != nil {
		return err
	}
	var listed []koji.PackageEntry
	if err := result(fListed, &listed); err != nil && !errors.Is(err, koji.ErrNotFound) {
		return err
	}
	if !slices.ContainsFunc(listed, func(p koji.PackageEntry) bool { return p.PackageName == name && !p.Blocked }) {
		t := time.Now()
		err := b.c.AddPackage(ctx, koji.Name(tag), name, &koji.AddPackageOptions{Owner: me.Name})
		b.logCall(ctx, mb, 0, t, err, "packageListAdd(%q, %q, owner=%q)", tag, name, me.Name)
		if err != nil {
			return err
		}
	}
	t := time.Now()
	task, err := b.c.TagBuild(ctx, koji.Name(tag), koji.ID(buildID), nil)
	b.logCall(ctx, mb, 0, t, err, "tagBuild(%q, %d) -> task %d", tag, buildID, task)
	if err == nil {
		err = b.waitTasks(ctx, mb, []int64{task}, []string{"tag into " + tag})
	}
	if err != nil {
		// A task of a run that crashed may have tagged it meanwhile.
		t := time.Now()
		have, lerr := b.c.ListTags(ctx, &koji.ListTagsOptions{Build: koji.ID(buildID)})
		b.logCall(ctx, mb, 0, t, lerr, "listTags(build=%d)", buildID)
		if lerr != nil || !slices.ContainsFunc(have, func(t koji.Tag) bool { return t.Name == tag }) {
			return err
		}
	}
	b.info(ctx, mb, 0, "Tagged the module build into %s.", tag)
	return nil
}

// licenses reads the License header of the RPMs (getRPMHeaders, one
// multicall), sorted and without duplicates. An RPM whose headers the hub
// cannot read (its file is gone) is skipped and noted in the log.
func (b *Builder) licenses(ctx context.Context, mb *orchestrator.ModuleBuild, rpms []koji.RPM) ([]string, error) {
	m := b.multi(mb)
	fs := make([]*koji.Future[any], len(rpms))
	for i, r := range rpms {
		fs[i] = m.call("getRPMHeaders", koji.Kwargs{"rpmID": r.ID, "headers": []string{"license"}})
	}
	if err := m.do(ctx); err != nil {
		return nil, err
	}
	var out, unread []string
	for i, f := range fs {
		var h map[string]any
		if err := result(f, &h); err != nil {
			return nil, err
		}
		if l, ok := h["license"].(string); ok && l != "" {
			out = append(out, l)
		} else {
			unread = append(unread, nevra(rpms[i]))
		}
	}
	if len(unread) > 0 {
		b.debug(ctx, mb, 0, "No licence header for %d RPMs (%s).", len(unread), strings.Join(unread[:min(len(unread), 5)], ", "))
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
