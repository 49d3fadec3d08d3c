package koji

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/modkit/modkit/internal/retry"
)

// Option configures a Client in [NewClient].
type Option func(*Client) error

// WithHTTPClient makes the client use hc for every request, including
// logins and uploads. Configure TLS client certificates, CAs, proxies and
// timeouts there. The default is a new http.Client with [DefaultTimeout]
// and a copy of http.DefaultTransport that keeps [DefaultIdleConns] idle
// connections to the hub.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("koji: WithHTTPClient(nil)")
		}
		c.http = hc
		return nil
	}
}

// WithLogger sends the client's debug and retry logs to l. Session keys
// are never logged.
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

// WithRetry replaces [DefaultRetryPolicy].
func WithRetry(p RetryPolicy) Option {
	return func(c *Client) error {
		c.retry = p
		return nil
	}
}

// WithAuth sets how [Client.Login] obtains a session and how an expired
// session is renewed: [PasswordAuth], [CertificateAuth], or the Kerberos
// authenticator in package koji/kerberos.
func WithAuth(a Authenticator) Option {
	return func(c *Client) error {
		c.auth = a
		return nil
	}
}

// WithSessionReads makes a logged-in client send read-only calls with its
// session as well. By default reads that do not depend on who is logged in
// go without session headers, so they run in parallel with each other and
// never wait behind the session's writes, which the hub's call counter
// forces to go one at a time. Enable this for hubs that must see the user
// on every call; reads then queue behind writes.
func WithSessionReads(on bool) Option {
	return func(c *Client) error {
		c.sessionReads = on
		return nil
	}
}

// WithPollInterval sets how often WaitTask and WaitRepo poll the hub by
// default (DefaultPollInterval).
func WithPollInterval(d time.Duration) Option {
	return func(c *Client) error {
		if d <= 0 {
			return errors.New("koji: poll interval must be positive")
		}
		c.poll = d
		return nil
	}
}

// DefaultPollInterval is how often WaitTask and WaitRepo poll by default.
const DefaultPollInterval = 10 * time.Second

// RetryPolicy says how often a failed call is sent again. Only calls that
// are safe to repeat are retried: reads always; any call of a logged-in
// client, because the hub's call counter makes a resend of an already
// committed call fail with RetryError instead of running twice. Anonymous
// writes are never retried. Faults are not retried, except ServerOffline
// when RetryOffline is set.
type RetryPolicy struct {
	MaxAttempts  int           // total attempts, first included; < 1 means 1
	InitialDelay time.Duration // wait before the second attempt
	MaxDelay     time.Duration // cap for one wait
	RetryOffline bool          // also retry ServerOffline faults
}

// DefaultRetryPolicy makes 5 attempts with exponential backoff from 1 s to
// 30 s and retries ServerOffline faults.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 5, InitialDelay: time.Second, MaxDelay: 30 * time.Second, RetryOffline: true}

// NoRetry disables retries.
var NoRetry = RetryPolicy{MaxAttempts: 1}

func (p RetryPolicy) policy() retry.Policy {
	return retry.Policy{MaxAttempts: p.MaxAttempts, InitialDelay: p.InitialDelay, MaxDelay: p.MaxDelay, Multiplier: 2, Jitter: 0.1}
}
