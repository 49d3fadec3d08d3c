package odcs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/pungi"
	"github.com/modkit/modkit/pungi/compose"
	"github.com/modkit/modkit/pungi/productmd"
)

// generate resolves, reuses or composes compose id.
func (s *Service) generate(ctx context.Context, id int64) {
	ok, err := s.opts.Store.Claim(ctx, id, s.now())
	if err != nil || !ok {
		return
	}
	c, err := s.opts.Store.Get(ctx, id)
	if err != nil {
		return
	}
	s.event(ctx, c)
	gctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	s.mu.Lock()
	s.cancels[id] = cancel
	s.mu.Unlock()
	defer func() {
		cancel()
		s.mu.Lock()
		delete(s.cancels, id)
		s.mu.Unlock()
	}()
	reason, err := s.build(gctx, c)
	if ctx.Err() != nil {
		return // shutting down: generated again on the next start
	}
	cur, gerr := s.opts.Store.Get(ctx, id)
	if gerr != nil || cur.State != StateGenerating {
		return // canceled meanwhile
	}
	if err != nil {
		c.State, c.StateReason = StateFailed, err.Error()
		if errors.Is(gctx.Err(), context.DeadlineExceeded) {
			c.StateReason = fmt.Sprintf("Compose took longer than %s: %v", s.opts.Timeout, err)
		}
		s.log.Warn("odcs: compose failed", "compose", id, "err", err)
	} else {
		c.State, c.StateReason = StateDone, reason
	}
	s.finish(c)
	if c.ReusedID != 0 && c.State == StateDone {
		if old, err := s.opts.Store.Get(ctx, c.ReusedID); err == nil && c.TimeToExpire.After(old.TimeToExpire) {
			old.TimeToExpire = c.TimeToExpire
			s.opts.Store.Update(ctx, old)
		}
	}
	if err := s.opts.Store.Update(ctx, c); err != nil {
		s.log.Error("odcs: recording a compose failed", "compose", id, "err", err)
		return
	}
	s.event(ctx, c)
}

// build does the work of one compose and returns the done reason.
func (s *Service) build(ctx context.Context, c *Compose) (string, error) {
	if err := s.resolve(ctx, c); err != nil {
		return "", err
	}
	if err := s.opts.Store.Update(ctx, c); err != nil {
		return "", err
	}
	if old, err := s.reusable(ctx, c); err != nil {
		return "", err
	} else if old != nil {
		// Record the reuse and extend the old compose at once, so the
		// reaper cannot remove its files meanwhile.
		c.ReusedID, c.PungiComposeID = old.ID, old.PungiComposeID
		if old.TimeToExpire.After(c.TimeToExpire) {
			c.TimeToExpire = old.TimeToExpire
		}
		if err := s.opts.Store.Update(ctx, c); err != nil {
			return "", err
		}
		if until := s.now().Add(time.Duration(c.SecondsToLive) * time.Second); until.After(old.TimeToExpire) {
			old.TimeToExpire = until
			if err := s.opts.Store.Update(ctx, old); err != nil {
				return "", err
			}
		}
		return fmt.Sprintf("Compose is generated successfully (it reuses compose %d)", old.ID), nil
	}
	dir := filepath.Join(s.opts.TargetDir, "odcs-"+strconv.FormatInt(c.ID, 10))
	os.RemoveAll(dir)
	var err error
	switch c.SourceType {
	case SourceModule:
		err = s.composeModules(ctx, c, dir)
	case SourceTag, SourceBuild:
		err = s.composeKoji(ctx, c, dir)
	case SourceRepo:
		err = s.composeRepo(ctx, c, dir)
	default:
		err = fmt.Errorf("%s composes are not supported by this server", c.SourceType)
	}
	if err != nil {
		return "", err
	}
	if err := s.writeRepoFile(c, dir); err != nil {
		return "", err
	}
	return "Compose is generated successfully", nil
}

