// Package kerberos logs a koji client in with Kerberos (GSSAPI/SPNEGO),
// using the pure-Go github.com/jcmturner/gokrb5/v8 (no cgo, no libkrb5).
//
// It lives in its own package so that importing koji does not pull in a
// Kerberos stack. Use it as the client's authenticator:
//
//	kt, _ := keytab.Load("/etc/mbs.keytab")
//	cfg, _ := config.Load("/etc/krb5.conf")
//	krb := client.NewWithKeytab("mbs/mbs.example.org", "EXAMPLE.ORG", kt, cfg)
//	c, _ := koji.NewClient(hubURL, koji.WithAuth(&kerberos.Auth{Client: krb}))
//	err := c.Login(ctx)
//
// The login is koji's sslLogin sent to <hub>/ssllogin with an
// "Authorization: Negotiate" header; the hub's web server (mod_auth_gssapi)
// verifies it. Session renewal repeats the same exchange.
package kerberos

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/spnego"

	"github.com/modkit/modkit/koji"
)

// Auth is a [koji.Authenticator] that logs in with a Kerberos ticket.
type Auth struct {
	// Client obtains the tickets. It is logged in on first use.
	Client *client.Client
	// SPN is the hub's service principal; default "HTTP/<hub host>".
	SPN string
	// ProxyUser logs in as another user (needs ProxyPrincipals on the hub).
	ProxyUser string

	// setHeader adds the SPNEGO header; tests replace it.
	setHeader func(cl *client.Client, r *http.Request, spn string) error
}

// NewKeytabAuth returns an Auth for principal ("name[/instance]@REALM")
// using a keytab and a krb5.conf file.
func NewKeytabAuth(principal, keytabPath, krb5ConfPath string) (*Auth, error) {
	name, realm, err := splitPrincipal(principal)
	if err != nil {
		return nil, err
	}
	kt, err := keytab.Load(keytabPath)
	if err != nil {
		return nil, fmt.Errorf("kerberos: load keytab: %w", err)
	}
	cfg, err := config.Load(krb5ConfPath)
	if err != nil {
		return nil, fmt.Errorf("kerberos: load krb5.conf: %w", err)
	}
	return &Auth{Client: client.NewWithKeytab(name, realm, kt, cfg, client.DisablePAFXFAST(true))}, nil
}

func splitPrincipal(p string) (name, realm string, err error) {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '@' {
			if i == 0 || i == len(p)-1 {
				break
			}
			return p[:i], p[i+1:], nil
		}
	}
	return "", "", fmt.Errorf("kerberos: principal %q is not name@REALM", p)
}

// SPNFor returns the default service principal for a hub URL.
func SPNFor(hubURL string) (string, error) {
	u, err := url.Parse(hubURL)
	if err != nil || u.Hostname() == "" {
		return "", fmt.Errorf("kerberos: cannot derive SPN from %q", hubURL)
	}
	return "HTTP/" + u.Hostname(), nil
}

// Authenticate implements koji.Authenticator. The ticket exchange with the
// KDC is done by gokrb5, which does not take a context; the HTTP login
// request does.
func (a *Auth) Authenticate(ctx context.Context, c *koji.Client, renew bool) (*koji.Session, error) {
	if a.Client == nil {
		return nil, errors.New("kerberos: Auth.Client is nil")
	}
	spn := a.SPN
	if spn == "" {
		var err error
		if spn, err = SPNFor(c.URL()); err != nil {
			return nil, err
		}
	}
	set := a.setHeader
	if set == nil {
		set = spnego.SetSPNEGOHeader
	}
	return c.LoginSSL(ctx, &koji.LoginOptions{
		Renew:     renew,
		ProxyUser: a.ProxyUser,
		Prepare: func(r *http.Request) error {
			if err := set(a.Client, r, spn); err != nil {
				return fmt.Errorf("kerberos: SPNEGO for %s: %w", spn, err)
			}
			return nil
		},
	})
}
