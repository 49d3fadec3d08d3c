package bodhitest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/modkit/modkit/bodhi"
	"github.com/modkit/modkit/koji"
)

// BuildrootLimit is Bodhi's buildroot_limit: the most days an override
// may last.
const BuildrootLimit = 31

// override is a buildroot override.
type override struct {
	build     *build
	notes     string
	submitter *user
	submitted time.Time
	expires   time.Time
	expired   time.Time // zero while active
}

func (o *override) json() map[string]any {
	v := bodhi.Override{NVR: o.build.NVR, Notes: o.notes, SubmissionDate: bodhi.Time{Time: o.submitted},
		ExpirationDate: bodhi.Time{Time: o.expires}, ExpiredDate: bodhi.Time{Time: o.expired},
		Submitter: o.submitter.json(), SubmitterID: o.submitter.id, Build: &o.build.Build, BuildID: o.build.id}
	return toMap(v)
}

// overrideTags are the tags an override puts its build into: the
// release's override tag.
func overrideTags(b *build) []string {
	if b.release == nil || b.release.OverrideTag == "" {
		return nil
	}
	return []string{b.release.OverrideTag}
}

// enable tags the build into the override tag through koji (a tagBuild
// task, as Bodhi asks for it) and clears the expiry.
func (s *Server) enable(ctx context.Context, o *override) *apiError {
	for _, tag := range overrideTags(o.build) {
		if _, err := s.koji.TagBuild(ctx, koji.Name(tag), koji.Name(o.build.NVR), nil); err != nil {
			return fail(400, "body", "override", "Unable to save buildroot override: "+kojiMessage(err))
		}
	}
	o.expired = time.Time{}
	return nil
}

// expire untags the build from the override tag (errors are ignored, as
// Bodhi only logs them) and records when.
func (s *Server) expire(ctx context.Context, o *override) {
	if !o.expired.IsZero() {
		return
	}
	for _, tag := range overrideTags(o.build) {
		_ = s.koji.UntagBuild(ctx, koji.Name(tag), koji.Name(o.build.NVR), nil)
	}
	o.expired = s.now()
}

// kojiMessage is what Bodhi shows of a koji error: the fault's text.
func kojiMessage(err error) string {
	var f *koji.Fault
	if errors.As(err, &f) {
		return f.Message
	}
	return err.Error()
}

func (s *Server) now() time.Time { return s.Now().UTC().Truncate(time.Second) }

// overrideBuild finds the build an override names, as Bodhi's
// validate_override_builds does: a build Bodhi knows must be tagged as a
// candidate or testing build of its release; an unknown one is looked up
// in koji, its release found from those tags, and recorded.
func (s *Server) overrideBuild(ctx context.Context, nvr string) (*build, *apiError) {
	if b := s.builds[nvr]; b != nil {
		tags, err := s.koji.ListTags(ctx, &koji.ListTagsOptions{Build: koji.Name(nvr)})
		if err != nil {
			return nil, fail(400, "body", "nvr", fmt.Sprintf("Couldn't determine koji tags for %s, %q", nvr, kojiMessage(err)))
		}
		for _, t := range tags {
			if t.Name == b.release.CandidateTag || t.Name == b.release.TestingTag {
				return b, nil
			}
		}
		return nil, fail(400, "body", "nvr", "Invalid build.  It must be tagged as either candidate or testing.")
	}
	tags, err := s.koji.ListTags(ctx, &koji.ListTagsOptions{Build: koji.Name(nvr)})
	if err != nil {
		return nil, fail(400, "body", "nvr", fmt.Sprintf("Couldn't determine koji tags for %s, %q", nvr, kojiMessage(err)))
	}
	var rel *bodhi.Release
	for _, t := range tags {
		for _, r := range s.releases {
			if rel == nil && (t.Name == r.CandidateTag || t.Name == r.TestingTag) {
				rel = r
			}
		}
	}
	if rel == nil {
		return nil, fail(400, "body", "nvr", "Invalid build")
	}
	b, e := s.kojiBuildIn(ctx, nvr, rel)
	if e != nil {
		return nil, e
	}
	s.addBuild(b)
	return b, nil
}

