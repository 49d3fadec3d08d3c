package bodhitest

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/modkit/modkit/bodhi"
	"github.com/modkit/modkit/internal/rpmver"
	"github.com/modkit/modkit/koji"
)

// Defaults of a new update, as in Bodhi's schema.
const (
	defaultStableKarma   = 3
	defaultUnstableKarma = -3
)

func ptr[T any](v T) *T { return &v }

// json returns the update as Bodhi shows it.
func (u *update) json() bodhi.Update {
	v := u.Update
	v.UpdateID = v.Alias
	v.Release = u.release
	v.User = u.user.json()
	v.Builds = make([]bodhi.Build, len(u.builds))
	for i, b := range u.builds {
		v.Builds[i] = b.Build
	}
	if v.Bugs == nil {
		v.Bugs = []bodhi.Bug{}
	}
	if v.Comments == nil {
		v.Comments = []bodhi.Comment{}
	}
	v.TestCases = []bodhi.TestCase{}
	v.URL = u.base + "updates/" + v.Alias
	v.MeetsTestingRequirements = true
	return v
}

func (s *Server) listUpdates(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	var out []bodhi.Update
	// Newest first, as Bodhi orders by date_submitted descending.
	for i := len(s.updates) - 1; i >= 0; i-- {
		u := s.updates[i]
		if !matchUpdate(u, q) {
			continue
		}
		out = append(out, u.json())
	}
	return pageOf(r, "updates", out)
}

func matchUpdate(u *update, q map[string][]string) bool {
	any := func(key string, f func(string) bool) bool {
		vs := q[key]
		if len(vs) == 0 {
			return true
		}
		for _, v := range vs {
			for _, x := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
				if f(x) {
					return true
				}
			}
		}
		return false
	}
	hasBuild := func(f func(*build) bool) bool {
		for _, b := range u.builds {
			if f(b) {
				return true
			}
		}
		return false
	}
	return any("alias", func(v string) bool { return v == u.Alias }) &&
		any("releases", func(v string) bool { return strings.EqualFold(v, u.release.Name) }) &&
		any("release", func(v string) bool { return strings.EqualFold(v, u.release.Name) }) &&
		any("status", func(v string) bool { return v == u.Status }) &&
		any("request", func(v string) bool { return v == u.RequestOrEmpty() }) &&
		any("type", func(v string) bool { return v == u.Type }) &&
		any("content_type", func(v string) bool { return u.ContentType != nil && v == *u.ContentType }) &&
		any("user", func(v string) bool { return v == u.user.name }) &&
		any("builds", func(v string) bool { return hasBuild(func(b *build) bool { return b.NVR == v }) }) &&
		any("packages", func(v string) bool { return hasBuild(func(b *build) bool { return b.pkg == v }) }) &&
		any("like", func(v string) bool { return strings.Contains(u.Title, v) }) &&
		any("from_side_tag", func(v string) bool {
			return (v == "true" || v == "1") == (u.FromTag != nil) && contains([]string{"true", "false", "1", "0"}, v)
		}) &&
		any("search", func(v string) bool {
			return strings.Contains(strings.ToLower(u.Title), strings.ToLower(v)) || strings.Contains(u.Alias, v)
		})
}

func (s *Server) getUpdate(rc *reqCtx, alias string) (any, *apiError) {
	u := s.update(alias)
	if u == nil {
		return nil, fail(404, "url", "id", "Invalid update id")
	}
	canEdit := rc.user != nil && (rc.user.name == u.user.name || rc.user.name == PackagerUser || rc.user.in("provenpackager", "releng"))
	return map[string]any{"update": u.json(), "can_edit": canEdit, "ci_allowed": false}, nil
}

