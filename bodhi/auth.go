package bodhi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// TokenSource supplies OpenID Connect access tokens for Bodhi's
// /oidc/login-token exchange. Implement it with any OIDC flow (device
// code, Kerberos-assisted, a token file); the client calls it when it
// needs a new session.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// StaticToken is a TokenSource that always returns the same access token.
type StaticToken string

// Token implements TokenSource.
func (t StaticToken) Token(context.Context) (string, error) { return string(t), nil }

// TokenFunc adapts a function to TokenSource.
type TokenFunc func(ctx context.Context) (string, error)

// Token implements TokenSource.
func (f TokenFunc) Token(ctx context.Context) (string, error) { return f(ctx) }

// Login exchanges an access token from the client's TokenSource for a
// Bodhi session: GET /oidc/login-token with the token as a Bearer
// credential, answered by 202 and the session cookie. It forgets the CSRF
// token, which belongs to the old session.
func (c *Client) Login(ctx context.Context) error {
	if c.tokens == nil {
		return fmt.Errorf("bodhi: login: %w: no token source (WithTokenSource)", ErrNoSession)
	}
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	tok, err := c.tokens.Token(ctx)
	if err != nil {
		return fmt.Errorf("bodhi: login: token source: %w", err)
	}
	if strings.TrimSpace(tok) == "" {
		return fmt.Errorf("bodhi: login: token source returned an empty token")
	}
	r := &request{method: http.MethodGet, path: "oidc/login-token",
		header: http.Header{"Authorization": {"Bearer " + tok}}}
	if _, err := c.roundTrip(ctx, r, nil); err != nil {
		return err
	}
	c.mu.Lock()
	c.csrf = ""
	c.mu.Unlock()
	return nil
}

// LoggedIn reports whether the client holds a session cookie.
func (c *Client) LoggedIn() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cookies["auth_tkt"] != ""
}

// ensureSession logs in through the token source when the client has no
// session cookie yet.
func (c *Client) ensureSession(ctx context.Context) error {
	if c.LoggedIn() {
		return nil
	}
	if c.tokens == nil {
		return fmt.Errorf("bodhi: %w: a write needs WithSessionCookie or WithTokenSource", ErrNoSession)
	}
	return c.Login(ctx)
}

// CSRFToken returns the CSRF token of the client's session (GET /csrf),
// fetching it once; writes send it in their body.
func (c *Client) CSRFToken(ctx context.Context) (string, error) { return c.csrfToken(ctx) }

func (c *Client) csrfToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	tok := c.csrf
	c.mu.Unlock()
	if tok != "" {
		return tok, nil
	}
	var out struct {
		CSRFToken string `json:"csrf_token"`
	}
	if err := c.get(ctx, "csrf", nil, &out); err != nil {
		return "", err
	}
	if out.CSRFToken == "" {
		return "", fmt.Errorf("bodhi: GET /csrf: answer has no csrf_token")
	}
	c.mu.Lock()
	c.csrf = out.CSRFToken
	c.mu.Unlock()
	return out.CSRFToken, nil
}

// dropCSRF forgets tok if it is still the current token.
func (c *Client) dropCSRF(tok string) {
	c.mu.Lock()
	if c.csrf == tok {
		c.csrf = ""
	}
	c.mu.Unlock()
}
