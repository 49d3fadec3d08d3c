package kojitest

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/modkit/modkit/internal/xmlrpcx"
)

// Credentials of the admin user every hub starts with.
const (
	AdminUser     = "kojiadmin"
	AdminPassword = "kojiadmin-pw"
)

// Version is the koji version the hub reports.
const Version = "1.35.3"

// Hub is an in-process koji hub. Its methods are safe for concurrent use.
type Hub struct {
	srv     *httptest.Server
	builder Builder
	now     func() time.Time
	wrap    func(http.Handler) http.Handler
	gssapi  func(token string) (string, error)
	tlsOn   bool
	topDir  string

	callnumMode CallnumMode

	mu sync.Mutex
	st *state
}

// Option configures a Hub.
type Option func(*Hub)

// WithBuilder installs a simulated builder: at the start of every request,
// each FREE task is passed to b and finished as it says.
func WithBuilder(b Builder) Option { return func(h *Hub) { h.builder = b } }

// WithClock replaces time.Now for timestamps.
func WithClock(now func() time.Time) Option { return func(h *Hub) { h.now = now } }

// WithMiddleware wraps the hub's HTTP handler, e.g. to inject transport
// failures.
func WithMiddleware(w func(http.Handler) http.Handler) Option { return func(h *Hub) { h.wrap = w } }

// WithTLS serves HTTPS and requests (but does not require) client
// certificates; sslLogin takes the user from the certificate's CN.
func WithTLS() Option { return func(h *Hub) { h.tlsOn = true } }

// WithGSSAPI makes sslLogin accept an "Authorization: Negotiate <token>"
// header: verify maps the base64 token to a principal ("user@REALM"); the
// part before "@" is the user name.
func WithGSSAPI(verify func(token string) (principal string, err error)) Option {
	return func(h *Hub) { h.gssapi = verify }
}

// CallnumMode says which request header the hub reads the session's call
// number from.
type CallnumMode int

const (
	// CallnumReleased reads only Koji-Callnum, as every released hub from
	// koji 1.31 to 1.35.3 does (the default). A request without it gets no
	// SequenceError/RetryError check.
	CallnumReleased CallnumMode = iota
	// CallnumMaster reads Koji-Session-Callnum first and falls back to
	// Koji-Callnum, as koji's master branch after 1.35.3 does.
	CallnumMaster
)

// WithCallnumMode selects the call-number header behaviour; the default is
// CallnumReleased.
func WithCallnumMode(m CallnumMode) Option { return func(h *Hub) { h.callnumMode = m } }

// New starts a hub and stops it when the test ends.
func New(tb testing.TB, opts ...Option) *Hub {
	tb.Helper()
	h := NewServer(opts...)
	tb.Cleanup(h.Close)
	return h
}

// NewServer starts a hub outside a test (examples, benchmarks, programs).
// Call Close when done.
func NewServer(opts ...Option) *Hub {
	h := &Hub{now: func() time.Time { return time.Now().UTC() }}
	for _, o := range opts {
		o(h)
	}
	h.st = newState(h.now)
	var handler http.Handler = http.HandlerFunc(h.serveHTTP)
	if h.wrap != nil {
		handler = h.wrap(handler)
	}
	if h.tlsOn {
		h.srv = httptest.NewUnstartedServer(handler)
		h.srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
		h.srv.StartTLS()
	} else {
		h.srv = httptest.NewServer(handler)
	}
	return h
}

// URL returns the hub endpoint, <server>/kojihub.
func (h *Hub) URL() string { return h.srv.URL + "/kojihub" }

// Client returns an http.Client that trusts the hub's TLS certificate.
func (h *Hub) Client() *http.Client { return h.srv.Client() }

// Server returns the underlying httptest server.
func (h *Hub) Server() *httptest.Server { return h.srv }

// Close stops the server.
func (h *Hub) Close() { h.srv.Close() }