// kojiBuild looks a build up in koji and finds its release by tag.
// inherited names the tags a side tag inherits from, which Bodhi adds to
// the build's own when it looks for the release.
func (s *Server) kojiBuild(ctx context.Context, nvr string, inherited []string) (*build, *apiError) {
	if b := s.builds[nvr]; b != nil {
		return b, nil
	}
	kb, err := s.koji.GetBuild(ctx, koji.Name(nvr))
	if errors.Is(err, koji.ErrNotFound) {
		return nil, fail(400, "body", "builds", "Build does not exist: "+nvr)
	}
	if err != nil {
		return nil, fail(400, "body", "builds", "Koji error getting build: "+nvr)
	}
	tags, err := s.koji.ListTags(ctx, &koji.ListTagsOptions{Build: koji.ID(kb.ID)})
	if err != nil {
		return nil, fail(400, "body", "builds", "Koji error getting build: "+nvr)
	}
	var rel *bodhi.Release
	names := inherited
	for _, t := range tags {
		names = append(names, t.Name)
	}
	for _, t := range names {
		for _, r := range s.releases {
			if t == r.CandidateTag || t == r.TestingTag || t == r.StableTag {
				rel = r
			}
		}
	}
	if rel == nil {
		return nil, fail(400, "body", "builds", "Cannot find release associated with build: "+nvr+", tags: "+tagNames(tags))
	}
	return s.newBuild(kb, nvr, rel), nil
}

// newBuild makes Bodhi's build of a koji build in release rel (not yet
// recorded: see addBuild).
func (s *Server) newBuild(kb *koji.Build, nvr string, rel *bodhi.Release) *build {
	b := &build{Build: bodhi.Build{NVR: nvr, Type: bodhi.ContentRPM, Epoch: kb.Epoch}, pkg: kb.Name, release: rel,
		vr: kb.Version + "-" + kb.Release}
	if mi := kb.ModuleInfo(); mi != nil {
		b.Type = bodhi.ContentModule
		// Bodhi names a module package name:<koji version>, which is
		// the stream with "-" turned into "_".
		b.pkg = mi.Name + ":" + kb.Version
		b.Epoch = nil
	} else if b.Epoch == nil {
		b.Epoch = ptr(0)
	}
	id := int64(0)
	for _, r := range s.releases {
		id++
		if r == rel {
			b.ReleaseID = ptr(id)
		}
	}
	return b
}

// kojiBuildIn reads a build from koji for release rel.
func (s *Server) kojiBuildIn(ctx context.Context, nvr string, rel *bodhi.Release) (*build, *apiError) {
	kb, err := s.koji.GetBuild(ctx, koji.Name(nvr))
	if err != nil {
		return nil, fail(400, "body", "nvr", "Invalid build")
	}
	return s.newBuild(kb, nvr, rel), nil
}

// addBuild records a build (Bodhi's builds table).
func (s *Server) addBuild(b *build) {
	if b.id == 0 {
		s.nextID++
		b.id = s.nextID
	}
	s.builds[b.NVR] = b
}

func tagNames(tags []koji.Tag) string {
	names := make([]string, len(tags))
	for i, t := range tags {
		names[i] = "'" + t.Name + "'"
	}
	return "[" + strings.Join(names, ", ") + "]"
}

func strList(v any) ([]string, bool) {
	switch v := v.(type) {
	case nil:
		return nil, true
	case string:
		return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }), true
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, false
			}
			out = append(out, strings.TrimSpace(s))
		}
		return out, true
	}
	return nil, false
}

func intField(body map[string]any, key string, def int) (int, bool) {
	switch v := body[key].(type) {
	case nil:
		return def, true
	case float64:
		return int(v), v == float64(int(v))
	case string:
		n, err := strconv.Atoi(v)
		return n, err == nil
	}
	return 0, false
}