// resolve pins the koji event and expands module specs to NSVCs.
func (s *Service) resolve(ctx context.Context, c *Compose) error {
	switch c.SourceType {
	case SourceTag, SourceBuild:
		if s.opts.Koji == nil {
			return errors.New("this server has no koji hub")
		}
		if c.KojiEvent == 0 {
			ev, err := s.opts.Koji.GetLastEvent(ctx)
			if err != nil {
				return fmt.Errorf("koji getLastEvent: %w", err)
			}
			c.KojiEvent = ev.ID
		}
		if c.SourceType == SourceTag {
			if _, err := s.opts.Koji.GetTag(ctx, koji.Name(c.Source), &koji.GetTagOptions{Event: c.KojiEvent}); err != nil {
				return fmt.Errorf("Unknown Koji tag %s: %w", c.Source, err)
			}
		}
	case SourceModule:
		if s.opts.Modules == nil {
			return errors.New("this server has no module resolver")
		}
		mods, err := ResolveModules(ctx, s.opts.Modules, strings.Fields(c.Source), c.Flags&FlagNoDeps != 0, c.Flags&FlagIncludeDoneModules != 0)
		if err != nil {
			return err
		}
		var nsvcs []string
		for _, m := range mods {
			nsvcs = append(nsvcs, m.NSVC())
		}
		c.Source = strings.Join(nsvcs, " ")
	case SourceRepo:
		dir, err := s.repoDir(c.Source)
		if err != nil {
			return err
		}
		if ev, err := repoRevision(dir); err == nil {
			c.KojiEvent = ev
		}
	}
	return nil
}

// repoRevision reads repomd.xml's revision (a number stands in for the
// koji event of a repo compose, as in ODCS).
func repoRevision(dir string) (int64, error) {
	b, err := os.ReadFile(filepath.Join(dir, "repodata", "repomd.xml"))
	if err != nil {
		return 0, err
	}
	_, after, ok := strings.Cut(string(b), "<revision>")
	if !ok {
		return 0, errors.New("no revision")
	}
	v, _, _ := strings.Cut(after, "<")
	return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
}

// reusable finds a done compose with the same inputs (ODCS's
// get_reusable_compose): same source type, sets of packages, builds,
// sigkeys, arches, lookaside repos, modular tags and modules; same
// source, flags, results and respin_of; a koji event not newer than
// this one's, and for tags no change of the tag since.
func (s *Service) reusable(ctx context.Context, c *Compose) (*Compose, error) {
	if c.Flags&FlagNoReuse != 0 {
		return nil, nil
	}
	done, _, err := s.opts.Store.List(ctx, &Filter{SourceType: c.SourceType, States: []State{StateDone}, OrderBy: "-id"})
	if err != nil {
		return nil, err
	}
	set := func(l []string) []string { l = slices.Clone(l); slices.Sort(l); return slices.Compact(l) }
	for _, old := range done {
		if old.ID >= c.ID || old.ReusedID != 0 {
			continue
		}
		if !slices.Equal(set(c.Packages), set(old.Packages)) || !slices.Equal(set(c.Builds), set(old.Builds)) ||
			!slices.Equal(set(c.Sigkeys), set(old.Sigkeys)) || !slices.Equal(set(c.Arches), set(old.Arches)) ||
			!slices.Equal(set(c.LookasideRepos), set(old.LookasideRepos)) || !slices.Equal(set(c.ModularKojiTags), set(old.ModularKojiTags)) ||
			!slices.Equal(set(c.Modules), set(old.Modules)) {
			continue
		}
		if c.Source != old.Source || c.Flags != old.Flags || c.Results != old.Results || c.RespinOf != old.RespinOf {
			continue
		}
		if !old.TimeToExpire.After(s.now().Add(time.Minute)) {
			continue // about to expire: its files may be going
		}
		if c.KojiEvent != 0 && old.KojiEvent != 0 && c.KojiEvent < old.KojiEvent {
			continue
		}
		if c.SourceType == SourceTag {
			changed, err := s.tagChanged(ctx, c, old.KojiEvent)
			if err != nil {
				return nil, err
			}
			if changed {
				continue
			}
		} else if c.KojiEvent != old.KojiEvent {
			continue
		}
		if _, err := os.Stat(filepath.Join(s.opts.TargetDir, old.Name())); err != nil {
			continue // its files are gone
		}
		return old, nil
	}
	return nil, nil
}

// tagChanged reports whether the latest builds of c's tag (with
// inheritance unless no_inheritance) differ between event since and c's.
func (s *Service) tagChanged(ctx context.Context, c *Compose, since int64) (bool, error) {
	list := func(ev int64) ([]string, error) {
		bs, err := s.opts.Koji.ListTagged(ctx, koji.Name(c.Source), &koji.ListTaggedOptions{Event: ev, Inherit: c.Flags&FlagNoInheritance == 0, Latest: true})
		if err != nil {
			return nil, fmt.Errorf("koji listTagged %s: %w", c.Source, err)
		}
		var out []string
		for _, b := range bs {
			out = append(out, b.NVR)
		}
		slices.Sort(out)
		return out, nil
	}
	a, err := list(since)
	if err != nil {
		return false, err
	}
	b, err := list(c.KojiEvent)
	if err != nil {
		return false, err
	}
	return !slices.Equal(a, b), nil
}