// parseDateTime reads a colander DateTime.
func parseDateTime(v string) (time.Time, bool) {
	for _, layout := range []string{bodhi.TimeLayout, "2006-01-02T15:04:05", time.RFC3339Nano, "2006-01-02 15:04:05.999999", "2006-01-02T15:04:05.999999", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func (s *Server) saveOverride(rc *reqCtx) (any, *apiError) {
	if !rc.user.in("packager", "provenpackager", "bodhiadmin", "releng") {
		return nil, fail(403, "body", "HTTPForbidden", "Unauthorized: save_override__POST failed permission check")
	}
	ctx := rc.r.Context()
	b := rc.body
	// The schema.
	var errs []errorEntry
	add := func(name, desc string) {
		errs = append(errs, errorEntry{Location: "body", Name: name, Description: desc})
	}
	nvrField, ok := b["nvr"].(string)
	if !ok {
		add("nvr", "Required")
	}
	notes, ok := b["notes"].(string)
	switch {
	case !ok:
		add("notes", "Required")
	case len(notes) < 2:
		add("notes", "Shorter than minimum length 2")
	}
	var expires time.Time
	if v, ok := b["expiration_date"].(string); !ok {
		add("expiration_date", "Required")
	} else if expires, ok = parseDateTime(v); !ok {
		add("expiration_date", "Invalid date")
	}
	expired := false
	if v, ok := b["expired"]; ok && v != nil {
		if expired, ok = v.(bool); !ok {
			add("expired", `"`+fmt.Sprint(v)+`" is neither in (false, 0) nor in (true, 1)`)
		}
	}
	edited, _ := b["edited"].(string)
	if len(errs) > 0 {
		return nil, &apiError{status: 400, errs: errs}
	}
	// validate_override_builds, validate_expiration_date, validate_override_notes.
	nvrs := strings.FieldsFunc(nvrField, func(r rune) bool { return r == ',' || r == ' ' })
	if len(nvrs) == 0 {
		return nil, fail(400, "body", "nvr", "A comma-separated list of NVRs is required.")
	}
	if len(nvrs) != 1 && edited != "" {
		return nil, fail(400, "body", "nvr", "Cannot combine multiple NVRs with editing a buildroot override.")
	}
	var builds []*build
	for _, nvr := range nvrs {
		bl, e := s.overrideBuild(ctx, nvr)
		if e != nil {
			return nil, e
		}
		builds = append(builds, bl)
	}
	today := s.now()
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	if !day(expires).After(day(today)) {
		return nil, fail(400, "body", "expiration_date", "Expiration date in the past")
	}
	if day(expires).After(day(today).AddDate(0, 0, BuildrootLimit)) {
		return nil, fail(400, "body", "expiration_date", fmt.Sprintf("Expiration date may not be longer than %d", BuildrootLimit))
	}
	if len(notes) > 2000 {
		return nil, fail(400, "body", "notes", "Notes may not contain more than 2000 chars")
	}

	caveats := []bodhi.Caveat{}
	if edited != "" {
		eb := s.builds[edited]
		if eb == nil {
			return nil, fail(400, "body", "edited", "No such build")
		}
		o := s.overrides[eb.NVR]
		if o == nil {
			return nil, fail(400, "body", "edited", "No buildroot override for this build")
		}
		o.submitter, o.notes, o.expires = rc.user, notes, expires
		if !o.expired.IsZero() && o.expires.After(s.now()) {
			if e := s.enable(ctx, o); e != nil {
				return nil, e
			}
		} else if expired {
			s.expire(ctx, o)
		}
		return withKey(o.json(), "caveats", caveats), nil
	}
	if len(builds) > 1 {
		caveats = append(caveats, bodhi.Caveat{Name: "nvrs", Description: fmt.Sprintf("Your override submission was split into %d.", len(builds))})
	}
	var made []map[string]any
	for _, bl := range builds {
		if o := s.overrides[bl.NVR]; o != nil {
			exp := expires
			if o.expired.IsZero() && o.expires.After(exp) {
				exp = o.expires
			}
			merged := notes + "\n_____________\n_@" + o.submitter.name + " (" + o.submitted.Format("Jan 02, 2006") + ")_\n" + o.notes
			if len(merged) > 2000 {
				merged = merged[:1972] + "(...)\n___Notes truncated___"
			}
			o.submitter, o.submitted, o.notes, o.expires = rc.user, s.now(), merged, exp
			if !o.expired.IsZero() && o.expires.After(s.now()) {
				if e := s.enable(ctx, o); e != nil {
					return nil, e
				}
			}
			made = append(made, o.json())
			continue
		}
		// An active override of another build of the package in the
		// release is superseded.
		for _, other := range s.overrideList {
			if other.build != bl && other.build.pkg == bl.pkg && other.build.release == bl.release && other.expired.IsZero() {
				s.expire(ctx, other)
			}
		}
		o := &override{build: bl, notes: notes, submitter: rc.user, submitted: s.now(), expires: expires}
		// Bodhi records the override before koji tags the build, and
		// keeps it when koji refuses (its error answer does not roll the
		// transaction back).
		s.overrides[bl.NVR] = o
		s.overrideList = append(s.overrideList, o)
		if e := s.enable(ctx, o); e != nil {
			return nil, e
		}
		made = append(made, o.json())
	}
	if len(made) > 1 {
		return map[string]any{"overrides": made, "caveats": caveats}, nil
	}
	return withKey(made[0], "caveats", caveats), nil
}

func withKey(m map[string]any, k string, v any) map[string]any {
	m[k] = v
	return m
}

func (s *Server) getOverride(nvr string) (any, *apiError) {
	b := s.builds[nvr]
	if b == nil {
		return nil, fail(404, "url", "nvr", "No such build")
	}
	o := s.overrides[nvr]
	if o == nil {
		return nil, fail(404, "url", "nvr", "No buildroot override for this build")
	}
	return map[string]any{"override": o.json()}, nil
}

func (s *Server) listOverrides(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	if v := q.Get("expired"); v != "" && v != "true" && v != "false" && v != "1" && v != "0" {
		return nil, fail(400, "querystring", "expired", `"`+v+`" is neither in (false, 0) nor in (true, 1)`)
	}
	anyOf := func(key string, f func(string) bool) bool {
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
	// Newest submission first.
	list := slices.Clone(s.overrideList)
	slices.Reverse(list)
	slices.SortStableFunc(list, func(a, b *override) int { return b.submitted.Compare(a.submitted) })
	var out []map[string]any
	for _, o := range list {
		switch q.Get("expired") {
		case "true", "1":
			if o.expired.IsZero() {
				continue
			}
		case "false", "0":
			if !o.expired.IsZero() {
				continue
			}
		}
		if !anyOf("builds", func(v string) bool { return v == o.build.NVR }) ||
			!anyOf("packages", func(v string) bool { return v == o.build.pkg }) ||
			!anyOf("releases", func(v string) bool { return strings.EqualFold(v, o.build.release.Name) }) ||
			!anyOf("user", func(v string) bool { return v == o.submitter.name }) ||
			(q.Get("like") != "" && !strings.Contains(o.build.NVR, q.Get("like"))) ||
			(q.Get("search") != "" && !strings.Contains(strings.ToLower(o.build.NVR), strings.ToLower(q.Get("search")))) {
			continue
		}
		out = append(out, o.json())
	}
	return pageOf(r, "overrides", out)
}