func (s *Server) saveUpdate(rc *reqCtx) (any, *apiError) {
	b := rc.body
	ctx := rc.r.Context()
	var errs []errorEntry
	add := func(name, desc string) {
		errs = append(errs, errorEntry{Location: "body", Name: name, Description: desc})
	}
	notes := str(b, "notes")
	if len(strings.TrimSpace(notes)) < 2 {
		add("notes", "Shorter than minimum length 2")
	}
	typ := str(b, "type")
	if typ == "" {
		add("type", "Required")
	} else if !contains([]string{"bugfix", "security", "newpackage", "enhancement", "unspecified"}, typ) {
		add("type", `"`+typ+`" is not one of newpackage, security, bugfix, enhancement, unspecified`)
	}
	severity := orDefault(str(b, "severity"), "unspecified")
	if typ == "security" && severity == "unspecified" {
		add("severity", "Must specify severity for a security update")
	}
	stableKarma, ok1 := intField(b, "stable_karma", defaultStableKarma)
	unstableKarma, ok2 := intField(b, "unstable_karma", defaultUnstableKarma)
	stableDays, ok3 := intField(b, "stable_days", 0)
	if !ok1 || stableKarma < 1 {
		add("stable_karma", fmt.Sprint(stableKarma)+" is less than minimum value 1")
	}
	if !ok2 || unstableKarma > -1 {
		add("unstable_karma", fmt.Sprint(unstableKarma)+" is greater than maximum value -1")
	}
	if !ok3 || stableDays < 0 {
		add("stable_days", fmt.Sprint(stableDays)+" is less than minimum value 0")
	}
	nvrs, ok := strList(b["builds"])
	if !ok {
		add("builds", "The builds parameter must be a list.")
	} else if len(nvrs) == 0 && str(b, "from_tag") == "" {
		errs = append(errs, errorEntry{Location: "body", Name: "builds,from_tag", Description: "You must specify either builds or from_tag."},
			errorEntry{Location: "body", Name: "builds", Description: noACLs})
	}
	if len(errs) > 0 {
		return nil, &apiError{status: 400, errs: errs}
	}
	fromTag := str(b, "from_tag")
	side, e := s.sideTag(ctx, fromTag, str(b, "edited"), nvrs)
	if e != nil {
		if e.errs[0].Description != sideTagTaken && len(nvrs) == 0 {
			// Bodhi's later validators find no builds to check ACLs on.
			e.errs = append(e.errs, errorEntry{Location: "body", Name: "builds", Description: noACLs})
		}
		return nil, e
	}
	if side != nil {
		nvrs = side.builds
	}
	var builds []*build
	seenNVR, seenPkg := map[string]bool{}, map[string]bool{}
	for _, nvr := range nvrs {
		if seenNVR[nvr] {
			return nil, fail(400, "body", "builds", "Duplicate builds: "+nvr)
		}
		seenNVR[nvr] = true
		var inherited []string
		if side != nil {
			inherited = side.inherited
		}
		bl, e := s.kojiBuild(ctx, nvr, inherited)
		if e != nil {
			return nil, e
		}
		if side != nil {
			tags, err := s.koji.ListTags(ctx, &koji.ListTagsOptions{Build: koji.Name(nvr)})
			if err != nil || !slices.ContainsFunc(tags, func(t koji.Tag) bool { return t.Name == fromTag }) {
				return nil, fail(400, "body", "builds", "Invalid build: "+nvr+" not tagged in "+fromTag)
			}
		}
		if seenPkg[bl.pkg+"\x00"+bl.release.Name] {
			return nil, fail(400, "body", "builds", "Multiple "+bl.pkg+" builds specified in "+bl.release.Name)
		}
		seenPkg[bl.pkg+"\x00"+bl.release.Name] = true
		builds = append(builds, bl)
	}
	if side != nil {
		// A side-tag update is its owner's: the usual commit-access
		// check is not made.
		if side.owner == "" {
			return nil, fail(400, "body", "builds", "Update appear to be from side-tag, but we cannot determine the side-tag owner")
		}
		if side.owner != rc.user.name {
			return nil, &apiError{status: 403, errs: []errorEntry{{Location: "body", Name: "builds",
				Description: rc.user.name + " does not own " + fromTag + " side-tag"}}}
		}
	} else if !rc.user.in("provenpackager", "releng") && !contains([]string{"ralph", "bowlofeggs", "guest", PackagerUser}, rc.user.name) {
		return nil, &apiError{status: 403, errs: []errorEntry{{Location: "body", Name: "builds",
			Description: rc.user.name + " does not have commit access to " + builds[0].pkg}}}
	}
	ct := builds[0].Type
	for _, bl := range builds[1:] {
		if bl.Type != ct {
			return nil, fail(400, "body", "builds", "An update must contain builds of the same type.")
		}
	}
	edited := str(b, "edited")
	var old *update
	if edited != "" {
		old = s.update(edited)
		if old == nil {
			return nil, fail(400, "body", "edited", "Invalid update: "+edited)
		}
		if old.Locked {
			return nil, fail(400, "body", "builds", "Can't add builds to a locked update")
		}
	}
	for _, bl := range builds {
		if bl.update != nil && bl.update != old {
			return nil, fail(400, "body", "builds", "Update for "+bl.NVR+" already exists")
		}
	}
	now := bodhi.Time{Time: s.Now().UTC().Truncate(time.Second)}
	// Split by release: one update per release.
	byRel := map[*bodhi.Release][]*build{}
	var order []*bodhi.Release
	for _, bl := range builds {
		if byRel[bl.release] == nil {
			order = append(order, bl.release)
		}
		byRel[bl.release] = append(byRel[bl.release], bl)
	}
	if old != nil && (len(order) != 1 || order[0] != old.release) {
		return nil, fail(400, "body", "builds", "Cannot add a "+order[0].Name+" build to an "+old.release.Name+" update")
	}
	var caveats []bodhi.Caveat
	var made []bodhi.Update
	for _, rel := range order {
		u := old
		if u == nil {
			u = &update{release: rel, user: rc.user, base: s.URL}
			u.Alias = s.newAlias(rel.IDPrefix)
			u.Status = bodhi.StatusPending
			u.DateSubmitted = now
			u.Request = ptr(orDefault(str(b, "request"), bodhi.RequestTesting))
			if side != nil {
				// Bodhi's signed consumer requests testing for a
				// side-tag update once its builds are signed.
				u.Request = nil
				u.FromTag = ptr(fromTag)
			}
			u.Autokarma, u.Autotime = true, true
			u.RequireBugs, u.RequireTestcases, u.CloseBugs = true, true, true
			s.nextID++
			u.id = s.nextID
			u.ContentType = ptr(ct)
			u.Severity, u.Suggest = "unspecified", "unspecified"
			u.TestGatingStatus = nil
		} else {
			for _, ob := range u.builds {
				ob.update = nil
			}
			u.DateModified = now
		}
		u.builds = byRel[rel]
		for _, bl := range u.builds {
			bl.update = u
			s.addBuild(bl)
		}
		u.Notes, u.Type, u.Severity = notes, typ, severity
		if v := str(b, "suggest"); v != "" {
			u.Suggest = v
		}
		u.DisplayName = str(b, "display_name")
		u.StableKarma, u.UnstableKarma, u.StableDays = ptr(stableKarma), ptr(unstableKarma), ptr(stableDays)
		for key, dst := range map[string]*bool{"autokarma": &u.Autokarma, "autotime": &u.Autotime,
			"close_bugs": &u.CloseBugs, "require_bugs": &u.RequireBugs, "require_testcases": &u.RequireTestcases} {
			if v, ok := b[key].(bool); ok {
				*dst = v
			}
		}
		nv := make([]string, len(u.builds))
		for i, bl := range u.builds {
			nv[i] = bl.NVR
		}
		u.Title = strings.Join(nv, " ")
		u.VersionHash = fmt.Sprintf("%x", sha1.Sum([]byte(u.Title)))
		if old == nil {
			s.updates = append(s.updates, u)
			if u.RequestOrEmpty() != "" {
				u.Comments = append(u.Comments, s.comment(u, nil, "This update has been submitted for "+u.RequestOrEmpty()+" by "+rc.user.name+". ", 0, now))
			}
			caveats = append(caveats, s.obsoleteOlder(u, now)...)
		}
		made = append(made, u.json())
		if side != nil && old == nil {
			s.tagSideTagBuilds(ctx, u)
		}
	}
	if caveats == nil {
		caveats = []bodhi.Caveat{}
	}
	if len(made) == 1 {
		return withCaveats(made[0], caveats), nil
	}
	return map[string]any{"updates": made, "caveats": caveats}, nil
}

