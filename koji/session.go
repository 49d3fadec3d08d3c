package koji

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// Session is a logged-in hub session.
type Session struct {
	ID         int64  `xmlrpc:"session-id"`
	Key        string `xmlrpc:"session-key"`
	HeaderAuth bool   `xmlrpc:"header-auth"`
}

// Authenticator obtains a session for [Client.Login] and renews an expired
// one (renew = true: the call is made with the expired session's headers and
// the hub keeps the session id). Implementations call [Client.LoginPassword]
// or [Client.LoginSSL]; they must not install the session themselves.
type Authenticator interface {
	Authenticate(ctx context.Context, c *Client, renew bool) (*Session, error)
}

// PasswordAuth logs in with koji's plain password login (development and
// test hubs only).
type PasswordAuth struct {
	User     string
	Password string
}

// Authenticate implements Authenticator.
func (a PasswordAuth) Authenticate(ctx context.Context, c *Client, renew bool) (*Session, error) {
	return c.LoginPassword(ctx, a.User, a.Password, &LoginOptions{Renew: renew})
}

// CertificateAuth logs in with the TLS client certificate configured in the
// client's http.Client (see [WithHTTPClient]), through the hub's /ssllogin
// endpoint.
type CertificateAuth struct {
	ProxyUser string // log in as this user (needs ProxyDNs on the hub)
}

// Authenticate implements Authenticator.
func (a CertificateAuth) Authenticate(ctx context.Context, c *Client, renew bool) (*Session, error) {
	return c.LoginSSL(ctx, &LoginOptions{Renew: renew, ProxyUser: a.ProxyUser})
}

// LoginOptions are optional arguments of the login calls.
type LoginOptions struct {
	// Renew asks the hub to renew the current (expired) session: the
	// request carries its headers and the hub returns the same session id
	// with a new key.
	Renew bool
	// ProxyUser is sslLogin's proxyuser.
	ProxyUser string
	// Prepare may add headers to the HTTP request, e.g. an SPNEGO
	// Authorization header for GSSAPI logins.
	Prepare func(*http.Request) error
}

// Login obtains a session from the configured [Authenticator] (see
// [WithAuth]) and installs it: later calls carry the session headers, and
// the call counter restarts at 0.
func (c *Client) Login(ctx context.Context) error {
	if c.auth == nil {
		return errors.New("koji: Login: no authenticator configured (use WithAuth)")
	}
	s, err := c.auth.Authenticate(ctx, c, false)
	if err != nil {
		return err
	}
	c.SetSession(s)
	return nil
}

// SetSession installs s (nil logs out locally) and resets the call counter.
// Use it to resume a session obtained elsewhere.
func (c *Client) SetSession(s *Session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s != nil {
		cp := *s
		s = &cp
	}
	c.session = s
	c.callnum = 0
}

// Session returns a copy of the current session, or nil.
func (c *Client) Session() *Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session == nil {
		return nil
	}
	s := *c.session
	return &s
}

// LoginPassword calls the hub's login(user, password). It returns the new
// session without installing it; [Client.Login] does that.
func (c *Client) LoginPassword(ctx context.Context, user, password string, opts *LoginOptions) (*Session, error) {
	if opts == nil {
		opts = &LoginOptions{}
	}
	args := []any{user, password}
	if opts.Renew {
		args = append(args, Kwargs{"renew": true})
	}
	return c.login(ctx, "login", args, opts, "")
}

// LoginSSL calls the hub's sslLogin on <hub>/ssllogin, where the web server
// authenticates the TLS client certificate or the SPNEGO (Kerberos) header
// added by opts.Prepare. It returns the session without installing it.
func (c *Client) LoginSSL(ctx context.Context, opts *LoginOptions) (*Session, error) {
	if opts == nil {
		opts = &LoginOptions{}
	}
	k := Kwargs{}
	if opts.ProxyUser != "" {
		k["proxyuser"] = opts.ProxyUser
	}
	if opts.Renew {
		k["renew"] = true
	}
	var args []any
	if len(k) > 0 {
		args = append(args, k)
	}
	return c.login(ctx, "sslLogin", args, opts, "/ssllogin")
}

func (c *Client) login(ctx context.Context, method string, args []any, opts *LoginOptions, path string) (*Session, error) {
	v, err := c.do(ctx, method, args, callOpts{path: path, anonymous: !opts.Renew, prepare: opts.Prepare, noRenew: true})
	if err != nil {
		return nil, err
	}
	var s Session
	if err := unmarshal(method, v, &s); err != nil {
		return nil, err
	}
	if s.Key == "" {
		return nil, fmt.Errorf("koji: %s: hub returned no session", method)
	}
	return &s, nil
}

// renew replaces an expired session with a renewed one. The call counter
// continues: the hub keeps the last committed callnum across renewal.
func (c *Client) renew(ctx context.Context, expired *Session) error {
	c.renewMu.Lock()
	defer c.renewMu.Unlock()
	c.mu.Lock()
	cur := c.session
	c.mu.Unlock()
	if cur == nil {
		return ErrNotLoggedIn
	}
	if cur.Key != expired.Key {
		return nil // another goroutine renewed it already
	}
	s, err := c.auth.Authenticate(ctx, c, true)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.session = s
	c.mu.Unlock()
	c.logger.InfoContext(ctx, "koji: session renewed", "session_id", s.ID)
	return nil
}

// Logout closes the current session on the hub and forgets it.
func (c *Client) Logout(ctx context.Context) error {
	if c.Session() == nil {
		return ErrNotLoggedIn
	}
	_, err := c.do(ctx, "logout", nil, callOpts{noRenew: true})
	c.SetSession(nil)
	return err
}
