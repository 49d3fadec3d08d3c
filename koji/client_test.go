package koji_test

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
)

func TestNewClient(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "kojihub", "ftp://x/kojihub", "http://"} {
		if _, err := koji.NewClient(u); err == nil {
			t.Errorf("NewClient(%q) succeeded", u)
		}
	}
	if _, err := koji.NewClient("https://h/kojihub", koji.WithHTTPClient(nil)); err == nil {
		t.Error("WithHTTPClient(nil) accepted")
	}
	c, err := koji.NewClient("https://h/kojihub/")
	if err != nil || c.URL() != "https://h/kojihub" {
		t.Errorf("NewClient = %v, %v", c, err)
	}
}

func TestFaultIs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code  int
		is    []error
		isNot []error
	}{
		{1000, []error{koji.ErrGeneric}, []error{koji.ErrAuth}},
		{1007, []error{koji.ErrAuthExpired, koji.ErrAuth, koji.ErrGeneric}, []error{koji.ErrSequence}},
		{1009, []error{koji.ErrRetry, koji.ErrAuth}, []error{koji.ErrBuild}},
		{1012, []error{koji.ErrBuildroot, koji.ErrBuild, koji.ErrGeneric}, []error{koji.ErrAuth}},
		{1, nil, []error{koji.ErrGeneric}},
	}
	for _, tt := range tests {
		f := &koji.Fault{Method: "m", Code: tt.code, Message: "x"}
		for _, e := range tt.is {
			if !errors.Is(f, e) {
				t.Errorf("fault %d is not %v", tt.code, e)
			}
		}
		for _, e := range tt.isNot {
			if errors.Is(f, e) {
				t.Errorf("fault %d is %v", tt.code, e)
			}
		}
	}
	if errors.Is(&koji.Fault{Code: 1000}, &koji.Fault{Code: 1000, Message: "specific"}) {
		t.Error("a fault with a message acts as a sentinel")
	}
	if got := (&koji.Fault{Method: "getTag", Code: 1019, Message: "bad"}).Error(); got != "koji: getTag: ParameterError (1019): bad" {
		t.Errorf("Error() = %q", got)
	}
	if koji.FaultName(1014) != "ServerOffline" {
		t.Error("FaultName(1014)")
	}
}

func TestCallFaults(t *testing.T) {
	t.Parallel()
	hub, c := setup(t)
	ctx := t.Context()
	var f *koji.Fault
	err := c.Call(ctx, "noSuchMethod", nil)
	if !errors.As(err, &f) || f.Code != 1000 || f.Method != "noSuchMethod" || !strings.Contains(f.Message, "Invalid method") {
		t.Errorf("unknown method error = %#v", err)
	}
	err = c.Call(ctx, "getTag", nil, "x", koji.Kwargs{"bogus": 1})
	if !errors.Is(err, koji.ErrParameter) {
		t.Errorf("unknown kwarg = %v, want ParameterError", err)
	}
	var echoed []any
	check(t, c.Call(ctx, "echo", &echoed, "a", nil, int64(1)<<40, true))
	if diff := cmp.Diff([]any{"a", nil, int64(1) << 40, true}, echoed); diff != "" {
		t.Errorf("echo (-want +got):\n%s", diff)
	}
	if c.HubVersion() != kojitest.Version {
		t.Errorf("HubVersion = %q", c.HubVersion())
	}
	hub.SetOffline(true)
	err = c.Call(ctx, "getAPIVersion", nil)
	if !errors.Is(err, koji.ErrServerOffline) {
		t.Errorf("offline = %v, want ServerOffline", err)
	}
	hub.SetOffline(false)
	if v := must[int](t)(c.GetAPIVersion(ctx)); v != 1 {
		t.Errorf("GetAPIVersion = %d", v)
	}
	if v := must[string](t)(c.GetKojiVersion(ctx)); v != kojitest.Version {
		t.Errorf("GetKojiVersion = %q", v)
	}
}

