package kerberos

import (
	"encoding/base64"
	"errors"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
)

// fakeHeader stands in for the KDC exchange: the token names the principal.
func fakeHeader(principal string) func(*client.Client, *http.Request, string) error {
	return func(_ *client.Client, r *http.Request, spn string) error {
		r.Header.Set("Authorization", "Negotiate "+base64.StdEncoding.EncodeToString([]byte(principal+"|"+spn)))
		return nil
	}
}

func verify(token string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(token)
	if err != nil {
		return "", err
	}
	principal, spn, _ := strings.Cut(string(b), "|")
	if !strings.HasPrefix(spn, "HTTP/") {
		return "", errors.New("wrong service")
	}
	return principal, nil
}

func TestLoginAndRenewal(t *testing.T) {
	t.Parallel()
	hub := kojitest.New(t, kojitest.WithGSSAPI(verify))
	auth := &Auth{Client: client.NewWithPassword("alice", "EXAMPLE.ORG", "x", config.New()), setHeader: fakeHeader("alice@EXAMPLE.ORG")}
	c, err := koji.NewClient(hub.URL(), koji.WithHTTPClient(hub.Client()), koji.WithAuth(auth), koji.WithRetry(koji.NoRetry))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := c.Login(ctx); err != nil {
		t.Fatalf("Login: %v", err)
	}
	u, err := c.GetLoggedInUser(ctx)
	if err != nil || u.Name != "alice" {
		t.Fatalf("user = %+v, %v", u, err)
	}
	first := c.Session()
	hub.ExpireSessions()
	if _, err := c.GetLoggedInUser(ctx); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if s := c.Session(); s.ID != first.ID || s.Key == first.Key {
		t.Errorf("renewal kept %+v -> %+v", first, s)
	}
}

func TestLoginFailures(t *testing.T) {
	t.Parallel()
	hub := kojitest.New(t, kojitest.WithGSSAPI(verify))
	newClient := func(a *Auth) *koji.Client {
		c, err := koji.NewClient(hub.URL(), koji.WithHTTPClient(hub.Client()), koji.WithAuth(a), koji.WithRetry(koji.NoRetry))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ctx := t.Context()
	// Rejected token: AuthError from the hub.
	bad := &Auth{Client: client.NewWithPassword("x", "R", "x", config.New()), SPN: "host/wrong", setHeader: fakeHeader("x@R")}
	if err := newClient(bad).Login(ctx); !errors.Is(err, koji.ErrAuth) {
		t.Errorf("bad token = %v, want AuthError", err)
	}
	// No KDC configured: the real gokrb5 path fails before any request.
	real := &Auth{Client: client.NewWithPassword("x", "NOWHERE.INVALID", "x", config.New())}
	if err := newClient(real).Login(ctx); err == nil || !strings.Contains(err.Error(), "SPNEGO") {
		t.Errorf("no KDC = %v, want SPNEGO error", err)
	}
	if err := newClient(&Auth{}).Login(ctx); err == nil {
		t.Error("nil gokrb5 client accepted")
	}
}

func TestHelpers(t *testing.T) {
	t.Parallel()
	if spn, err := SPNFor("https://koji.example.org:8443/kojihub"); err != nil || spn != "HTTP/koji.example.org" {
		t.Errorf("SPNFor = %q, %v", spn, err)
	}
	if _, err := SPNFor("::"); err == nil {
		t.Error("SPNFor(bad) succeeded")
	}
	for _, p := range []string{"noatsign", "@R", "n@"} {
		if _, _, err := splitPrincipal(p); err == nil {
			t.Errorf("splitPrincipal(%q) succeeded", p)
		}
	}
	if n, r, err := splitPrincipal("mbs/host@EXAMPLE.ORG"); err != nil || n != "mbs/host" || r != "EXAMPLE.ORG" {
		t.Errorf("splitPrincipal = %q %q %v", n, r, err)
	}
	if _, err := NewKeytabAuth("a@R", "/nonexistent.keytab", "/nonexistent.conf"); err == nil {
		t.Error("NewKeytabAuth with missing files succeeded")
	}
}

// TestKojiDoesNotImportKerberos guards the dependency split.
func TestKojiDoesNotImportKerberos(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/modkit/modkit/koji").CombinedOutput()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	if strings.Contains(string(out), "krb") {
		t.Errorf("package koji depends on a Kerberos package:\n%s", out)
	}
}