func (h *Hub) serveHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Koji-Version", Version)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "Method Not Allowed\nThis is an XML-RPC server. Only POST requests are accepted.", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		http.Error(w, "Invalid request: "+err.Error(), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.runBuilder()
	var resp []byte
	if r.URL.Query().Get("filename") != "" {
		resp = h.handleUpload(r, body)
	} else {
		if len(body) == 0 {
			http.Error(w, "Invalid request: Empty request", http.StatusBadRequest)
			return
		}
		method, params, err := xmlrpcx.DecodeCall(body)
		if err != nil {
			http.Error(w, "Invalid request: "+err.Error(), http.StatusBadRequest)
			return
		}
		resp = h.handleCall(r, method, params)
	}
	// As koji's WSGI handler does, every answer carries its length.
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(resp)))
	w.Write(resp)
}

func encodeResult(v any, f *xmlrpcx.Fault) []byte {
	if f != nil {
		return xmlrpcx.EncodeFault(f.Code, f.Message)
	}
	b, err := xmlrpcx.EncodeResponse(v)
	if err != nil {
		return xmlrpcx.EncodeFault(1, fmt.Sprintf("<class 'TypeError'>: cannot marshal result: %v", err))
	}
	return b
}

// authenticate resolves the session headers. It returns the session (nil
// for anonymous) and its callnum, or a fault.
func (h *Hub) authenticate(r *http.Request, method string, params []any) (*session, int64, *xmlrpcx.Fault) {
	sid := r.Header.Get("Koji-Session-Id")
	if sid == "" {
		return nil, 0, nil
	}
	id, _ := strconv.ParseInt(sid, 10, 64)
	s := h.st.sessions[id]
	if s == nil || s.closed || s.key != r.Header.Get("Koji-Session-Key") {
		return nil, 0, fault(1002, "Invalid session or bad credentials")
	}
	if s.expired && !isRenewal(method, params) {
		return nil, 0, fault(1007, "session %q has expired", strconv.FormatInt(s.id, 10))
	}
	cn, ok := h.callnumHeader(r)
	if !ok {
		// No call number: like a real hub, no sequence or retry check,
		// and nothing is stored.
		return s, NoCallnum, nil
	}
	callnum, err := strconv.ParseInt(cn, 10, 64)
	if err != nil {
		return nil, 0, fault(1002, "Invalid callnum: %q", cn)
	}
	if s.lastCallnum != nil {
		if callnum < *s.lastCallnum {
			return nil, 0, fault(1008, "%d > %d (session %d)", *s.lastCallnum, callnum, s.id)
		}
		if callnum == *s.lastCallnum && !retryWhitelist[method] {
			return nil, 0, fault(1009, "unable to retry call %d (method %s) for session %d", callnum, method, s.id)
		}
	}
	return s, callnum, nil
}

// NoCallnum is the Call.Callnum of a logged-in request that carried no call
// number the hub reads.
const NoCallnum = -1

// callnumHeader returns the call number header the hub reads: released
// hubs (koji 1.31 to 1.35.3) read only Koji-Callnum; koji's master branch
// reads Koji-Session-Callnum and falls back to Koji-Callnum.
func (h *Hub) callnumHeader(r *http.Request) (string, bool) {
	if h.callnumMode == CallnumMaster {
		if v := r.Header.Values("Koji-Session-Callnum"); len(v) > 0 {
			return v[0], true
		}
	}
	if v := r.Header.Values("Koji-Callnum"); len(v) > 0 {
		return v[0], true
	}
	return "", false
}

// retryWhitelist are the methods a real hub lets a session resend with a
// committed call number (kojihub/auth.py RetryWhitelist).
var retryWhitelist = map[string]bool{
	"host.taskWait": true, "host.taskUnwait": true, "host.taskSetWait": true, "host.updateHost": true,
	"host.setBuildRootState": true, "repoExpire": true, "repoDelete": true, "repoProblem": true,
}

func isRenewal(method string, params []any) bool {
	if method != "login" && method != "sslLogin" {
		return false
	}
	args, kw := xmlrpcx.SplitKwargs(params)
	if b, ok := kw["renew"].(bool); ok {
		return b
	}
	idx := 3 // login(user, password, opts, renew)
	if method == "sslLogin" {
		idx = 2 // sslLogin(proxyuser, proxyauthtype, renew)
	}
	if len(args) > idx {
		b, _ := args[idx].(bool)
		return b
	}
	return false
}

