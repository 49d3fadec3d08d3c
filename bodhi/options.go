package bodhi

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/modkit/modkit/internal/retry"
)

// Option configures a Client in [NewClient].
type Option func(*Client) error

// WithHTTPClient makes the client send every request through hc (TLS,
// proxies, timeouts). Its cookie jar is not used: the client keeps Bodhi's
// cookies itself. The default is a new http.Client with [DefaultTimeout].
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("bodhi: WithHTTPClient(nil)")
		}
		c.http = hc
		return nil
	}
}

// WithLogger sends the client's debug and retry logs to l. Cookies and
// tokens are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) error {
		if l != nil {
			c.logger = l
		}
		return nil
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *Client) error {
		c.userAgent = ua
		return nil
	}
}

// WithRetry replaces [DefaultRetryPolicy] for safe calls.
func WithRetry(p RetryPolicy) Option {
	return func(c *Client) error {
		c.retry = p
		return nil
	}
}

// WithSessionCookie starts the client with an existing Bodhi session: the
// auth_tkt cookie that Bodhi sets after a login, given as "auth_tkt=VALUE"
// or as the bare value. Several cookies may be given separated by "; ".
func WithSessionCookie(cookie string) Option {
	return func(c *Client) error {
		cookie = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(cookie), "Cookie:"))
		if cookie == "" {
			return errors.New("bodhi: WithSessionCookie: empty cookie")
		}
		if !strings.Contains(cookie, "=") {
			c.cookies["auth_tkt"] = cookie
			return nil
		}
		cs, err := http.ParseCookie(cookie)
		if err != nil {
			return errors.New("bodhi: WithSessionCookie: want NAME=VALUE[; NAME=VALUE]: " + err.Error())
		}
		for _, ck := range cs {
			c.cookies[ck.Name] = ck.Value
		}
		return nil
	}
}

// WithTokenSource makes the client log in with OpenID Connect access tokens
// from ts (GET /oidc/login-token), before its first write and again when a
// write is refused because the session ended.
func WithTokenSource(ts TokenSource) Option {
	return func(c *Client) error {
		c.tokens = ts
		return nil
	}
}

// RetryPolicy says how often a failed safe call (GET) is sent again after
// a network error or a 429/5xx answer. Writes are never retried.
type RetryPolicy struct {
	MaxAttempts  int           // total attempts, first included; < 1 means 1
	InitialDelay time.Duration // wait before the second attempt
	MaxDelay     time.Duration // cap for one wait
}

// DefaultRetryPolicy makes 4 attempts with exponential backoff from 0.5 s.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 4, InitialDelay: 500 * time.Millisecond, MaxDelay: 10 * time.Second}

// NoRetry disables retries.
var NoRetry = RetryPolicy{MaxAttempts: 1}

func (p RetryPolicy) policy() retry.Policy {
	return retry.Policy{MaxAttempts: p.MaxAttempts, InitialDelay: p.InitialDelay, MaxDelay: p.MaxDelay, Multiplier: 2, Jitter: 0.1}
}
