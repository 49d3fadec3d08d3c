package koji

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/modkit/modkit/internal/retry"
	"github.com/modkit/modkit/internal/xmlrpcx"
)

// DefaultTimeout is the HTTP timeout of the client NewClient builds when no
// WithHTTPClient option is given.
const DefaultTimeout = 5 * time.Minute

// DefaultIdleConns is how many idle connections to the hub the default
// HTTP client keeps (net/http keeps 2 per host): reads of a client used from
// many goroutines run in parallel, and without spare idle connections each
// of them would open (and, over https, handshake) a new one.
const DefaultIdleConns = 16

func defaultTransport() http.RoundTripper {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return http.DefaultTransport
	}
	t = t.Clone()
	t.MaxIdleConnsPerHost = DefaultIdleConns
	return t
}

// DefaultUserAgent is sent unless WithUserAgent says otherwise.
const DefaultUserAgent = "modkit-koji/1"

// Kwargs are keyword arguments for [Client.Call] and [Multicall.Call],
// sent in koji's `__starstar` convention. Put a Kwargs value last.
type Kwargs = xmlrpcx.Kwargs

// Client talks to a koji hub. It is safe for concurrent use.
//
// A logged-in client's calls share the session and its call counter, and
// the hub refuses a call whose number is lower than one it has already
// committed (SequenceError). So the calls that need the session (writes,
// uploads and the reads that depend on who is logged in) go over the wire
// one at a time, in call-number order, each holding the session until its
// reply (and any resend) is done. Other reads are sent without session
// headers, in parallel, like an anonymous client's (see
// [WithSessionReads]). To write in parallel, use several clients, each with
// its own session.
type Client struct {
	hubURL    string
	http      *http.Client
	tr        xmlrpcx.Client
	logger    *slog.Logger
	retry     RetryPolicy
	auth      Authenticator
	poll      time.Duration
	userAgent string

	mu      sync.Mutex
	session *Session
	callnum int64
	version string // Koji-Version response header, when seen

	// lane is held by the one request of the session that is on the
	// wire: from reserving its call number until its reply.
	lane         chan struct{}
	sessionReads bool // send every read with the session too

	renewMu sync.Mutex
}

// NewClient returns a client for the hub at hubURL, e.g.
// "https://koji.fedoraproject.org/kojihub". It does not contact the hub.
func NewClient(hubURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(hubURL)
	if err != nil {
		return nil, fmt.Errorf("koji: parse hub URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("koji: hub URL %q: want an absolute http(s) URL", hubURL)
	}
	c := &Client{
		hubURL:    strings.TrimSuffix(u.String(), "/"),
		logger:    slog.New(discardHandler{}),
		retry:     DefaultRetryPolicy,
		poll:      DefaultPollInterval,
		userAgent: DefaultUserAgent,
		lane:      make(chan struct{}, 1),
	}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: DefaultTimeout, Transport: defaultTransport()}
	}
	c.tr = xmlrpcx.Client{HTTPClient: c.http, UserAgent: c.userAgent}
	return c, nil
}

// URL returns the hub URL the client talks to.
func (c *Client) URL() string { return c.hubURL }

// HubVersion returns the Koji-Version header of the most recent response,
// or "" if the hub did not send one (hubs before 1.35). See also
// [Client.GetKojiVersion].
func (c *Client) HubVersion() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.version
}

// Call invokes an arbitrary hub method and stores its result in result (a
// pointer, or nil to discard it) using `xmlrpc` struct tags; see the package
// documentation. End args with a [Kwargs] value to pass keyword arguments.
// Call retries only when it is safe, exactly like the typed methods.
func (c *Client) Call(ctx context.Context, method string, result any, args ...any) error {
	return c.call(ctx, method, result, args, nil)
}

// callOpts tune one request.
type callOpts struct {
	path      string                    // appended to the hub URL, e.g. "/ssllogin"
	anonymous bool                      // send no session headers
	prepare   func(*http.Request) error // last-minute request hook
	noRenew   bool                      // do not renew an expired session
	// decode decodes the answer; nil is xmlrpcx.DecodeResponse.
	decode func([]byte) (any, error)
}

// call sends method with positional args and, if k is not empty, a
// trailing kwargs struct, and decodes the result into out (if non-nil).
func (c *Client) call(ctx context.Context, method string, out any, args []any, k Kwargs) error {
	if len(k) > 0 {
		args = append(args[:len(args):len(args)], k)
	}
	v, err := c.do(ctx, method, args, callOpts{})
	if err != nil || out == nil {
		return err
	}
	return unmarshal(method, v, out)
}

// do sends one XML-RPC call, with retries where they are safe and one
// session renewal on AuthExpired.
func (c *Client) do(ctx context.Context, method string, args []any, o callOpts) (any, error) {
	body, err := xmlrpcx.EncodeCall(method, args...)
	if err != nil {
		return nil, fmt.Errorf("koji: %s: %w", method, err)
	}
	if c.anonymousRead(method) {
		o.anonymous = true
	}
	decode := o.decode
	if decode == nil {
		decode = xmlrpcx.DecodeResponse
	}
	return c.send(ctx, method, readOnly(method), o, func(sess *Session, callnum int64) *xmlrpcx.Request {
		return &xmlrpcx.Request{
			URL:     c.hubURL + o.path,
			Body:    body,
			Header:  sessionHeader(sess, callnum),
			Prepare: o.prepare,
		}
	}, decode)
}