// withCaveats merges "caveats" into the update's JSON object.
func withCaveats(u bodhi.Update, caveats []bodhi.Caveat) map[string]any {
	m := toMap(u)
	m["caveats"] = caveats
	return m
}

// obsoleteOlder obsoletes, as Bodhi's Update.obsolete_older_updates does,
// older pending or testing updates of the same release whose builds are of
// packages nu also carries, with an older version, and which have no
// stable request (or nu has one too). It runs when an update is created
// and when one is requested for stable.
func (s *Server) obsoleteOlder(nu *update, now bodhi.Time) []bodhi.Caveat {
	var caveats []bodhi.Caveat
	pkgs := map[string]bool{}
	for _, b := range nu.builds {
		pkgs[b.pkg] = true
	}
	for _, nb := range nu.builds {
		for _, ou := range s.updates {
			if ou == nu || ou.release != nu.release || ou.Locked {
				continue
			}
			if ou.Status != bodhi.StatusPending && ou.Status != bodhi.StatusTesting {
				continue
			}
			if ou.RequestOrEmpty() == bodhi.RequestStable && nu.RequestOrEmpty() != bodhi.RequestStable {
				continue
			}
			for _, ob := range ou.builds {
				if ob.pkg != nb.pkg || ob.NVR == nb.NVR || rpmver.CompareEVRStrings(ob.vr, nb.vr) >= 0 {
					continue
				}
				all := true
				for _, b := range ou.builds {
					all = all && pkgs[b.pkg]
				}
				if !all {
					continue
				}
				ou.Status = bodhi.StatusObsolete
				ou.Request = nil
				caveats = append(caveats, bodhi.Caveat{Name: "update",
					Description: "This update has obsoleted " + ob.NVR + ", and has inherited its bugs and notes."})
				if !strings.Contains(nu.Notes, ou.Notes) {
					nu.Notes += "\n\n----\n\n" + ou.Notes
				}
				ou.Comments = append(ou.Comments, s.comment(ou, nil, "This update has been obsoleted by ["+nu.Title+"]("+nu.base+"updates/"+nu.Alias+").", 0, now))
				break
			}
		}
	}
	return caveats
}