func TestHTTPErrors(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	hub := kojitest.New(t, kojitest.WithMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			http.Error(w, "Invalid request: nope", http.StatusBadRequest)
		})
	}))
	c := newClient(t, hub, nil)
	_, err := c.GetAPIVersion(t.Context())
	var he *koji.HTTPError
	if !errors.As(err, &he) || he.StatusCode != 400 {
		t.Errorf("error = %v, want HTTPError 400", err)
	}
	if calls.Load() != 1 {
		t.Errorf("a 400 was sent %d times, want 1 (not retried)", calls.Load())
	}
}

// flaky fails the first n matching requests with a 503, or (afterServe) lets
// the hub process them and then reports 502, losing the reply.
type flaky struct {
	mu         sync.Mutex
	n          int
	afterServe bool
	match      string
}

func (f *flaky) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		hit := f.n > 0 && (f.match == "" || r.Header.Get("X-Test") == f.match || strings.Contains(r.URL.RawQuery, f.match))
		if hit {
			f.n--
		}
		f.mu.Unlock()
		if !hit {
			next.ServeHTTP(w, r)
			return
		}
		if f.afterServe {
			next.ServeHTTP(discard{}, r)
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	})
}

type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

func TestRetries(t *testing.T) {
	t.Parallel()
	t.Run("anonymous read is retried", func(t *testing.T) {
		t.Parallel()
		fl := &flaky{n: 2}
		hub := kojitest.New(t, kojitest.WithMiddleware(fl.wrap))
		c := newClient(t, hub, nil)
		if v, err := c.GetAPIVersion(t.Context()); err != nil || v != 1 {
			t.Errorf("GetAPIVersion = %d, %v", v, err)
		}
	})
	t.Run("anonymous write is not retried", func(t *testing.T) {
		t.Parallel()
		fl := &flaky{n: 1}
		hub := kojitest.New(t, kojitest.WithMiddleware(fl.wrap))
		c := newClient(t, hub, nil)
		_, err := c.CreateTag(t.Context(), "x", nil)
		var he *koji.HTTPError
		if !errors.As(err, &he) || he.StatusCode != 503 {
			t.Errorf("CreateTag = %v, want the 503", err)
		}
	})
	t.Run("logged-in write resent with the same callnum", func(t *testing.T) {
		t.Parallel()
		fl := &flaky{}
		hub, c := setup(t, kojitest.WithMiddleware(fl.wrap))
		fl.mu.Lock()
		fl.n = 1
		fl.mu.Unlock()
		id, err := c.CreateTag(t.Context(), "retried", nil)
		if err != nil || id == 0 {
			t.Fatalf("CreateTag = %d, %v", id, err)
		}
		calls := hub.Calls()
		last := calls[len(calls)-1]
		if last.Method != "createTag" || last.FaultCode != 0 {
			t.Errorf("last call = %+v", last)
		}
	})
	t.Run("resend after a lost reply is refused, not repeated", func(t *testing.T) {
		t.Parallel()
		fl := &flaky{afterServe: true}
		hub, c := setup(t, kojitest.WithMiddleware(fl.wrap))
		fl.mu.Lock()
		fl.n = 1
		fl.mu.Unlock()
		_, err := c.CreateTag(t.Context(), "once", nil)
		if !errors.Is(err, koji.ErrRetry) {
			t.Fatalf("CreateTag = %v, want RetryError", err)
		}
		tags := must[[]koji.Tag](t)(c.ListTags(t.Context(), &koji.ListTagsOptions{Pattern: "once"}))
		if len(tags) != 1 {
			t.Errorf("tag created %d times, want exactly once", len(tags))
		}
		var n int
		for _, call := range hub.Calls() {
			if call.Method == "createTag" {
				n++
			}
		}
		if n != 2 {
			t.Errorf("createTag reached the hub %d times, want 2", n)
		}
	})
	t.Run("context cancellation", func(t *testing.T) {
		t.Parallel()
		fl := &flaky{n: 100}
		hub := kojitest.New(t, kojitest.WithMiddleware(fl.wrap))
		c, err := koji.NewClient(hub.URL(), koji.WithHTTPClient(hub.Client()),
			koji.WithRetry(koji.RetryPolicy{MaxAttempts: 100, InitialDelay: 3600e9}))
		check(t, err)
		ctx, cancel := contextWithCancelAfterFirstRequest(t, fl)
		defer cancel()
		_, err = c.GetAPIVersion(ctx)
		if !errors.Is(err, errCanceled()) {
			t.Errorf("GetAPIVersion = %v, want context.Canceled", err)
		}
	})
}