func (s *Service) topURL() string {
	if s.opts.KojiTopURL != "" {
		return s.opts.KojiTopURL
	}
	return strings.TrimSuffix(strings.TrimRight(s.opts.Koji.URL(), "/"), "/kojihub") + "/kojifiles"
}

// composeModules composes the resolved NSVCs with pungi/compose: from the
// local repositories of orchestrator builds, else from koji.
func (s *Service) composeModules(ctx context.Context, c *Compose, dir string) error {
	work, err := os.MkdirTemp(s.opts.TargetDir, ".work-"+strconv.FormatInt(c.ID, 10)+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	nsvcs := strings.Fields(c.Source)
	var x strings.Builder
	x.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<variants>\n  <variant id=\"Temporary\" name=\"Temporary\" type=\"variant\">\n    <arches>\n")
	for _, a := range c.Arches {
		x.WriteString("      <arch>" + a + "</arch>\n")
	}
	x.WriteString("    </arches>\n    <modules>\n")
	for _, m := range nsvcs {
		x.WriteString("      <module>" + m + "</module>\n")
	}
	x.WriteString("    </modules>\n  </variant>\n</variants>\n")
	variants := filepath.Join(work, "variants.xml")
	if err := os.WriteFile(variants, []byte(x.String()), 0o644); err != nil {
		return err
	}
	no := false
	cfg := &compose.Config{
		Release:     productmd.Release{Name: "ODCS compose", Short: "odcs-" + strconv.FormatInt(c.ID, 10), Version: "1", Type: "ga"},
		ComposeType: composeTypeOf(c.ComposeType), Label: c.Label, NoLabel: c.Label == "", VariantsFile: variants,
		Sigkeys: c.Sigkeys, Arches: c.Arches, TargetDir: filepath.Join(work, "out"), LatestLink: &no,
	}
	opts := &compose.Options{NoLatestLink: true, Logger: s.log, Jobs: 2}
	var repos []string
	if r, ok := s.opts.Modules.(*StoreResolver); ok && r != nil {
		mods, err := ResolveModules(ctx, r, nsvcs, true, c.Flags&FlagIncludeDoneModules != 0)
		if err != nil {
			return err
		}
		for _, m := range mods {
			repos = append(repos, m.Repository)
		}
		cfg.Repos = slices.Compact(repos)
	} else {
		if s.opts.Koji == nil {
			return errors.New("module builds found through MBS are taken from koji, and this server has no koji hub")
		}
		cfg.Koji = &compose.KojiConfig{URL: s.opts.Koji.URL(), TopURL: s.topURL()}
		opts.Koji = s.opts.Koji
	}
	res, err := compose.Run(ctx, cfg, opts)
	if err != nil {
		return err
	}
	c.PungiComposeID = res.ID
	if res.KojiEvent != 0 {
		c.KojiEvent = res.KojiEvent
	}
	return os.Rename(res.Dir, dir)
}

func composeTypeOf(t string) string {
	if t == "" || t == "development" {
		return "test"
	}
	return t
}

// composeKoji writes the RPMs of a koji tag (latest builds at the event,
// with inheritance unless no_inheritance, plus extra builds) or of the
// listed builds, limited to packages when given.
func (s *Service) composeKoji(ctx context.Context, c *Compose, dir string) error {
	k := s.opts.Koji
	var rpms []koji.RPM
	arches := append(slices.Clone(c.Arches), "noarch", "src")
	if c.SourceType == SourceTag {
		rs, _, err := k.ListTaggedRPMs(ctx, koji.Name(c.Source), &koji.ListTaggedRPMsOptions{Event: c.KojiEvent, Inherit: c.Flags&FlagNoInheritance == 0, Latest: true, Arches: arches})
		if err != nil {
			return fmt.Errorf("koji listTaggedRPMS %s: %w", c.Source, err)
		}
		rpms = rs
	}
	var errs []error
	for _, nvr := range c.Builds {
		b, err := k.GetBuild(ctx, koji.Name(nvr))
		if err != nil {
			errs = append(errs, fmt.Errorf("koji build %s: %w", nvr, err))
			continue
		}
		if b.State != koji.BuildComplete {
			errs = append(errs, fmt.Errorf("koji build %s is not complete (state %v)", nvr, b.State))
			continue
		}
		rs, err := k.ListRPMs(ctx, &koji.ListRPMsOptions{BuildID: b.ID, Arches: arches})
		if err != nil {
			errs = append(errs, fmt.Errorf("koji listRPMs %s: %w", nvr, err))
			continue
		}
		rpms = append(rpms, rs...)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if len(c.Packages) > 0 {
		var missing []string
		for _, p := range c.Packages {
			if !slices.ContainsFunc(rpms, func(r koji.RPM) bool { return r.Name == p && r.Arch != "src" }) {
				missing = append(missing, p)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("no package %s in %s", strings.Join(missing, ", "), strings.TrimSpace(c.Source+" "+strings.Join(c.Builds, " ")))
		}
	}
	var bins, srcs []koji.RPM
	for _, r := range rpms {
		if r.Arch == "src" {
			srcs = append(srcs, r)
		} else if len(c.Packages) == 0 || c.Flags&FlagNoDeps == 0 || slices.Contains(c.Packages, r.Name) {
			bins = append(bins, r)
		}
	}
	ks := &compose.KojiSource{Client: k, TopURL: s.topURL(), Event: c.KojiEvent, Sigkeys: c.Sigkeys}
	dl := filepath.Join(dir, "work", "download")
	fetch := func(rs []koji.RPM) ([]*compose.RPMFile, error) {
		files, err := ks.RPMFiles(ctx, rs)
		if err != nil {
			return nil, err
		}
		return files, ks.Fetch(ctx, files, dl)
	}
	binFiles, err := fetch(bins)
	if err != nil {
		return err
	}
	paths := make([]string, len(binFiles))
	for i, f := range binFiles {
		paths[i] = f.Path
	}
	headers, err := pungi.ReadRPMs(ctx, paths)
	if err != nil {
		return err
	}
	keep := headers
	if len(c.Packages) > 0 && c.Flags&FlagNoDeps == 0 {
		// Pungi's "deps" gather: the named packages and what they
		// need, from the same package set.
		keep = closure(headers, c.Packages)
	}
	if c.Flags&FlagCheckDeps != 0 {
		if missing := unresolved(keep); len(missing) > 0 {
			return fmt.Errorf("check_deps: unresolved dependencies: %s", strings.Join(missing, "; "))
		}
	}
	keepBuild := map[int64]bool{}
	var out []string
	for _, h := range keep {
		i := slices.Index(paths, h.Path)
		keepBuild[bins[i].BuildID] = true
		out = append(out, h.Path)
	}
	srcs = slices.DeleteFunc(srcs, func(r koji.RPM) bool { return !keepBuild[r.BuildID] })
	srcFiles, err := fetch(srcs)
	if err != nil {
		return err
	}
	for _, f := range srcFiles {
		out = append(out, f.Path)
	}
	if err := s.writeTrees(ctx, c, dir, out, nil); err != nil {
		return err
	}
	return os.RemoveAll(filepath.Join(dir, "work"))
}

// capability returns the name of a requirement or provide ("a >= 1" → "a").
func capability(dep string) string {
	name, _, _ := strings.Cut(dep, " ")
	return name
}

// skipDep leaves out rpmlib() requirements, rich dependencies and file
// requirements (the package headers read here carry no file lists).
func skipDep(name string) bool {
	return strings.HasPrefix(name, "rpmlib(") || strings.HasPrefix(name, "(") || strings.HasPrefix(name, "/")
}

// providers indexes packages by what they provide (their names
// included).
func providers(rpms []pungi.RPM) map[string][]int {
	idx := map[string][]int{}
	for i, r := range rpms {
		idx[r.Name] = append(idx[r.Name], i)
		for _, p := range r.Provides {
			if n := capability(p); n != r.Name {
				idx[n] = append(idx[n], i)
			}
		}
	}
	return idx
}

// closure returns the packages named in want and, recursively, a provider
// of each of their requirements (the package of the same name as the
// requirement first, else the first provider by name).
func closure(rpms []pungi.RPM, want []string) []pungi.RPM {
	idx := providers(rpms)
	in := map[int]bool{}
	var queue []int
	for i, r := range rpms {
		if slices.Contains(want, r.Name) {
			in[i] = true
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		r := rpms[queue[0]]
		queue = queue[1:]
		for _, req := range r.Requires {
			n := capability(req)
			cands := idx[n]
			if skipDep(n) || len(cands) == 0 || slices.ContainsFunc(cands, func(i int) bool { return in[i] }) {
				continue
			}
			best := slices.MinFunc(cands, func(a, b int) int {
				if (rpms[a].Name == n) != (rpms[b].Name == n) {
					if rpms[a].Name == n {
						return -1
					}
					return 1
				}
				return strings.Compare(rpms[a].Name, rpms[b].Name)
			})
			in[best] = true
			queue = append(queue, best)
		}
	}
	var out []pungi.RPM
	for i, r := range rpms {
		if in[i] {
			out = append(out, r)
		}
	}
	return out
}

// unresolved lists requirements of rpms no package of rpms provides.
func unresolved(rpms []pungi.RPM) []string {
	idx := providers(rpms)
	var out []string
	for _, r := range rpms {
		for _, req := range r.Requires {
			if n := capability(req); !skipDep(n) && len(idx[n]) == 0 {
				out = append(out, r.Name+" requires "+req)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// composeRepo copies the packages (and module metadata) of a repository.
func (s *Service) composeRepo(ctx context.Context, c *Compose, dir string) error {
	src, err := s.repoDir(c.Source)
	if err != nil {
		return err
	}
	var paths []string
	err = filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&os.ModeSymlink != 0 {
			return nil // never follow a link out of the repository
		}
		if !d.IsDir() && strings.HasSuffix(p, ".rpm") {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	mods, err := pungi.ReadModulesMetadata(src)
	if err != nil {
		return fmt.Errorf("%s: module metadata: %w", src, err)
	}
	return s.writeTrees(ctx, c, dir, paths, mods)
}

// writeTrees lays files out as Pungi does under compose/Temporary:
// <arch>/os (binary and noarch packages, with modulesYAML),
// <arch>/debug/tree (debuginfo and debugsource) and source/tree.
func (s *Service) writeTrees(ctx context.Context, c *Compose, dir string, paths []string, modulesYAML []byte) error {
	rpms, err := pungi.ReadRPMs(ctx, paths)
	if err != nil {
		return err
	}
	base := filepath.Join(dir, "compose", "Temporary")
	trees := map[string]bool{}
	place := func(tree string, r pungi.RPM) error {
		trees[tree] = true
		name := filepath.Base(r.Path)
		dst := filepath.Join(tree, "Packages", strings.ToLower(name[:1]), name)
		return linkOrCopy(r.Path, dst)
	}
	for _, a := range c.Arches {
		os.MkdirAll(filepath.Join(base, a, "os"), 0o755)
		trees[filepath.Join(base, a, "os")] = true
	}
	for _, r := range rpms {
		debug := strings.Contains(r.Name, "-debuginfo") || strings.HasSuffix(r.Name, "-debugsource")
		switch {
		case r.IsSource():
			err = place(filepath.Join(base, "source", "tree"), r)
		case r.Arch == "noarch":
			for _, a := range c.Arches {
				if err = place(filepath.Join(base, a, "os"), r); err != nil {
					break
				}
			}
		case slices.Contains(c.Arches, r.Arch):
			t := "os"
			if debug {
				t = filepath.Join("debug", "tree")
			}
			err = place(filepath.Join(base, r.Arch, t), r)
		}
		if err != nil {
			return err
		}
	}
	for _, tree := range slices.Sorted(func(yield func(string) bool) {
		for t := range trees {
			if !yield(t) {
				return
			}
		}
	}) {
		if err := pungi.CreateRepo(ctx, tree); err != nil {
			return err
		}
		if len(modulesYAML) > 0 && filepath.Base(tree) == "os" {
			if err := pungi.AddModulesMetadata(ctx, tree, modulesYAML); err != nil {
				return err
			}
		}
	}
	status := filepath.Join(dir, "STATUS")
	return os.WriteFile(status, []byte(compose.StatusFinished+"\n"), 0o644)
}

func linkOrCopy(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if err := os.Link(src, dst); err == nil || os.IsExist(err) {
		return nil
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// RepoFile returns the .repo file of compose c: the os repository of
// each arch (enabled), and the debuginfo and source repositories
// (disabled), as ODCS writes it.
func RepoFile(c *Compose) string {
	var b strings.Builder
	repo := func(name, url string, enabled int) {
		fmt.Fprintf(&b, "[%s]\nname=ODCS repository for compose %s\nbaseurl=%s\ntype=rpm-md\nskip_if_unavailable=False\ngpgcheck=0\nrepo_gpgcheck=0\nenabled=%d\nenabled_metadata=1\n",
			name, name, url, enabled)
	}
	repo(c.Name(), c.ResultRepo+"/$basearch/os", 1)
	b.WriteString("\n")
	repo(c.Name()+"-debuginfo", c.ResultRepo+"/$basearch/debug/tree", 0)
	b.WriteString("\n")
	repo(c.Name()+"-source", c.ResultRepo+"/source/tree", 0)
	return b.String()
}

func (s *Service) writeRepoFile(c *Compose, dir string) error {
	d := *c
	s.decorate(&d)
	if d.ResultRepo == "" {
		d.ResultRepo = "file://" + filepath.Join(dir, "compose", "Temporary")
	}
	p := filepath.Join(dir, "compose", "Temporary", d.Name()+".repo")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(RepoFile(&d)), 0o644)
}
