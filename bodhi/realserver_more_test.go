package bodhi_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/modkit/modkit/bodhi"
	"github.com/modkit/modkit/koji"
)

func ptr[T any](v T) *T { return &v }

// wantRefusal checks that err is a *bodhi.Error with status and an entry
// about field.
func wantRefusal(t *testing.T, what string, err error, status int, field string) {
	t.Helper()
	var e *bodhi.Error
	if !errors.As(err, &e) || e.StatusCode != status {
		t.Errorf("%s: err = %v, want HTTP %d", what, err, status)
		return
	}
	if field != "" && e.Field(field) == nil {
		t.Errorf("%s: %v: no error about %q", what, e, field)
	}
}

// overrideScenario creates, reads, lists, edits, expires and re-creates a
// buildroot override, and checks Bodhi's refusals.
func overrideScenario(t *testing.T, s *realServer, rel modularRelease, name string) {
	ctx := context.Background()
	anon, pkgr := s.client(t), s.packager(t)
	cand := rel.tag("updates-candidate")
	// A build Bodhi has not seen yet (no update): Bodhi learns it from koji.
	b := importModule(t, s, name, "ovr", 20260401000000, "0000beef", cand)
	// Bodhi tags an override's build into the release's override tag,
	// which koji refuses for a package not in the tag's package list.
	_, _, err := pkgr.SaveOverride(ctx, &bodhi.OverrideInput{NVR: b.NVR, Notes: "Not in the package list.",
		ExpirationDate: bodhi.Time{Time: time.Now().UTC().Add(24 * time.Hour)}})
	wantRefusal(t, "package not in the override tag", err, 400, "override")
	// Bodhi's quirk: the refused override is recorded all the same (the
	// error is reported, the transaction still commits), so the next one
	// is an edit of it that keeps its notes below the new ones.
	if err := s.Koji.AddPackage(ctx, koji.Name(rel.tag("override")), name, &koji.AddPackageOptions{Owner: s.KojiAdmin}); err != nil {
		t.Fatal(err)
	}
	exp := time.Now().UTC().Add(7 * 24 * time.Hour).Truncate(time.Second)
	o, caveats, err := pkgr.SaveOverride(ctx, &bodhi.OverrideInput{NVR: b.NVR, Notes: "Needed to build the next stream.", ExpirationDate: bodhi.Time{Time: exp}})
	if err != nil {
		t.Fatal(err)
	}
	if o.NVR != b.NVR || o.Build == nil || o.Build.NVR != b.NVR || o.Build.Type != "module" || !o.ExpiredDate.IsZero() ||
		o.Submitter == nil || o.Submitter.Name != "packager1" || !o.ExpirationDate.Equal(exp) || len(caveats) != 0 {
		t.Errorf("SaveOverride = %+v, caveats %v", o, caveats)
	}
	got, err := anon.GetOverride(ctx, b.NVR)
	if err != nil || got.NVR != b.NVR || !strings.HasPrefix(got.Notes, "Needed to build the next stream.\n") || !strings.HasSuffix(got.Notes, "\nNot in the package list.") {
		t.Errorf("GetOverride = %+v, %v", got, err)
	}
	p, err := anon.ListOverrides(ctx, &bodhi.OverrideListOptions{Builds: []string{b.NVR}})
	if err != nil || p.Total != 1 || len(p.Items) != 1 || p.Items[0].NVR != b.NVR {
		t.Errorf("ListOverrides(builds) = %+v, %v", p, err)
	}
	p, err = anon.ListOverrides(ctx, &bodhi.OverrideListOptions{Releases: []string{rel.Name}, Expired: ptr(false)})
	if err != nil || p.Total != 1 {
		t.Errorf("ListOverrides(release, active) = %+v, %v", p, err)
	}

	// Edit: new notes and a later expiration.
	o, _, err = pkgr.SaveOverride(ctx, &bodhi.OverrideInput{NVR: b.NVR, Edited: b.NVR, Notes: "Still needed.", ExpirationDate: bodhi.Time{Time: exp.Add(24 * time.Hour)}})
	if err != nil || o.Notes != "Still needed." || !o.ExpirationDate.Equal(exp.Add(24*time.Hour)) || !o.ExpiredDate.IsZero() {
		t.Errorf("edit override = %+v, %v", o, err)
	}
	// Expire.
	o, _, err = pkgr.SaveOverride(ctx, &bodhi.OverrideInput{NVR: b.NVR, Edited: b.NVR, Notes: "Done.", ExpirationDate: bodhi.Time{Time: exp}, Expired: ptr(true)})
	if err != nil || o.ExpiredDate.IsZero() {
		t.Errorf("expire override = %+v, %v", o, err)
	}
	p, err = anon.ListOverrides(ctx, &bodhi.OverrideListOptions{Releases: []string{rel.Name}, Expired: ptr(true)})
	if err != nil || p.Total != 1 {
		t.Errorf("ListOverrides(expired) = %+v, %v", p, err)
	}
	// A new override of the build revives the expired one, with both notes.
	o, _, err = pkgr.SaveOverride(ctx, &bodhi.OverrideInput{NVR: b.NVR, Notes: "Needed again.", ExpirationDate: bodhi.Time{Time: exp}})
	if err != nil || !o.ExpiredDate.IsZero() || !strings.HasPrefix(o.Notes, "Needed again.") || !strings.Contains(o.Notes, "Done.") {
		t.Errorf("override again = %+v, %v", o, err)
	}

	// Refusals.
	_, _, err = pkgr.SaveOverride(ctx, &bodhi.OverrideInput{NVR: b.NVR, Notes: "x", ExpirationDate: bodhi.Time{Time: exp}})
	wantRefusal(t, "short notes", err, 400, "notes")
	_, _, err = pkgr.SaveOverride(ctx, &bodhi.OverrideInput{NVR: b.NVR, Notes: "In the past.", ExpirationDate: bodhi.Time{Time: time.Now().Add(-48 * time.Hour)}})
	wantRefusal(t, "past expiration", err, 400, "expiration_date")
	_, _, err = pkgr.SaveOverride(ctx, &bodhi.OverrideInput{NVR: b.NVR, Notes: "Too far.", ExpirationDate: bodhi.Time{Time: time.Now().Add(60 * 24 * time.Hour)}})
	wantRefusal(t, "far expiration", err, 400, "expiration_date")
	_, _, err = pkgr.SaveOverride(ctx, &bodhi.OverrideInput{NVR: name + "-9-9.nope", Notes: "No such build.", ExpirationDate: bodhi.Time{Time: exp}})
	wantRefusal(t, "unknown build", err, 400, "nvr")
	other := importModule(t, s, name, "ovr2", 20260401000000, "0000beef", cand)
	_, _, err = pkgr.SaveOverride(ctx, &bodhi.OverrideInput{NVR: other.NVR, Edited: other.NVR, Notes: "No override yet.", ExpirationDate: bodhi.Time{Time: exp}})
	wantRefusal(t, "edit without override", err, 400, "edited")
	_, err = anon.GetOverride(ctx, name+"-9-9.nope")
	if !errors.Is(err, bodhi.ErrNotFound) {
		t.Errorf("GetOverride(unknown) = %v, want ErrNotFound", err)
	}
	_, _, err = s.client(t, bodhi.WithSessionCookie("auth_tkt=bogus")).SaveOverride(ctx, &bodhi.OverrideInput{NVR: b.NVR, Notes: "Who?", ExpirationDate: bodhi.Time{Time: exp}})
	wantRefusal(t, "bad cookie", err, 403, "")
}

