package bodhi_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/modkit/modkit/bodhi"
	"github.com/modkit/modkit/bodhi/bodhitest"
)

// TestTokenLogin checks the OIDC flow: a write without a session logs in
// at /oidc/login-token with the token source's bearer token, and a client
// whose session was refused logs in again once.
func TestTokenLogin(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	ctx := context.Background()
	bs := s.bodhitest
	bs.AddToken("good-token", bodhitest.PackagerUser)
	rel := newModularRelease(t, s)
	b := importModule(t, s, uniqueName("tok"), "1", 1, "00000000", rel.tag("updates-candidate"))

	calls := 0
	c := s.client(t, bodhi.WithTokenSource(bodhi.TokenFunc(func(context.Context) (string, error) {
		calls++
		return "good-token", nil
	})))
	if c.LoggedIn() {
		t.Fatal("logged in before any call")
	}
	res, err := c.SaveUpdate(ctx, &bodhi.UpdateInput{Builds: []string{b.NVR}, Notes: "via OIDC"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Updates[0].User.Name != bodhitest.PackagerUser || calls != 1 || !c.LoggedIn() {
		t.Errorf("user %s, token calls %d, logged in %v", res.Updates[0].User.Name, calls, c.LoggedIn())
	}

	// A session the server no longer knows: the client logs in again.
	c2 := s.client(t, bodhi.WithSessionCookie("auth_tkt=stale"), bodhi.WithTokenSource(bodhi.StaticToken("good-token")))
	if _, err := c2.Request(ctx, res.Updates[0].Alias, bodhi.RequestRevoke); err != nil {
		t.Errorf("request with a stale session and a token source: %v", err)
	}

	// A bad token is the server's 401, not a retry loop.
	c3 := s.client(t, bodhi.WithTokenSource(bodhi.StaticToken("bad-token")))
	_, err = c3.SaveUpdate(ctx, &bodhi.UpdateInput{Builds: []string{b.NVR}, Notes: "nope"})
	var e *bodhi.Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusUnauthorized {
		t.Errorf("bad token: %v", err)
	}
}

// TestCSRFRenewal: a write whose CSRF token the server no longer accepts
// fetches a new one and is sent once more.
func TestCSRFRenewal(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	ctx := context.Background()
	rel := newModularRelease(t, s)
	b := importModule(t, s, uniqueName("csrf"), "1", 1, "00000000", rel.tag("updates-candidate"))
	c := s.packager(t)
	if _, err := c.CSRFToken(ctx); err != nil {
		t.Fatal(err)
	}
	s.bodhitest.ForgetSessions()
	if _, err := c.SaveUpdate(ctx, &bodhi.UpdateInput{Builds: []string{b.NVR}, Notes: "after expiry"}); err != nil {
		t.Errorf("write after the CSRF session expired: %v", err)
	}
}

// TestAutokarma: karma reaching stable_karma on an update in testing
// requests stable; negative karma turns autotime off.
func TestAutokarma(t *testing.T) {
	t.Parallel()
	s := newTestServer(t)
	ctx := context.Background()
	rel := newModularRelease(t, s)
	b := importModule(t, s, uniqueName("karma"), "1", 1, "00000000", rel.tag("updates-candidate"))
	one := 1
	res, err := s.packager(t).SaveUpdate(ctx, &bodhi.UpdateInput{Builds: []string{b.NVR}, Notes: "karma", StableKarma: &one})
	if err != nil {
		t.Fatal(err)
	}
	alias := res.Updates[0].Alias
	if err := s.bodhitest.SetStatus(alias, bodhi.StatusTesting); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.admin(t).AddComment(ctx, &bodhi.CommentInput{Update: alias, Text: "good", Karma: 1}); err != nil {
		t.Fatal(err)
	}
	d, err := s.client(t).GetUpdate(ctx, alias)
	if err != nil {
		t.Fatal(err)
	}
	if d.Update.Karma != 1 || d.Update.RequestOrEmpty() != bodhi.RequestStable {
		t.Errorf("karma %d request %q, want 1 and stable", d.Update.Karma, d.Update.RequestOrEmpty())
	}
}
