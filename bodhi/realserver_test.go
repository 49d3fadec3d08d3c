package bodhi_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/modkit/modkit/bodhi"
)

var aliasRE = regexp.MustCompile(`^FEDORA-MODULAR-\d{4}-[0-9a-f]{10}$`)

// TestRealBodhi drives a real Bodhi 8 through the client: a modular
// release with its koji tags, module builds CG-imported into koji, updates
// for them, requests and revokes, comments, refusals and pagination.
//
// The same scenario then runs against bodhitest (on a kojitest hub), and
// every request's status and answer shape must be the same.
func TestRealBodhi(t *testing.T) {
	s := needRealServer(t)
	s.rec = &recorder{}
	runScenario(t, s)
	if t.Failed() {
		return
	}
	ts := newTestServer(t)
	ts.rec = &recorder{}
	runScenario(t, ts)
	compareExchanges(t, s.rec.log, ts.rec.log)
}

func runScenario(t *testing.T, s *realServer) {
	ctx := context.Background()
	anon, admin, pkgr := s.client(t), s.admin(t), s.packager(t)
	rel := newModularRelease(t, s)
	cand := rel.tag("updates-candidate")

	t.Run("release", func(t *testing.T) {
		got, err := anon.GetRelease(ctx, rel.Name)
		if err != nil {
			t.Fatal(err)
		}
		if got.IDPrefix != "FEDORA-MODULAR" || got.CandidateTag != cand || got.State != "current" || got.Version != rel.Version {
			t.Errorf("release = %+v", got)
		}
		p, err := anon.ListReleases(ctx, &bodhi.ReleaseListOptions{Name: rel.Name})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != 1 || p.Total != 1 || p.Items[0].Name != rel.Name {
			t.Errorf("ListReleases(name=%s) = %+v", rel.Name, p)
		}
		_, err = anon.GetRelease(ctx, "NOPE"+rel.Name)
		if !errors.Is(err, bodhi.ErrNotFound) {
			t.Errorf("GetRelease(unknown) = %v, want ErrNotFound", err)
		}
		// A packager may not create releases.
		in := rel.input()
		in.Name = rel.Name + "X"
		_, err = pkgr.SaveRelease(ctx, in)
		var e *bodhi.Error
		if !errors.As(err, &e) || e.StatusCode != 403 || len(e.Errors) == 0 {
			t.Errorf("packager SaveRelease = %v, want a 403 *bodhi.Error with details", err)
		}
	})

	name := uniqueName("mod")
	b1 := importModule(t, s, name, "1-x", 20260101000000, "c0ffee01", cand)
	b2 := importModule(t, s, name, "1-x", 20260201000000, "c0ffee01", cand)
	if b1.NVR != name+"-1_x-20260101000000.c0ffee01" {
		t.Fatalf("koji NVR = %s", b1.NVR)
	}

	var u1 bodhi.Update
	t.Run("create", func(t *testing.T) {
		res, err := pkgr.SaveUpdate(ctx, &bodhi.UpdateInput{Builds: []string{b1.NVR}, Notes: "First build of the stream.", Type: "enhancement"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Updates) != 1 {
			t.Fatalf("SaveUpdate = %+v", res)
		}
		u1 = res.Updates[0]
		if !aliasRE.MatchString(u1.Alias) || u1.UpdateID != u1.Alias {
			t.Errorf("alias %q, updateid %q", u1.Alias, u1.UpdateID)
		}
		if u1.ContentType == nil || *u1.ContentType != bodhi.ContentModule {
			t.Errorf("content_type = %v, want module", u1.ContentType)
		}
		if u1.Status != bodhi.StatusPending || u1.RequestOrEmpty() != bodhi.RequestTesting {
			t.Errorf("status %s request %s, want pending/testing", u1.Status, u1.RequestOrEmpty())
		}
		if u1.Release == nil || u1.Release.Name != rel.Name || len(u1.Builds) != 1 || u1.Builds[0].Type != "module" || u1.Title != b1.NVR {
			t.Errorf("update = %+v", u1)
		}
		if u1.User == nil || u1.User.Name != "packager1" {
			t.Errorf("user = %+v", u1.User)
		}
		d, err := anon.GetUpdate(ctx, u1.Alias)
		if err != nil {
			t.Fatal(err)
		}
		if d.Update.Alias != u1.Alias || d.CanEdit {
			t.Errorf("anonymous GetUpdate = alias %s can_edit %v", d.Update.Alias, d.CanEdit)
		}
		if d, err := pkgr.GetUpdate(ctx, u1.Alias); err != nil || !d.CanEdit {
			t.Errorf("packager GetUpdate: can_edit %v, %v", d != nil && d.CanEdit, err)
		}
		// Bodhi names a module package name:<koji version>, the stream
		// with "-" turned into "_".
		pk, err := anon.ListPackages(ctx, &bodhi.PackageListOptions{Name: name + ":1_x"})
		if err != nil || len(pk.Items) != 1 || pk.Items[0].Type != "module" {
			t.Errorf("ListPackages(%s:1-x) = %+v, %v", name, pk, err)
		}
		bl, err := anon.GetBuild(ctx, b1.NVR)
		if err != nil || bl.Type != "module" || bl.NVR != b1.NVR {
			t.Errorf("GetBuild = %+v, %v", bl, err)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		cases := []struct {
			name   string
			c      *bodhi.Client
			in     bodhi.UpdateInput
			status int
			field  string
		}{
			{"unknown build", pkgr, bodhi.UpdateInput{Builds: []string{name + "-9-9.none"}, Notes: "nope"}, 400, "builds"},
			{"no notes", pkgr, bodhi.UpdateInput{Builds: []string{b2.NVR}, Notes: ""}, 400, "notes"},
			{"same package twice", pkgr, bodhi.UpdateInput{Builds: []string{b1.NVR, b2.NVR}, Notes: "two builds"}, 400, "builds"},
			{"bad cookie", s.client(t, bodhi.WithSessionCookie("auth_tkt=bogus")), bodhi.UpdateInput{Builds: []string{b2.NVR}, Notes: "x y"}, 403, ""},
		}
		for _, tc := range cases {
			_, err := tc.c.SaveUpdate(ctx, &tc.in)
			var e *bodhi.Error
			if !errors.As(err, &e) || e.StatusCode != tc.status {
				t.Errorf("%s: err = %v, want HTTP %d", tc.name, err, tc.status)
				continue
			}
			if tc.field != "" && e.Field(tc.field) == nil {
				t.Errorf("%s: %v: no error about %q", tc.name, e, tc.field)
			}
			for _, d := range e.Errors {
				if d.Location == "" || d.Description == "" {
					t.Errorf("%s: incomplete detail %+v", tc.name, d)
				}
			}
		}
		if _, err := anon.SaveUpdate(ctx, &bodhi.UpdateInput{Builds: []string{b2.NVR}, Notes: "anon"}); !errors.Is(err, bodhi.ErrNoSession) {
			t.Errorf("anonymous write = %v, want ErrNoSession", err)
		}
		if _, err := anon.GetUpdate(ctx, "FEDORA-MODULAR-2000-0000000000"); !errors.Is(err, bodhi.ErrNotFound) {
			t.Errorf("GetUpdate(unknown) = %v, want ErrNotFound", err)
		}
		// Bodhi refuses to send a pending update with a testing request
		// straight to stable only when its requirements fail; a bad
		// request value is a 400 about "request".
		_, err := pkgr.Request(ctx, u1.Alias, "sideways")
		var e *bodhi.Error
		if !errors.As(err, &e) || e.StatusCode != 400 || e.Field("request") == nil {
			t.Errorf("Request(sideways) = %v", err)
		}
		// Test gating is off on the test servers: waiving is refused, and
		// CI runs only for updates in testing.
		if _, err := pkgr.WaiveTestResults(ctx, u1.Alias, "known failure", nil); !errors.As(err, &e) || e.StatusCode != 400 || e.Field("request") == nil {
			t.Errorf("WaiveTestResults = %v, want a 400 about request", err)
		}
		if _, err := pkgr.TriggerTests(ctx, u1.Alias); !errors.As(err, &e) || e.StatusCode != 400 || !strings.Contains(err.Error(), "not in testing") {
			t.Errorf("TriggerTests(pending) = %v", err)
		}
		if _, err := s.client(t, bodhi.WithSessionCookie(s.AdminCookie)).GetCompose(ctx, rel.Name, "stable"); !errors.Is(err, bodhi.ErrNotFound) {
			t.Errorf("GetCompose(none) = %v, want ErrNotFound", err)
		}
	})

	t.Run("comment", func(t *testing.T) {
		cm, _, err := admin.AddComment(ctx, &bodhi.CommentInput{Update: u1.Alias, Text: "Works for me.", Karma: 1})
		if err != nil {
			t.Fatal(err)
		}
		if cm.Karma != 1 || cm.User == nil || cm.User.Name != "bodhiadmin" {
			t.Errorf("comment = %+v", cm)
		}
		got, err := anon.GetComment(ctx, cm.ID)
		if err != nil || got.Text != "Works for me." {
			t.Errorf("GetComment = %+v, %v", got, err)
		}
		p, err := anon.ListComments(ctx, &bodhi.CommentListOptions{Updates: []string{u1.Alias}})
		if err != nil || p.Total < 1 {
			t.Errorf("ListComments = %+v, %v", p, err)
		}
		d, err := anon.GetUpdate(ctx, u1.Alias)
		if err != nil || d.Update.Karma != 1 {
			t.Errorf("karma after +1 = %v, %v", d.Update.Karma, err)
		}
	})

	var u2 bodhi.Update
	t.Run("newer build obsoletes", func(t *testing.T) {
		res, err := pkgr.SaveUpdate(ctx, &bodhi.UpdateInput{Builds: []string{b2.NVR}, Notes: "Second build of the stream.", Type: "enhancement"})
		if err != nil {
			t.Fatal(err)
		}
		u2 = res.Updates[0]
		if len(res.Caveats) != 1 || !strings.Contains(res.Caveats[0].Description, "obsoleted "+b1.NVR) {
			t.Errorf("caveats = %+v, want one about obsoleting %s", res.Caveats, b1.NVR)
		}
		d, err := anon.GetUpdate(ctx, u1.Alias)
		if err != nil {
			t.Fatal(err)
		}
		if d.Update.Status != bodhi.StatusObsolete || d.Update.Request != nil {
			t.Errorf("older update after newer: status %s request %q, want obsolete and none", d.Update.Status, d.Update.RequestOrEmpty())
		}
		if !strings.Contains(u2.Notes, "First build of the stream.") {
			t.Errorf("newer update did not inherit notes: %q", u2.Notes)
		}
	})

	t.Run("requests", func(t *testing.T) {
		u, err := pkgr.Request(ctx, u2.Alias, bodhi.RequestRevoke)
		if err != nil {
			t.Fatal(err)
		}
		if u.RequestOrEmpty() != "" || u.Status != bodhi.StatusUnpushed {
			t.Errorf("after revoke: status %s request %q, want unpushed and none", u.Status, u.RequestOrEmpty())
		}
		if _, err := pkgr.Request(ctx, u2.Alias, bodhi.RequestRevoke); err == nil {
			t.Error("second revoke: no error")
		} else if e := new(bodhi.Error); !errors.As(err, &e) || e.StatusCode != 400 || e.Field("request") == nil {
			t.Errorf("second revoke: %v, want a 400 about request", err)
		}

		u, err = pkgr.Request(ctx, u2.Alias, bodhi.RequestTesting)
		if err != nil {
			t.Fatal(err)
		}
		if u.RequestOrEmpty() != bodhi.RequestTesting || u.Status != bodhi.StatusPending {
			t.Errorf("after testing: status %s request %q, want pending/testing", u.Status, u.RequestOrEmpty())
		}
		if _, err := pkgr.Request(ctx, u2.Alias, bodhi.RequestUnpush); err == nil {
			t.Error("unpush of a pending update: no error")
		} else if e := new(bodhi.Error); !errors.As(err, &e) || e.StatusCode != 400 || !strings.Contains(err.Error(), "unpush a pending") {
			t.Errorf("unpush of a pending update: %v", err)
		}
		// No mandatory days in testing on this server: pending may go
		// straight to a stable request.
		u, err = pkgr.Request(ctx, u2.Alias, bodhi.RequestStable)
		if err != nil || u.RequestOrEmpty() != bodhi.RequestStable {
			t.Errorf("stable from pending: %v, %v", u, err)
		}
		u, err = pkgr.Request(ctx, u2.Alias, bodhi.RequestObsolete)
		if err != nil || u.Status != bodhi.StatusObsolete || u.Request != nil {
			t.Errorf("obsolete: %+v, %v", u, err)
		}
	})

	t.Run("pagination", func(t *testing.T) {
		// More updates of other streams, so paging has something to walk.
		var want []string
		for i := range 4 {
			b := importModule(t, s, name, fmt.Sprintf("s%d", i), 20260301000000, "deadbeef", cand)
			res, err := pkgr.SaveUpdate(ctx, &bodhi.UpdateInput{Builds: []string{b.NVR}, Notes: "Paging fodder."})
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, res.Updates[0].Alias)
		}
		p, err := anon.ListUpdates(ctx, &bodhi.UpdateListOptions{Releases: []string{rel.Name}, ListOptions: bodhi.ListOptions{RowsPerPage: 2}})
		if err != nil {
			t.Fatal(err)
		}
		if p.Total < 6 || p.Pages != (p.Total+1)/2 || p.RowsPerPage != 2 || p.Page != 1 || len(p.Items) != 2 {
			t.Errorf("page = total %d pages %d rows %d page %d items %d", p.Total, p.Pages, p.RowsPerPage, p.Page, len(p.Items))
		}
		seen := map[string]bool{}
		n := 0
		for u, err := range anon.Updates(ctx, &bodhi.UpdateListOptions{Releases: []string{rel.Name}, ListOptions: bodhi.ListOptions{RowsPerPage: 2}}) {
			if err != nil {
				t.Fatal(err)
			}
			seen[u.Alias] = true
			n++
		}
		if n != p.Total || len(seen) != n {
			t.Errorf("iterated %d (%d distinct), total %d", n, len(seen), p.Total)
		}
		for _, a := range want {
			if !seen[a] {
				t.Errorf("update %s not listed", a)
			}
		}
		p, err = anon.ListUpdates(ctx, &bodhi.UpdateListOptions{Packages: []string{name + ":s1"}, ContentType: "module"})
		if err != nil || p.Total != 1 {
			t.Errorf("ListUpdates(packages=%s:s1) = %+v, %v", name, p, err)
		}
		_, err = anon.ListUpdates(ctx, &bodhi.UpdateListOptions{ListOptions: bodhi.ListOptions{RowsPerPage: 5000}})
		var e *bodhi.Error
		if !errors.As(err, &e) || e.StatusCode != 400 || e.Field("rows_per_page") == nil || e.Errors[0].Location != "querystring" {
			t.Errorf("rows_per_page=5000: %v", err)
		}
	})

	t.Run("misc reads", func(t *testing.T) {
		u, err := anon.GetUser(ctx, "packager1")
		if err != nil || u.Name != "packager1" {
			t.Errorf("GetUser = %+v, %v", u, err)
		}
		lb, err := anon.LatestBuilds(ctx, name)
		t.Logf("latest_builds = %v, %v", lb, err)
		if _, err := anon.ListComposes(ctx); err != nil {
			t.Errorf("ListComposes: %v", err)
		}
		tok, err := anon.CSRFToken(ctx)
		if err != nil || tok == "" {
			t.Errorf("CSRFToken = %q, %v", tok, err)
		}
		bp, err := anon.ListBuilds(ctx, &bodhi.BuildListOptions{Releases: []string{rel.Name}})
		if err != nil || bp.Total < 2 {
			t.Errorf("ListBuilds = %+v, %v", bp, err)
		}
	})

	t.Run("overrides", func(t *testing.T) { overrideScenario(t, s, rel, name) })
	t.Run("side tag", func(t *testing.T) { sideTagScenario(t, s, rel, name) })
}