func (s *Server) setRequest(rc *reqCtx, alias string) (any, *apiError) {
	u := s.update(alias)
	if u == nil {
		return nil, fail(404, "url", "id", "Invalid update id")
	}
	action := str(rc.body, "request")
	if !contains([]string{"testing", "stable", "obsolete", "unpush", "revoke"}, action) {
		return nil, fail(400, "body", "request", `"`+action+`" is not one of testing, stable, obsolete, unpush, revoke`)
	}
	if rc.user.name != u.user.name && rc.user.name != PackagerUser && !rc.user.in("provenpackager", "releng") {
		return nil, &apiError{status: 403, errs: []errorEntry{{Location: "body", Name: "builds",
			Description: rc.user.name + " does not have commit access to " + u.builds[0].pkg}}}
	}
	if u.Status == bodhi.StatusStable && action == bodhi.RequestTesting {
		return nil, fail(400, "body", "request", "Pushing back to testing a stable update is not allowed")
	}
	if action == u.Status || action == u.RequestOrEmpty() {
		return map[string]any{"update": u.json()}, nil
	}
	if u.Locked {
		return nil, fail(400, "body", "request", "Can't change the request on a locked update")
	}
	if !u.release.ComposedByBodhi && action == bodhi.RequestStable {
		return nil, fail(400, "body", "request", "Setting a request on an Update for a Release not composed by Bodhi is not allowed")
	}
	switch action {
	case bodhi.RequestUnpush:
		if u.Status != bodhi.StatusTesting {
			return nil, fail(400, "body", "request", "Can't unpush a "+u.Status+" update")
		}
		u.Status, u.Request, u.Pushed = bodhi.StatusUnpushed, nil, false
	case bodhi.RequestObsolete:
		u.Status, u.Request = bodhi.StatusObsolete, nil
	case bodhi.RequestRevoke:
		if u.Request == nil {
			return nil, fail(400, "body", "request", "Can only revoke an update with an existing request")
		}
		if u.Status == bodhi.StatusPending && u.RequestOrEmpty() == bodhi.RequestTesting {
			u.Status = bodhi.StatusUnpushed
		}
		u.Request = nil
	case bodhi.RequestStable:
		if s.MandatoryDaysInTesting > 0 && u.Karma < *u.StableKarma && !s.meetsTime(u) {
			if u.Status == bodhi.StatusTesting || u.RequestOrEmpty() == bodhi.RequestTesting {
				if u.Status == bodhi.StatusTesting {
					u.Request = nil
				}
				return nil, fail(400, "body", "request", notTestedMsg)
			}
			action = bodhi.RequestTesting
		}
		fallthrough
	default:
		if u.Status == bodhi.StatusObsolete || u.Status == bodhi.StatusUnpushed {
			u.Status = bodhi.StatusPending
		}
		u.Request = ptr(action)
		u.Comments = append(u.Comments, s.comment(u, nil, "This update has been submitted for "+action+" by "+rc.user.name+". ", 0,
			bodhi.Time{Time: s.Now().UTC().Truncate(time.Second)}))
		if action == bodhi.RequestStable {
			s.obsoleteOlder(u, bodhi.Time{Time: s.Now().UTC().Truncate(time.Second)})
		}
	}
	return map[string]any{"update": u.json()}, nil
}