func (h *Hub) handleCall(r *http.Request, method string, params []any) []byte {
	st := h.st
	if st.offline {
		return encodeResult(nil, fault(1014, "server is offline"))
	}
	sess, callnum, f := h.authenticate(r, method, params)
	if f != nil {
		st.log(method, sess, callnum, f)
		return encodeResult(nil, f)
	}
	cx := &callCtx{h: h, st: st, req: r, sess: sess}
	if sess != nil {
		cx.user = st.users[sess.userID]
	}
	var result any
	var committed bool
	if method == "multiCall" || method == "system.multicall" {
		result, committed, f = h.multicall(cx, params)
	} else {
		result, f = h.dispatch(cx, method, params)
		committed = cx.committed
	}
	if sess != nil && f == nil && committed && callnum != NoCallnum {
		n := callnum
		sess.lastCallnum = &n
	}
	st.log(method, sess, callnum, f)
	return encodeResult(result, f)
}

func (h *Hub) multicall(cx *callCtx, params []any) (any, bool, *xmlrpcx.Fault) {
	if len(params) != 1 {
		return nil, false, fault(1019, "multiCall() takes exactly 1 argument (%d given)", len(params))
	}
	calls, ok := params[0].([]any)
	if !ok {
		return nil, false, fault(1019, "multiCall: calls must be an array")
	}
	out := make([]any, len(calls))
	committed := false
	for i, c := range calls {
		m, _ := c.(map[string]any)
		name, _ := m["methodName"].(string)
		args, _ := m["params"].([]any)
		if name == "multiCall" || name == "system.multicall" {
			out[i] = faultValue(fault(1000, "Invalid method: multiCall (multicall cannot be nested)"))
			continue
		}
		sub := &callCtx{h: cx.h, st: cx.st, req: cx.req, sess: cx.sess, user: cx.user}
		res, f := h.dispatch(sub, name, args)
		if f != nil {
			out[i] = faultValue(f)
			continue
		}
		committed = committed || sub.committed
		out[i] = []any{res}
	}
	return out, committed, nil
}

func faultValue(f *xmlrpcx.Fault) map[string]any {
	return map[string]any{"faultCode": f.Code, "faultString": f.Message,
		"traceback": []any{"Traceback (most recent call last):", "kojitest: " + f.Message}}
}

// dispatch binds arguments and runs one method. A handler's changes are
// applied only if it returns no fault (handlers validate first, then
// mutate), which stands in for the hub's per-call savepoint.
func (h *Hub) dispatch(cx *callCtx, method string, params []any) (result any, f *xmlrpcx.Fault) {
	defer func() {
		if r := recover(); r != nil {
			result, f = nil, fault(1, "<class 'Exception'>: kojitest: %v", r)
		}
	}()
	m := methods[method]
	if m == nil {
		return nil, fault(1000, "Invalid method: %s", method)
	}
	a, f := m.bind(params)
	if f != nil {
		return nil, f
	}
	cx.method = method
	return m.fn(cx, a)
}

// callCtx is the context of one (sub)call.
type callCtx struct {
	h         *Hub
	st        *state
	req       *http.Request
	sess      *session
	user      *user
	method    string
	committed bool
	ev        int64
}

// event returns this call's event id, creating it on first use; it also
// marks the call as committed.
func (cx *callCtx) event() int64 {
	cx.committed = true
	if cx.ev == 0 {
		cx.ev = cx.st.newEvent()
	}
	return cx.ev
}

func (cx *callCtx) requireLogin() *xmlrpcx.Fault {
	if cx.user == nil {
		return fault(1004, "you must be logged in for this operation")
	}
	return nil
}

// requirePerm passes for admins and for users with one of perms.
func (cx *callCtx) requirePerm(perms ...string) *xmlrpcx.Fault {
	if cx.user == nil {
		return fault(1004, "%s permission required (user not logged in)", perms[0])
	}
	if cx.user.perms["admin"] {
		return nil
	}
	for _, p := range perms {
		if cx.user.perms[p] {
			return nil
		}
	}
	return fault(1004, "%s permission required", perms[0])
}

func fault(code int, format string, args ...any) *xmlrpcx.Fault {
	return &xmlrpcx.Fault{Code: code, Message: fmt.Sprintf(format, args...)}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randomKey(userID int64) string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 19)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return strconv.FormatInt(userID, 10) + "-" + string(b)
}