func TestSessions(t *testing.T) {
	t.Parallel()
	hub, c := setup(t)
	ctx := t.Context()
	u := must[*koji.User](t)(c.GetLoggedInUser(ctx))
	if u.Name != kojitest.AdminUser {
		t.Errorf("user = %+v", u)
	}
	if ok := must[bool](t)(c.HasPerm(ctx, "tag")); !ok {
		t.Error("admin lacks tag perm")
	}
	first := c.Session()

	// Expiry: the client renews (same id, new key) and the call count goes on.
	must[int64](t)(c.CreateTag(ctx, "before-expiry", nil))
	hub.ExpireSessions()
	if _, err := c.GetLoggedInUser(ctx); err != nil {
		t.Fatalf("call after expiry = %v, want transparent renewal", err)
	}
	renewed := c.Session()
	if renewed.ID != first.ID || renewed.Key == first.Key {
		t.Errorf("renewal: before %+v after %+v, want same id and new key", first, renewed)
	}
	var sawExpired bool
	for _, call := range hub.Calls() {
		sawExpired = sawExpired || call.FaultCode == 1007
	}
	if !sawExpired {
		t.Error("hub never reported AuthExpired")
	}

	// Concurrent calls share one callnum sequence without SequenceErrors.
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := c.GetLoggedInUser(ctx)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent call: %v", err)
		}
	}

	check(t, c.Logout(ctx))
	if c.Session() != nil {
		t.Error("session kept after Logout")
	}
	if _, err := c.GetLoggedInUser(ctx); !errors.Is(err, koji.ErrNotLoggedIn) {
		t.Errorf("after logout = %v, want ErrNotLoggedIn", err)
	}
	// The old session is dead on the hub.
	c.SetSession(renewed)
	if _, err := c.GetLoggedInUser(ctx); !errors.Is(err, koji.ErrAuth) {
		t.Errorf("closed session = %v, want AuthError", err)
	}
	if err := newClient(t, hub, nil).Logout(ctx); !errors.Is(err, koji.ErrNotLoggedIn) {
		t.Errorf("anonymous Logout = %v", err)
	}
}

func TestLoginErrors(t *testing.T) {
	t.Parallel()
	hub := kojitest.New(t)
	ctx := t.Context()
	c := newClient(t, hub, koji.PasswordAuth{User: kojitest.AdminUser, Password: "wrong"})
	if err := c.Login(ctx); !errors.Is(err, koji.ErrAuth) {
		t.Errorf("bad password = %v, want AuthError", err)
	}
	if err := newClient(t, hub, nil).Login(ctx); err == nil {
		t.Error("Login without authenticator succeeded")
	}
	// A plain-HTTP hub has no client certificate to offer.
	cert := newClient(t, hub, koji.CertificateAuth{})
	if err := cert.Login(ctx); !errors.Is(err, koji.ErrAuth) {
		t.Errorf("certificate login without a certificate = %v, want AuthError", err)
	}
	// Anonymous reads work; GetLoggedInUser reports no session.
	anon := newClient(t, hub, nil)
	if _, err := anon.GetLoggedInUser(ctx); !errors.Is(err, koji.ErrNotLoggedIn) {
		t.Errorf("anonymous GetLoggedInUser = %v", err)
	}
	if ok := must[bool](t)(anon.HasPerm(ctx, "admin")); ok {
		t.Error("anonymous HasPerm = true")
	}
}

func errCanceled() error { return context.Canceled }

// contextWithCancelAfterFirstRequest cancels the context once fl has failed
// its first request, so that the client is waiting in its backoff.
func contextWithCancelAfterFirstRequest(t *testing.T, fl *flaky) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		for ctx.Err() == nil {
			fl.mu.Lock()
			n := fl.n
			fl.mu.Unlock()
			if n < 100 {
				cancel()
				return
			}
			runtime.Gosched()
		}
	}()
	return ctx, cancel
}