// notTestedMsg is Bodhi's not_yet_tested_msg.
const notTestedMsg = "This update has not yet met the minimum testing requirements defined in the <a href=\"https://docs.fedoraproject.org/en-US/fesco/Updates_Policy/\">Package Update Acceptance Criteria</a>"

// meetsTime reports whether an update in testing spent its stable_days.
func (s *Server) meetsTime(u *update) bool {
	if u.Status != bodhi.StatusTesting || u.DateTesting.IsZero() || u.StableDays == nil {
		return false
	}
	return s.Now().Sub(u.DateTesting.Time) >= time.Duration(*u.StableDays)*24*time.Hour && *u.StableDays > 0
}

// CheckTime applies autotime: every update in testing with autotime whose
// stable_days have passed, and no negative karma, gets a stable request.
func (s *Server) CheckTime() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.updates {
		if u.Autotime && u.Status == bodhi.StatusTesting && u.Request == nil && u.Karma >= 0 && s.meetsTime(u) {
			u.Request = ptr(bodhi.RequestStable)
		}
	}
}

func (s *Server) listBuilds(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	var out []bodhi.Build
	for _, nvr := range sortedKeys(s.builds) {
		bl := s.builds[nvr]
		if v := q.Get("nvr"); v != "" && v != nvr {
			continue
		}
		if rs := q["releases"]; len(rs) > 0 && !contains(rs, bl.release.Name) {
			continue
		}
		if ps := q["packages"]; len(ps) > 0 && !contains(ps, bl.pkg) {
			continue
		}
		if us := q["updates"]; len(us) > 0 && (bl.update == nil || !contains(us, bl.update.Alias)) {
			continue
		}
		out = append(out, bl.Build)
	}
	return pageOf(r, "builds", out)
}

func (s *Server) listPackages(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	seen := map[string]string{}
	for _, bl := range s.builds {
		seen[bl.pkg] = bl.Type
	}
	var out []bodhi.Package
	for _, name := range sortedKeys(seen) {
		if v := q.Get("name"); v != "" && v != name {
			continue
		}
		if v := q.Get("like"); v != "" && !strings.Contains(name, v) {
			continue
		}
		out = append(out, bodhi.Package{Name: name, Type: seen[name]})
	}
	return pageOf(r, "packages", out)
}

func (s *Server) listUsers(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	var out []bodhi.User
	for _, name := range sortedKeys(s.users) {
		if v := q.Get("name"); v != "" && v != name {
			continue
		}
		if gs := q["groups"]; len(gs) > 0 && !s.users[name].in(gs...) {
			continue
		}
		out = append(out, *s.users[name].json())
	}
	return pageOf(r, "users", out)
}