// sideTagScenario files an update from a koji side tag (a tag whose extra
// says sidetag and sidetag_user, as koji's sidetag plugin makes them), and
// checks Bodhi's refusals.
func sideTagScenario(t *testing.T, s *realServer, rel modularRelease, name string) {
	ctx := context.Background()
	anon, pkgr := s.client(t), s.packager(t)
	cand := rel.tag("updates-candidate")
	sideTag := func(owner string) string {
		tag := uniqueName(rel.Prefix + "-build-side-")
		if _, err := s.Koji.CreateTag(ctx, tag, &koji.CreateTagOptions{Parent: cand,
			Extra: map[string]any{"sidetag": true, "sidetag_user": owner}}); err != nil {
			t.Fatalf("koji createTag %s: %v", tag, err)
		}
		return tag
	}
	side := sideTag("packager1")
	b := importModule(t, s, name, "side", 20260501000000, "5ide0001", side)
	res, err := pkgr.SaveUpdate(ctx, &bodhi.UpdateInput{FromTag: side, Notes: "Built in a side tag.", Type: "enhancement"})
	if err != nil {
		t.Fatal(err)
	}
	// Bodhi leaves a side-tag update without a request: its signed
	// consumer requests testing once the builds are signed.
	u := res.Updates[0]
	if u.FromTag == nil || *u.FromTag != side || len(u.Builds) != 1 || u.Builds[0].NVR != b.NVR || u.Status != bodhi.StatusPending ||
		u.Request != nil || u.Release == nil || u.Release.Name != rel.Name {
		t.Errorf("side-tag update = %+v", u)
	}
	p, err := anon.ListUpdates(ctx, &bodhi.UpdateListOptions{Releases: []string{rel.Name}, FromSideTag: ptr(true)})
	if err != nil || p.Total != 1 || p.Items[0].Alias != u.Alias {
		t.Errorf("ListUpdates(from_side_tag) = %+v, %v", p, err)
	}
	p, err = anon.ListUpdates(ctx, &bodhi.UpdateListOptions{Releases: []string{rel.Name}, FromSideTag: ptr(false)})
	if err != nil || p.Total < 1 {
		t.Errorf("ListUpdates(from_side_tag=false) = %+v, %v", p, err)
	}
	for _, it := range p.Items {
		if it.Alias == u.Alias {
			t.Errorf("ListUpdates(from_side_tag=false) lists the side-tag update")
		}
	}

	_, err = pkgr.SaveUpdate(ctx, &bodhi.UpdateInput{FromTag: side, Notes: "Again.", Type: "enhancement"})
	wantRefusal(t, "second update from the side tag", err, 400, "from_tag")
	_, err = pkgr.SaveUpdate(ctx, &bodhi.UpdateInput{FromTag: side + "-nope", Notes: "No such tag.", Type: "enhancement"})
	wantRefusal(t, "unknown side tag", err, 400, "from_tag")
	_, err = pkgr.SaveUpdate(ctx, &bodhi.UpdateInput{FromTag: cand, Notes: "Not a side tag.", Type: "enhancement"})
	wantRefusal(t, "not a side tag", err, 400, "from_tag")
	empty := sideTag("packager1")
	_, err = pkgr.SaveUpdate(ctx, &bodhi.UpdateInput{FromTag: empty, Notes: "Nothing in it.", Type: "enhancement"})
	wantRefusal(t, "empty side tag", err, 400, "from_tag")
	theirs := sideTag("bodhiadmin")
	importModule(t, s, name, "theirs", 20260501000000, "5ide0002", theirs)
	_, err = pkgr.SaveUpdate(ctx, &bodhi.UpdateInput{FromTag: theirs, Notes: "Someone else's.", Type: "enhancement"})
	wantRefusal(t, "side tag of another user", err, 403, "builds")
}
