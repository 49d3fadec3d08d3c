package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/resolver"
)

// SubmitRequest is a module build request, with MBS's submit parameters.
// Exactly one of SCMURL and Modulemd is set.
type SubmitRequest struct {
	// SCMURL is the module's git repository and revision:
	// "repo[?path/to/module.yaml]#ref". repo is any URL git understands, a
	// file:// URL or a local path. The module definition is read from the
	// given path, else from "<repository name>.yaml" at the top.
	SCMURL string
	// Branch becomes the stream; when empty, ref is used if it is not a
	// commit hash.
	Branch string
	// Modulemd is a module definition submitted directly (YAML).
	Modulemd []byte
	// ModuleName and ModuleStream fill a YAML submit's missing name and
	// stream (defaults: the definition's own, then "master" for stream).
	ModuleName, ModuleStream string

	// Owner is the submitting user.
	Owner   string
	Scratch bool
	// RebuildStrategy is "all", "changed-and-after" or "only-changed";
	// empty = the service default.
	RebuildStrategy string
	// BuildRequireOverrides and RequireOverrides replace the stream lists
	// of the named modules in every dependency block.
	BuildRequireOverrides map[string][]string
	RequireOverrides      map[string][]string
	// ReuseComponentsFrom is a module build id or N:S:V:C (a ready build)
	// to reuse components from.
	ReuseComponentsFrom string
	// Rebuild asks for a new build of a module whose commit was already
	// built, with no bump commit (what Freshmaker pushed "bump" commits
	// for): the new build gets the next rebuild version of that commit
	// ([RebuildVersion]). When the commit has no build yet it is an
	// ordinary submit. A rebuild is refused with ErrConflict while a build
	// of the same commit is still in progress. SCM submits only.
	Rebuild bool
	// RebuildReason is recorded in the new build's log ("buildrequired
	// module foo:1 became ready").
	RebuildReason string
}

// RebuildVersion returns the source version (before the base-module
// prefix) of the next rebuild of a commit whose builds so far have the
// given source versions (14-digit UTC timestamps, YYYYMMDDhhmmss, the
// first of them the commit time): one second after the highest. Rebuild n
// of a commit made at time C therefore has version C+n seconds, written
// the same way, so
//   - it has as many digits as an ordinary version and stays an integer
//     that fits MBS's prefixed uint64 versions;
//   - it is higher than every earlier build of the commit, so dnf, which
//     takes the highest version of a name:stream(:context), picks it;
//   - it stays below the version of any later commit made more than n
//     seconds after C, so a rebuild never hides a newer commit. The rare
//     collision (a commit made within n seconds) is refused by Submit with
//     ErrConflict rather than written.
func RebuildVersion(previous []string) (string, error) {
	var last time.Time
	for _, v := range previous {
		t, err := time.Parse("20060102150405", v)
		if err != nil {
			return "", fmt.Errorf("source version %q is not a YYYYMMDDhhmmss timestamp", v)
		}
		if t.After(last) {
			last = t
		}
	}
	if last.IsZero() {
		return "", errors.New("no previous build to rebuild")
	}
	return last.Add(time.Second).Format("20060102150405"), nil
}

// SCMURL is a parsed module SCM URL: "repo[?path]#ref".
type SCMURL struct {
	Repo, Path, Ref string
}

// ParseSCMURL splits "repo[?path]#ref". The ref is required.
func ParseSCMURL(raw string) (SCMURL, error) {
	repo, ref, ok := strings.Cut(raw, "#")
	if !ok || ref == "" || repo == "" {
		return SCMURL{}, reqErr(ErrInvalid, "The submitted scmurl %q is incorrect: expected repository[?path]#revision", raw)
	}
	var p string
	if i := strings.LastIndex(repo, "?"); i >= 0 {
		repo, p = repo[:i], repo[i+1:]
	}
	if repo == "" {
		return SCMURL{}, reqErr(ErrInvalid, "The submitted scmurl %q is incorrect: expected repository[?path]#revision", raw)
	}
	if strings.ContainsAny(ref, " \t\n") {
		return SCMURL{}, reqErr(ErrInvalid, "The submitted scmurl %q is incorrect: bad revision %q", raw, ref)
	}
	if strings.Contains(repo, "://") {
		if _, err := url.Parse(repo); err != nil {
			return SCMURL{}, reqErr(ErrInvalid, "The submitted scmurl %q is incorrect: %v", raw, err)
		}
	}
	return SCMURL{Repo: repo, Path: p, Ref: ref}, nil
}

// repoName is the last path element of a repository without ".git".
func repoName(repo string) string {
	r := strings.TrimRight(repo, "/")
	if u, err := url.Parse(r); err == nil && u.Scheme != "" {
		r = u.Path
	}
	return strings.TrimSuffix(path.Base(r), ".git")
}

// isCommit reports whether ref looks like a full commit hash.
func isCommit(ref string) bool {
	if len(ref) != 40 && len(ref) != 64 {
		return false
	}
	for _, c := range ref {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Submit accepts a module build request. It reads and checks the module
// definition, pins every component ref to a commit, applies overrides and
// static contexts, and records one module build per definition in state
// init; stream expansion then runs in the background (Run), and may add a
// module build per further expanded context. A resubmit of the same name,
// stream and version resumes the failed builds and is refused with
// ErrConflict when none failed. Errors are *RequestError for bad requests.
func (s *Service) Submit(ctx context.Context, req *SubmitRequest) ([]*ModuleBuild, error) {
	if req == nil {
		return nil, reqErr(ErrInvalid, "empty submit request")
	}
	strategy := req.RebuildStrategy
	if strategy == "" {
		strategy = s.opts.DefaultRebuildStrategy
	}
	if !slices.Contains([]string{RebuildAll, RebuildChangedAndAfter, RebuildOnlyChanged}, strategy) {
		return nil, reqErr(ErrInvalid, "The rebuild method of %q is not allowed. Choose from: all, changed-and-after, only-changed.", strategy)
	}
	if req.Rebuild && (req.SCMURL == "" || req.Scratch) {
		return nil, reqErr(ErrInvalid, "A rebuild needs an scmurl and cannot be a scratch build")
	}
	if req.ReuseComponentsFrom != "" && strategy == RebuildAll {
		return nil, reqErr(ErrInvalid, `You cannot specify the parameter "reuse_components_from" when the "rebuild_strategy" parameter is set to "all"`)
	}
	streams, defaults, scmurl, sourceVersion, err := s.loadDefinition(ctx, req)
	if err != nil {
		return nil, err
	}
	brs, fromBranch := s.branchOverride(req)
	var prepared []*modulemd.Stream
	var problems []error
	for _, st := range streams {
		if err := applyOverrides(st, brs, req.RequireOverrides, fromBranch); err != nil {
			return nil, err
		}
		split, err := staticContexts(st)
		if err != nil {
			return nil, err
		}
		prepared = append(prepared, split...)
	}
	for _, st := range prepared {
		if err := s.checkSources(st); err != nil {
			return nil, err
		}
	}
	for _, st := range prepared {
		if err := s.checkStream(st); err != nil {
			problems = append(problems, err)
		}
	}
	if len(problems) > 0 {
		return nil, reqErr(ErrInvalid, "%v", errors.Join(problems...))
	}
	if err := s.pinComponents(ctx, prepared, scmurl); err != nil {
		return nil, err
	}

	var out []*ModuleBuild
	err = s.update(ctx, func(tx Tx) error {
		out = nil
		reuseID, err := s.lookupReuse(ctx, tx, req.ReuseComponentsFrom)
		if err != nil {
			return err
		}
		first := prepared[0]
		version := sourceVersion
		var rebuildNote string
		if req.Rebuild {
			v, note, err := s.rebuildVersion(ctx, tx, first, scmurl, sourceVersion)
			if err != nil {
				return err
			}
			version, rebuildNote = v, note
			if req.RebuildReason != "" {
				rebuildNote += " Reason: " + req.RebuildReason
			}
		}
		if !req.Scratch && version == sourceVersion {
			prev, _, err := tx.ListModuleBuilds(ctx, &ModuleBuildFilter{
				Name: first.Name, Stream: first.Stream, SourceVersion: sourceVersion,
				Scratch: new(bool), OrderBy: []Order{{Field: "id"}},
			})
			if err != nil {
				return err
			}
			for _, p := range prev {
				if p.SCMURL != scmurl {
					return reqErr(ErrConflict, "The version %s of %s:%s is already taken by the build %d of %s (a rebuild of an earlier commit); commit again to get a new version", sourceVersion, first.Name, first.Stream, p.ID, p.SCMURL)
				}
			}
			if len(prev) > 0 {
				out, err = s.resume(ctx, tx, prev, req, strategy)
				return err
			}
		}
		v, _ := strconv.ParseUint(version, 10, 64)
		now := s.now()
		for _, st := range prepared {
			st.Version = v
			y, err := encodeStream(st)
			if err != nil {
				return err
			}
			mb := &ModuleBuild{
				Name: st.Name, Stream: st.Stream, Version: version, Context: st.Context,
				State: StateInit, Modulemd: y, Defaults: defaults, SourceVersion: version, SCMURL: scmurl,
				Owner: req.Owner, Scratch: req.Scratch, RebuildStrategy: strategy,
				ReusedModuleID: reuseID, TimeSubmitted: now, TimeModified: now,
			}
			if err := tx.CreateModuleBuild(ctx, mb); err != nil {
				return err
			}
			if err := tx.AddModuleTrace(ctx, mb.ID, StateTrace{Time: now, State: StateInit}); err != nil {
				return err
			}
			if rebuildNote != "" {
				if err := s.logf(ctx, tx, mb.ID, 0, "%s", rebuildNote); err != nil {
					return err
				}
			}
			msg, err := NewModuleMessage(ctx, tx, mb)
			if err != nil {
				return err
			}
			if err := s.publish(ctx, tx, TopicModuleStateChange, msg); err != nil {
				return err
			}
			out = append(out, mb)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, mb := range out {
		s.log.Info("module build submitted", "id", mb.ID, "name", mb.Name, "stream", mb.Stream, "version", mb.Version, "owner", mb.Owner)
	}
	return out, nil
}

// rebuildVersion returns the source version of a rebuild of scmurl (see
// [RebuildVersion]) and a log line saying so; sourceVersion (the commit
// time) when the commit has no build yet.
func (s *Service) rebuildVersion(ctx context.Context, tx Tx, st *modulemd.Stream, scmurl, sourceVersion string) (string, string, error) {
	same, _, err := tx.ListModuleBuilds(ctx, &ModuleBuildFilter{Name: st.Name, Stream: st.Stream, SCMURL: scmurl, Scratch: new(bool)})
	if err != nil {
		return "", "", err
	}
	if len(same) == 0 {
		return sourceVersion, "", nil
	}
	prev := []string{sourceVersion}
	for _, mb := range same {
		switch mb.State {
		case StateInit, StateWait, StateBuild, StateDone:
			return "", "", reqErr(ErrConflict, "Module %s:%s at %s is already being built (build %d, state %s); a rebuild waits until it is ready or failed", st.Name, st.Stream, scmurl, mb.ID, mb.State)
		}
		prev = append(prev, mb.SourceVersion)
	}
	v, err := RebuildVersion(prev)
	if err != nil {
		return "", "", reqErr(ErrInvalid, "Cannot rebuild %s:%s: %v", st.Name, st.Stream, err)
	}
	taken, _, err := tx.ListModuleBuilds(ctx, &ModuleBuildFilter{Name: st.Name, Stream: st.Stream, SourceVersion: v, Scratch: new(bool)})
	if err != nil {
		return "", "", err
	}
	if len(taken) > 0 {
		return "", "", reqErr(ErrConflict, "The rebuild version %s of %s:%s is already taken by the build %d of %s; push a commit to rebuild", v, st.Name, st.Stream, taken[0].ID, taken[0].SCMURL)
	}
	return v, fmt.Sprintf("Rebuild of %s without a new commit: source version %s (the previous builds of this commit have %s).", scmurl, v, strings.Join(prev[1:], ", ")), nil
}

// resume handles a resubmit: failed builds go back to init (if they never
// left it) or wait, other builds are skipped; nothing failed = conflict.
func (s *Service) resume(ctx context.Context, tx Tx, prev []*ModuleBuild, req *SubmitRequest, strategy string) ([]*ModuleBuild, error) {
	var out []*ModuleBuild
	for i, p := range prev {
		// Read again, locking the row: concurrent resubmits (in other
		// processes) resume a build once.
		mb, err := tx.ModuleBuild(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		prev[i] = mb
		if mb.State != StateFailed {
			continue
		}
		if mb.RebuildStrategy != strategy && req.RebuildStrategy != "" {
			return nil, reqErr(ErrInvalid, "You cannot change the module's rebuild strategy when resuming a module build")
		}
		traces, err := tx.ModuleTraces(ctx, mb.ID)
		if err != nil {
			return nil, err
		}
		to := StateInit
		for _, t := range traces {
			if t.State != StateInit && t.State != StateFailed {
				to = StateWait
			}
		}
		comps, _, err := tx.ListComponentBuilds(ctx, &ComponentBuildFilter{ModuleID: mb.ID})
		if err != nil {
			return nil, err
		}
		for _, c := range comps {
			if c.State != nil && *c.State == ComponentComplete {
				continue
			}
			if c.State == nil && c.TaskID == "" {
				continue
			}
			c.TaskID, c.NVR, c.RPMs, c.Licenses = "", "", nil, nil
			c.Attempt++
			if err := s.setComponent(ctx, tx, c, nil, ""); err != nil {
				return nil, err
			}
		}
		mb.Batch = 0
		mb.Owner = req.Owner
		if err := s.transition(ctx, tx, mb, to, "Resubmitted by "+req.Owner); err != nil {
			return nil, err
		}
		if err := s.logf(ctx, tx, mb.ID, 0, "Resubmitted by %s; completed components are kept, the others are built again.", req.Owner); err != nil {
			return nil, err
		}
		out = append(out, mb)
	}
	if len(out) == 0 {
		states := make([]string, len(prev))
		for i, mb := range prev {
			states[i] = mb.State.String()
		}
		return nil, reqErr(ErrConflict, "Module (state=%s) already exists. Only a new build, resubmission of a failed build or build against new buildrequirements is allowed.", strings.Join(states, ", "))
	}
	return out, nil
}

// lookupReuse resolves reuse_components_from to a ready module build id.
func (s *Service) lookupReuse(ctx context.Context, tx Tx, ref string) (int64, error) {
	if ref == "" {
		return 0, nil
	}
	var mb *ModuleBuild
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		mb, err = tx.ModuleBuild(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return 0, reqErr(ErrInvalid, "The module in the reuse_components_from parameter does not exist")
		}
		if err != nil {
			return 0, err
		}
	} else {
		p := strings.Split(ref, ":")
		if len(p) != 4 {
			return 0, reqErr(ErrInvalid, "The reuse_components_from parameter must be a module build id or N:S:V:C, not %q", ref)
		}
		l, _, err := tx.ListModuleBuilds(ctx, &ModuleBuildFilter{Name: p[0], Stream: p[1], Version: p[2], Context: p[3]})
		if err != nil {
			return 0, err
		}
		if len(l) == 0 {
			return 0, reqErr(ErrInvalid, "The module in the reuse_components_from parameter does not exist")
		}
		mb = l[0]
	}
	if mb.State != StateReady {
		return 0, reqErr(ErrInvalid, "The module in the reuse_components_from parameter must be in the ready state")
	}
	return mb.ID, nil
}

// loadDefinition fetches and decodes the module definition: one stream per
// module build to create (packager v3 gives one per configuration).
func (s *Service) loadDefinition(ctx context.Context, req *SubmitRequest) (streams []*modulemd.Stream, defaults string, scmurl, version string, err error) {
	var data []byte
	var file string
	var name, stream string
	switch {
	case req.SCMURL != "" && req.Modulemd != nil:
		return nil, "", "", "", reqErr(ErrInvalid, "Give either scmurl or modulemd, not both")
	case req.SCMURL != "":
		if req.ModuleName != "" || req.ModuleStream != "" {
			return nil, "", "", "", reqErr(ErrInvalid, "Module name and stream can only be given with a modulemd, not with an scmurl")
		}
		u, err := ParseSCMURL(req.SCMURL)
		if err != nil {
			return nil, "", "", "", err
		}
		if !SCMAllowed(s.opts.SCMAllow, u.Repo) {
			return nil, "", "", "", reqErr(ErrForbidden, "The submitted scmurl %s is not allowed", req.SCMURL)
		}
		branch := req.Branch
		if branch == "" {
			if isCommit(u.Ref) {
				return nil, "", "", "", reqErr(ErrInvalid, "Missing branch: the revision %s is a commit, so the branch (the stream) must be given", u.Ref)
			}
			branch = u.Ref
		}
		commit, err := s.scm.ResolveRef(ctx, u.Repo, u.Ref)
		if err != nil {
			return nil, "", "", "", reqErr(ErrInvalid, "Failed to resolve %s in %s: %v", u.Ref, u.Repo, err)
		}
		when, err := s.scm.CommitTime(ctx, u.Repo, commit)
		if err != nil {
			return nil, "", "", "", reqErr(ErrInvalid, "Failed to read commit %s of %s: %v", commit, u.Repo, err)
		}
		name = repoName(u.Repo)
		file = u.Path
		if file == "" {
			file = name + ".yaml"
		}
		data, err = s.scm.ReadFile(ctx, u.Repo, commit, file)
		if err != nil {
			return nil, "", "", "", reqErr(ErrInvalid, "Failed to read %s at commit %s of %s: %v", file, commit, u.Repo, err)
		}
		stream = branch
		version = when.UTC().Format("20060102150405")
		scmurl = u.Repo + "?#" + commit
		if u.Path != "" {
			scmurl = u.Repo + "?" + u.Path + "#" + commit
		}
	default:
		if len(req.Modulemd) == 0 {
			return nil, "", "", "", reqErr(ErrInvalid, "Missing scmurl or modulemd")
		}
		data, file = req.Modulemd, "modulemd"
		version = s.now().Format("20060102150405")
	}
	docs, err := modulemd.Parse(data)
	if err != nil {
		return nil, "", "", "", reqErr(ErrInvalid, "Invalid modulemd %s: %v", file, err)
	}
	// The resolver's reading of a module file: one stream or packager
	// document; packager v3 configurations become static contexts (MBS
	// keeps their context names in the NSVC).
	picked, err := resolver.ModuleDocument(docs)
	if err != nil {
		return nil, "", "", "", reqErr(ErrInvalid, "Invalid modulemd %s: %s", file, strings.TrimPrefix(err.Error(), resolver.ErrInput.Error()+": "))
	}
	for _, st := range picked {
		if st.MDVersionNumber < 2 {
			st, err = modulemd.UpgradeStream(st, 2)
			if err != nil {
				return nil, "", "", "", reqErr(ErrInvalid, "Invalid modulemd %s: %v", file, err)
			}
		}
		streams = append(streams, st)
	}
	for _, st := range streams {
		// Names a packager document left out come from the request.
		if st.Name == modulemd.AutogenModuleName {
			st.Name = ""
		}
		if st.Stream == modulemd.AutogenStreamName {
			st.Stream = ""
		}
		if req.SCMURL != "" {
			if st.Version != 0 {
				return nil, "", "", "", reqErr(ErrInvalid, "The version %q is already defined in the modulemd but it shouldn't be since the version is generated based on the commit time", strconv.FormatUint(st.Version, 10))
			}
			if st.Name == "" {
				st.Name = name
			} else if st.Name != name {
				return nil, "", "", "", reqErr(ErrInvalid, "The name %q in the modulemd does not match the repository name %q", st.Name, name)
			}
			if st.Stream == "" {
				st.Stream = stream
			} else if st.Stream != stream {
				return nil, "", "", "", reqErr(ErrInvalid, "The stream %q that is stored in the modulemd does not match the branch %q", st.Stream, stream)
			}
		} else {
			if st.Name == "" {
				st.Name = req.ModuleName
			}
			if req.ModuleStream != "" {
				st.Stream = req.ModuleStream
			}
			if st.Stream == "" {
				st.Stream = "master"
			}
			if st.Name == "" {
				return nil, "", "", "", reqErr(ErrInvalid, "The module's name was not present in the modulemd file. Please use the \"module_name\" parameter")
			}
		}
		v, _ := strconv.ParseUint(version, 10, 64)
		st.Version = v
		err := editXMD(st, func(root map[string]any) {
			x := subMap(root, "mbs")
			if scmurl != "" {
				x["scmurl"] = scmurl
				x["commit"] = scmurl[strings.LastIndex(scmurl, "#")+1:]
			}
		})
		if err != nil {
			return nil, "", "", "", reqErr(ErrInvalid, "Invalid modulemd %s: %v", file, err)
		}
	}
	defaults, err = definitionDefaults(docs, streams[0].Name)
	if err != nil {
		return nil, "", "", "", reqErr(ErrInvalid, "Invalid modulemd %s: %v", file, err)
	}
	return streams, defaults, scmurl, version, nil
}

// definitionDefaults returns, as YAML, the defaults a module definition
// carries for module name: its modulemd-defaults document, else the one its
// packager v3 default profiles imply. A defaults document for another
// module, or several for this one, is an error: the build publishes one
// module's repository.
func definitionDefaults(docs []modulemd.Document, name string) (string, error) {
	var picked *modulemd.Defaults
	var errs []error
	for _, d := range docs {
		d, ok := d.(*modulemd.Defaults)
		if !ok {
			continue
		}
		switch {
		case d.Module != name:
			errs = append(errs, fmt.Errorf("the modulemd-defaults document is for module %q, but the submitted module is %q", d.Module, name))
		case picked != nil:
			errs = append(errs, fmt.Errorf("more than one modulemd-defaults document for module %q", name))
		default:
			picked = d
		}
	}
	if len(errs) > 0 {
		return "", errors.Join(errs...)
	}
	if picked == nil {
		for _, d := range docs {
			p, ok := d.(*modulemd.Packager)
			if !ok || p.MDVersionNumber < 3 {
				continue
			}
			idx, err := p.ToIndex()
			if err != nil {
				return "", err
			}
			for _, n := range idx.ModuleNames() {
				if def := idx.Defaults(n); def != nil {
					c := *def
					c.Module = name
					picked = &c
				}
			}
		}
	}
	if picked == nil {
		return "", nil
	}
	b, err := modulemd.Marshal(picked)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// branchOverride returns the buildrequire overrides of req plus the one
// Options.BranchStreamRegexes derive from the branch of a git submit, and
// the name of the module so overridden ("" if none).
func (s *Service) branchOverride(req *SubmitRequest) (map[string][]string, string) {
	mod := s.opts.BranchStreamModule
	if len(s.opts.BranchStreamRegexes) == 0 || req.SCMURL == "" || len(req.BuildRequireOverrides[mod]) > 0 {
		return req.BuildRequireOverrides, ""
	}
	branch := req.Branch
	if branch == "" {
		if u, err := ParseSCMURL(req.SCMURL); err == nil && !isCommit(u.Ref) {
			branch = u.Ref
		}
	}
	st := resolver.BranchStream(branch, s.opts.BranchStreamRegexes)
	if st == "" {
		return req.BuildRequireOverrides, ""
	}
	s.log.Info("buildrequired stream overridden from the branch", "module", mod, "stream", st, "branch", branch)
	out := maps.Clone(req.BuildRequireOverrides)
	if out == nil {
		out = map[string][]string{}
	}
	out[mod] = []string{st}
	return out, mod
}

// applyOverrides replaces stream lists in every dependency block. An
// override that applies nowhere is an error, except the buildrequire
// override of module fromBranch, derived from the branch, which is dropped.
func applyOverrides(st *modulemd.Stream, brs, rs map[string][]string, fromBranch string) error {
	check := func(kind string, ov map[string][]string, get func(d modulemd.Dependency) map[string][]string) error {
		var unused []string
		for name, streams := range ov {
			if kind == "buildrequire" && name == fromBranch && fromBranch != "" {
				for _, d := range st.Dependencies {
					if _, ok := d.BuildRequires[name]; ok {
						d.BuildRequires[name] = slices.Clone(streams)
					}
				}
				continue
			}
			used := false
			for _, d := range st.Dependencies {
				if m := get(d); m != nil {
					if _, ok := m[name]; ok {
						m[name] = slices.Clone(streams)
						used = true
					}
				}
			}
			if !used {
				unused = append(unused, name)
			}
		}
		if len(unused) > 0 {
			sort.Strings(unused)
			return reqErr(ErrInvalid, "The %s overrides for the following modules aren't applicable: %s", kind, strings.Join(unused, ", "))
		}
		return nil
	}
	if err := check("buildrequire", brs, func(d modulemd.Dependency) map[string][]string { return d.BuildRequires }); err != nil {
		return err
	}
	return check("require", rs, func(d modulemd.Dependency) map[string][]string { return d.Requires })
}

// staticContexts splits a stream with xmd.mbs_options.contexts into one
// stream per context, each with a single dependency block.
func staticContexts(st *modulemd.Stream) ([]*modulemd.Stream, error) {
	ctxs, ok := xmdGet(st.XMD, "mbs_options", "contexts").(map[string]any)
	if !ok {
		return []*modulemd.Stream{st}, nil
	}
	names := make([]string, 0, len(ctxs))
	for n := range ctxs {
		names = append(names, n)
	}
	sort.Strings(names)
	err := editXMD(st, func(root map[string]any) {
		opts := subMap(root, "mbs_options")
		delete(opts, "contexts")
		if len(opts) == 0 {
			delete(root, "mbs_options")
		}
	})
	if err != nil {
		return nil, err
	}
	var out []*modulemd.Stream
	for _, n := range names {
		spec, _ := ctxs[n].(map[string]any)
		dep := modulemd.Dependency{BuildRequires: map[string][]string{}, Requires: map[string][]string{}}
		for _, key := range []string{"buildrequires", "requires"} {
			m, ok := spec[key].(map[string]any)
			if !ok {
				return nil, reqErr(ErrInvalid, "The context %q is missing %q in xmd.mbs_options.contexts", n, key)
			}
			for mod, v := range m {
				sv, ok := v.(string)
				if !ok || sv == "" || strings.HasPrefix(sv, "-") {
					return nil, reqErr(ErrInvalid, "The stream of %s in %s of context %q must be a non-empty string not starting with \"-\"", mod, key, n)
				}
				if key == "buildrequires" {
					dep.BuildRequires[mod] = []string{sv}
				} else {
					dep.Requires[mod] = []string{sv}
				}
			}
		}
		c := st.Clone()
		c.Context = n
		c.StaticContext = true
		c.Dependencies = []modulemd.Dependency{dep}
		out = append(out, c)
	}
	return out, nil
}

// checkStream applies the submit-time rules on top of modulemd validation.
func (s *Service) checkStream(st *modulemd.Stream) error {
	var errs []error
	if err := modulemd.Validate(st); err != nil {
		errs = append(errs, err)
	}
	if slices.Contains(s.opts.BaseModules, st.Name) {
		errs = append(errs, fmt.Errorf("the module's name %q is a base module name and cannot be built", st.Name))
	}
	if mbs, ok := xmdGet(st.XMD, "mbs").(map[string]any); ok {
		for k := range mbs {
			if k != "scmurl" && k != "commit" {
				errs = append(errs, fmt.Errorf("the xmd.mbs section is reserved for the build service (found xmd.mbs.%s)", k))
			}
		}
	}
	if _, ok := st.Components.RPMs[MacrosPackage]; ok {
		errs = append(errs, fmt.Errorf("the component name %s is reserved for the generated macros package", MacrosPackage))
	}
	for _, name := range slices.Sorted(maps.Keys(st.Components.RPMs)) {
		c := st.Components.RPMs[name]
		if err := CheckComponentName(name); err != nil {
			errs = append(errs, err)
		}
		if c.Name != "" {
			if err := CheckComponentName(c.Name); err != nil {
				errs = append(errs, fmt.Errorf("component %s: name: %w", name, err))
			}
		}
		if c.Repository == "" && s.opts.DefaultRPMRepository == "" {
			errs = append(errs, fmt.Errorf("component %s: no repository given and the service has no default repository", name))
		}
	}
	return errors.Join(errs...)
}

// checkSources refuses components that bring their own repository or
// cache unless the service allows them, and then outside SCMAllow (MBS's
// RPMS_ALLOW_REPOSITORY, RPMS_ALLOW_CACHE and MODULES_ALLOW_REPOSITORY;
// MBS's wording).
func (s *Service) checkSources(st *modulemd.Stream) error {
	for _, name := range slices.Sorted(maps.Keys(st.Components.RPMs)) {
		c := st.Components.RPMs[name]
		if c.Repository != "" {
			if !s.opts.AllowComponentRepository {
				return reqErr(ErrForbidden, "Custom component repositories aren't allowed. %q bears repository %q", name, c.Repository)
			}
			if !SCMAllowed(s.opts.SCMAllow, c.Repository) {
				return reqErr(ErrForbidden, "The repository %s of component %s is not in the list of allowed SCMs", c.Repository, name)
			}
		}
		if c.Cache != "" {
			if !s.opts.AllowComponentCache {
				return reqErr(ErrForbidden, "Custom component caches aren't allowed. %q bears cache %q", name, c.Cache)
			}
			if !SCMAllowed(s.opts.SCMAllow, c.Cache) {
				return reqErr(ErrForbidden, "The cache %s of component %s is not in the list of allowed SCMs", c.Cache, name)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(st.Components.Modules)) {
		c := st.Components.Modules[name]
		if c.Repository == "" {
			continue
		}
		if !s.opts.AllowComponentRepository {
			return reqErr(ErrForbidden, "Custom module repositories aren't allowed. %q bears repository %q", name, c.Repository)
		}
		if !SCMAllowed(s.opts.SCMAllow, c.Repository) {
			return reqErr(ErrForbidden, "The repository %s of module component %s is not in the list of allowed SCMs", c.Repository, name)
		}
	}
	return nil
}

// CheckComponentName checks a component name before any path or URL is
// built from it: a non-empty name of letters, digits and "._+-", not
// starting with "." or "-" (so no "/", no "..", no option look-alike), as
// RPM package names are.
func CheckComponentName(name string) error {
	if name == "" {
		return errors.New("a component name is empty")
	}
	if len(name) > 255 {
		return fmt.Errorf("the component name %.40q... is longer than 255 characters", name)
	}
	if name[0] == '.' || name[0] == '-' {
		return fmt.Errorf("the component name %q starts with %q: expected a letter, digit, _ or +", name, name[:1])
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '+' || r == '-') {
			return fmt.Errorf("the component name %q contains %q: expected letters, digits and . _ + - only", name, r)
		}
	}
	return nil
}

// pinComponents resolves every RPM component's ref to a commit, recording
// it in xmd.mbs.rpms[name].ref, as MBS does at init (we do it at submit so
// the build is reproducible no matter when it runs).
func (s *Service) pinComponents(ctx context.Context, streams []*modulemd.Stream, scmurl string) error {
	type job struct{ repo, ref string }
	jobs := map[job]string{}
	for _, st := range streams {
		for name, c := range st.Components.RPMs {
			jobs[job{s.componentRepo(name, c), c.Ref}] = ""
		}
	}
	var mu sync.Mutex
	var errs []error
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	keys := make([]job, 0, len(jobs))
	for j := range jobs {
		keys = append(keys, j)
	}
	for _, j := range keys {
		wg.Add(1)
		go func(j job) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			commit, err := s.scm.ResolveRef(ctx, j.repo, j.ref)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				ref := j.ref
				if ref == "" {
					ref = "HEAD"
				}
				errs = append(errs, fmt.Errorf("Failed to get the latest commit for %s#%s: %v", j.repo, ref, err))
				return
			}
			jobs[j] = commit
		}(j)
	}
	wg.Wait()
	if len(errs) > 0 {
		sort.Slice(errs, func(i, k int) bool { return errs[i].Error() < errs[k].Error() })
		return reqErr(ErrInvalid, "%v", errors.Join(errs...))
	}
	for _, st := range streams {
		err := editXMD(st, func(root map[string]any) {
			rpms := subMap(root, "mbs", "rpms")
			for name, c := range st.Components.RPMs {
				rpms[name] = map[string]any{"ref": jobs[job{s.componentRepo(name, c), c.Ref}]}
			}
		})
		if err != nil {
			return reqErr(ErrInvalid, "%v", err)
		}
	}
	return nil
}

// componentRepo is the repository of an RPM component.
func (s *Service) componentRepo(name string, c *modulemd.RPMComponent) string {
	if c.Repository != "" {
		return c.Repository
	}
	n := name
	if c.Name != "" {
		n = c.Name
	}
	return s.opts.DefaultRPMRepository + n
}