func (s *Server) latestBuilds(r *http.Request) any {
	pkg := r.URL.Query().Get("package")
	out := map[string]string{}
	ctx := r.Context()
	for _, rel := range s.releases {
		for _, tag := range []string{rel.CandidateTag, rel.TestingTag, rel.StableTag, rel.PendingTestingTag, rel.PendingStableTag, rel.OverrideTag} {
			if tag == "" {
				continue
			}
			bs, err := s.koji.GetLatestBuilds(ctx, koji.Name(tag), &koji.LatestBuildsOptions{Package: pkg})
			if err == nil && len(bs) > 0 {
				out[tag] = bs[0].NVR
			}
		}
	}
	return out
}

// Bodhi's answers about side tags and ACLs.
const (
	sideTagTaken = "Update already exists using this side tag"
	noACLs       = "ACL validation mechanism was unable to determine ACLs."
)

// sideTagInfo is what Bodhi's validate_from_tag learns of a side tag.
type sideTagInfo struct {
	owner     string   // extra.sidetag_user
	inherited []string // the tags it inherits from
	builds    []string // the builds of the update
}

// sideTag checks a from_tag as Bodhi's validate_from_tag does: no other
// update from it, a koji tag whose extra marks it a side tag (as koji's
// sidetag plugin creates them), and builds (those given, or the latest
// of each package tagged in it). It returns nil when tag is "".
func (s *Server) sideTag(ctx context.Context, tag, edited string, nvrs []string) (*sideTagInfo, *apiError) {
	if tag == "" {
		return nil, nil
	}
	for _, u := range s.updates {
		if u.FromTag != nil && *u.FromTag == tag && u.Alias != edited {
			return nil, fail(400, "body", "from_tag", sideTagTaken)
		}
	}
	kt, err := s.koji.GetTag(ctx, koji.Name(tag), nil)
	if err != nil || kt == nil {
		return nil, fail(400, "body", "from_tag", "The supplied from_tag doesn't exist.")
	}
	if !truthy(kt.Extra["sidetag"]) {
		return nil, fail(400, "body", "from_tag", "The supplied tag is not a side tag.")
	}
	info := &sideTagInfo{builds: nvrs}
	info.owner, _ = kt.Extra["sidetag_user"].(string)
	chain, err := s.koji.GetFullInheritance(ctx, koji.Name(tag), nil)
	if err != nil {
		return nil, fail(400, "body", "from_tag", "Koji error getting the inheritance of "+tag+": "+kojiMessage(err))
	}
	for _, l := range chain {
		info.inherited = append(info.inherited, l.Name)
	}
	if len(nvrs) == 0 {
		tagged, err := s.koji.ListTagged(ctx, koji.Name(tag), &koji.ListTaggedOptions{Latest: true})
		if err != nil {
			return nil, fail(400, "body", "from_tag", "The supplied from_tag doesn't exist.")
		}
		for _, b := range tagged {
			info.builds = append(info.builds, b.NVR)
		}
		if len(info.builds) == 0 {
			return nil, fail(400, "body", "from_tag", "The supplied from_tag doesn't contain any builds.")
		}
	}
	return info, nil
}

// truthy is Python's truth of a JSON value.
func truthy(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return v != ""
	case float64:
		return v != 0
	case int, int64:
		return v != 0
	case nil:
		return false
	}
	return true
}

// tagSideTagBuilds does what Bodhi's handle_side_and_related_tags task
// does for a release Bodhi composes: it asks koji to tag the update's
// builds into the pending-signing and candidate tags (errors are only
// logged there, and ignored here).
func (s *Server) tagSideTagBuilds(ctx context.Context, u *update) {
	for _, bl := range u.builds {
		for _, tag := range []string{u.release.PendingSigningTag, u.release.CandidateTag} {
			if tag != "" {
				_, _ = s.koji.TagBuild(ctx, koji.Name(tag), koji.Name(bl.NVR), nil)
			}
		}
	}
}