// send runs the retry and renewal loop around one logical request. build
// makes the HTTP request for a session and callnum; the same request is
// resent on retry, so the hub's callnum check turns a resend of a committed
// call into RetryError instead of a second execution.
func (c *Client) send(ctx context.Context, method string, safeAnon bool, o callOpts,
	build func(*Session, int64) *xmlrpcx.Request, decode func([]byte) (any, error)) (any, error) {
	renewed := false
	for {
		release, held, err := c.acquire(ctx, o.anonymous)
		if err != nil {
			return nil, fmt.Errorf("koji: %s: %w", method, err)
		}
		// Without the lane (no session when the call started) the call
		// goes anonymously even if a login lands meanwhile.
		sess, callnum := c.next(o.anonymous || !held)
		req := build(sess, callnum)
		canRetry := sess != nil || safeAnon
		policy := c.retry.policy()
		if !canRetry {
			policy = retry.NoRetry
		}
		var result any
		err = retry.Do(ctx, policy, c.retriable, func(ctx context.Context, attempt int) error {
			if attempt > 1 {
				c.logger.LogAttrs(ctx, slog.LevelWarn, "koji: retrying call", slog.String("method", method),
					slog.Int("attempt", attempt), slog.Int64("callnum", callnum))
			}
			start := time.Now()
			resp, err := c.tr.Do(ctx, req)
			if err != nil {
				c.logger.LogAttrs(ctx, slog.LevelDebug, "koji: call failed", slog.String("method", method), slog.Any("error", err))
				return err
			}
			if v := resp.Header.Get("Koji-Version"); v != "" {
				c.mu.Lock()
				c.version = v
				c.mu.Unlock()
			}
			result, err = decode(resp.Body)
			c.logger.LogAttrs(ctx, slog.LevelDebug, "koji: call", slog.String("method", method),
				slog.Duration("elapsed", time.Since(start)), slog.Bool("ok", err == nil))
			var f *xmlrpcx.Fault
			if errors.As(err, &f) {
				kf := toFault(method, f)
				if attempt > 1 && kf.Code == ErrRetry.Code {
					return fmt.Errorf("%w (the call was resent after a transport error; the hub says the first attempt committed, so its result is lost)", kf)
				}
				return kf
			}
			return err
		})
		release()
		if err == nil {
			return result, nil
		}
		if errors.Is(err, ErrAuthExpired) && sess != nil && !o.noRenew && !renewed && c.auth != nil {
			renewed = true
			if rerr := c.renew(ctx, sess); rerr != nil {
				return nil, fmt.Errorf("koji: %s: renew expired session: %w", method, rerr)
			}
			continue
		}
		var f *Fault
		if errors.As(err, &f) {
			return nil, err
		}
		return nil, fmt.Errorf("koji: %s: %w", method, err)
	}
}

// acquire waits until no other request of the session is on the wire and
// returns the function that lets the next one go, and whether it holds the
// lane. Anonymous requests, and every request of a client without a
// session, go at once.
func (c *Client) acquire(ctx context.Context, anonymous bool) (release func(), held bool, err error) {
	if anonymous || c.Session() == nil {
		return func() {}, false, nil
	}
	select {
	case c.lane <- struct{}{}:
		return func() { <-c.lane }, true, nil
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
}

// anonymousRead reports whether method is a read that a logged-in client
// sends without its session, so that it neither waits for nor holds up the
// session's calls. Reads whose answer depends on the caller keep it.
func (c *Client) anonymousRead(method string) bool {
	if c.sessionReads || !readOnly(method) {
		return false
	}
	for _, s := range []string{"User", "Perm", "Session", "Notification", "checkTagAccess"} {
		if strings.Contains(method, s) {
			return false
		}
	}
	return !strings.HasPrefix(method, "has")
}

// next returns the current session and reserves the next callnum.
func (c *Client) next(anonymous bool) (*Session, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if anonymous || c.session == nil {
		return nil, 0
	}
	n := c.callnum
	c.callnum++
	s := *c.session
	return &s, n
}

// sessionHeader returns the session headers of one request. The call
// number goes out under both names: released hubs (1.31 to 1.35.3) read
// only Koji-Callnum, koji's master branch reads Koji-Session-Callnum first.
// A hub that finds no call number does no SequenceError/RetryError check
// at all, so a resent write would run twice.
func sessionHeader(s *Session, callnum int64) http.Header {
	if s == nil {
		return nil
	}
	n := strconv.FormatInt(callnum, 10)
	h := make(http.Header, 4)
	h.Set("Koji-Session-Id", strconv.FormatInt(s.ID, 10))
	h.Set("Koji-Session-Key", s.Key)
	h.Set("Koji-Session-Callnum", n)
	h.Set("Koji-Callnum", n)
	return h
}

// retriable reports transient failures: network errors, proxy and timeout
// statuses, and ServerOffline faults when the policy allows. Certificate
// errors and other faults are permanent.
func (c *Client) retriable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var f *Fault
	if errors.As(err, &f) {
		return c.retry.RetryOffline && f.Code == ErrServerOffline.Code
	}
	var he *HTTPError
	if errors.As(err, &he) {
		switch he.StatusCode {
		case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusBadGateway,
			http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return true
		}
		return false
	}
	var certErr *tls.CertificateVerificationError
	var uaErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invErr x509.CertificateInvalidError
	if errors.As(err, &certErr) || errors.As(err, &uaErr) || errors.As(err, &hostErr) || errors.As(err, &invErr) {
		return false
	}
	if errors.Is(err, xmlrpcx.ErrMalformed) {
		// A truncated body from a dropped connection.
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}

// readOnly reports hub methods that never change state, so that an
// anonymous client may resend them.
func readOnly(method string) bool {
	for _, p := range []string{"get", "list", "query", "has", "echo", "repoInfo", "system.",
		"tagLastChangeEvent", "repo.get", "repo.query", "repo.checkRequest", "_listapi", "checkTagAccess"} {
		if strings.HasPrefix(method, p) {
			return true
		}
	}
	return false
}

type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }
