package koji_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
)

// concurrentWrites has one logged-in client create goroutines×perG tags
// at once, each goroutine also reading between its writes, and returns the
// errors.
func concurrentWrites(ctx context.Context, c *koji.Client, prefix string, goroutines, perG int) []error {
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perG {
				name := fmt.Sprintf("%s-%d-%d", prefix, g, i)
				_, err := c.CreateTag(ctx, name, nil)
				if err == nil {
					_, err = c.GetTag(ctx, koji.Name(name), nil)
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return errs
}

// TestConcurrentSession: one logged-in client used from many goroutines
// must not trip the hub's call-number sequence check (SequenceError 1008).
func TestConcurrentSession(t *testing.T) {
	t.Parallel()
	for name, mode := range map[string]kojitest.CallnumMode{"released": kojitest.CallnumReleased, "master": kojitest.CallnumMaster} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			hub, c := setup(t, kojitest.WithCallnumMode(mode))
			ctx := t.Context()
			for round := range 3 {
				if errs := concurrentWrites(ctx, c, fmt.Sprintf("conc%d", round), 16, 3); len(errs) > 0 {
					t.Fatalf("round %d: %d of 48 writes failed, first: %v", round, len(errs), errs[0])
				}
			}
			tags := must[[]koji.Tag](t)(c.ListTags(ctx, &koji.ListTagsOptions{Pattern: "conc*"}))
			if len(tags) != 3*48 {
				t.Errorf("%d tags, want %d", len(tags), 3*48)
			}
			for _, call := range hub.Calls() {
				if call.FaultCode != 0 {
					t.Errorf("hub answered %s (callnum %d) with fault %d", call.Method, call.Callnum, call.FaultCode)
				}
			}
		})
	}
}

// TestConcurrentSessionReads: with WithSessionReads every call carries the
// session, so reads queue with writes; nothing may fail either way.
func TestConcurrentSessionReads(t *testing.T) {
	t.Parallel()
	hub := kojitest.New(t)
	c, err := koji.NewClient(hub.URL(), koji.WithHTTPClient(hub.Client()), koji.WithSessionReads(true),
		koji.WithAuth(koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword}))
	check(t, err)
	check(t, c.Login(t.Context()))
	if errs := concurrentWrites(t.Context(), c, "sr", 16, 3); len(errs) > 0 {
		t.Fatalf("%d of 48 writes failed, first: %v", len(errs), errs[0])
	}
	for _, call := range hub.Calls() {
		if call.Method == "getTag" && call.SessionID == 0 {
			t.Fatalf("getTag sent anonymously despite WithSessionReads")
		}
	}
}

// TestReadsDoNotWaitForWrites: while a write of the session is on the wire,
// reads that do not depend on the user still go (without the session), and
// reads that do wait their turn.
func TestReadsDoNotWaitForWrites(t *testing.T) {
	t.Parallel()
	inWrite := make(chan struct{})
	finish := make(chan struct{})
	var once sync.Once
	slow := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Koji-Session-Id") != "" {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				if bytes.Contains(body, []byte("<methodName>createTag</methodName>")) {
					once.Do(func() { close(inWrite) })
					<-finish
				}
			}
			next.ServeHTTP(w, r)
		})
	}
	hub, c := setup(t, kojitest.WithMiddleware(slow))
	ctx := t.Context()
	werr := make(chan error, 1)
	go func() {
		_, err := c.CreateTag(ctx, "slow", nil)
		werr <- err
	}()
	<-inWrite
	if _, err := c.GetAPIVersion(ctx); err != nil {
		t.Fatalf("read during a write: %v", err)
	}
	if _, err := c.ListTags(ctx, nil); err != nil {
		t.Fatalf("read during a write: %v", err)
	}
	userDone := make(chan error, 1)
	go func() {
		_, err := c.GetLoggedInUser(ctx)
		userDone <- err
	}()
	select {
	case err := <-userDone:
		t.Fatalf("getLoggedInUser (needs the session) finished while the write held it: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(finish)
	check(t, <-werr)
	check(t, <-userDone)
	var seen []string
	for _, call := range hub.Calls() {
		if call.Method == "getLoggedInUser" && call.SessionID == 0 {
			t.Error("getLoggedInUser sent without the session")
		}
		if (call.Method == "getAPIVersion" || call.Method == "listTags") && call.SessionID != 0 {
			t.Errorf("%s sent with the session", call.Method)
		}
		seen = append(seen, call.Method)
	}
	t.Logf("calls: %v", seen)
}

// benchConcurrent measures rounds of 16 goroutines × 3 (createTag +
// getTag) on one logged-in client. It reports the failed calls per round
// (SequenceError before the fix) and the successful calls per second.
func benchConcurrent(b *testing.B, c *koji.Client, prefix string) {
	ctx := context.Background()
	failed := 0
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		failed += len(concurrentWrites(ctx, c, fmt.Sprintf("%s-%d", prefix, i), 16, 3))
	}
	b.StopTimer()
	rounds := float64(b.N)
	b.ReportMetric(float64(failed)/rounds, "failed/round")
	b.ReportMetric((96*rounds-float64(failed))/b.Elapsed().Seconds(), "calls/s")
}

// BenchmarkConcurrentSession: one logged-in client, 16 goroutines, against
// kojitest. "session-reads" sends every call with the session (all queue
// on it); "default" sends reads that do not depend on the user without it.
func BenchmarkConcurrentSession(b *testing.B) {
	for _, tt := range []struct {
		name         string
		sessionReads bool
	}{{"default", false}, {"session-reads", true}} {
		b.Run(tt.name, func(b *testing.B) {
			hub := kojitest.New(b) // plain http: the client's default transport works
			c, err := koji.NewClient(hub.URL(), koji.WithSessionReads(tt.sessionReads),
				koji.WithAuth(koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword}))
			if err != nil {
				b.Fatal(err)
			}
			if err := c.Login(context.Background()); err != nil {
				b.Fatal(err)
			}
			benchConcurrent(b, c, "bench")
		})
	}
}

// TestConcurrentRenewal: the session expires while 16 goroutines use it;
// one renewal serves them all and no call fails.
func TestConcurrentRenewal(t *testing.T) {
	t.Parallel()
	hub, c := setup(t)
	ctx := t.Context()
	if errs := concurrentWrites(ctx, c, "before", 4, 2); len(errs) > 0 {
		t.Fatal(errs[0])
	}
	id := c.Session().ID
	hub.ExpireSessions()
	if errs := concurrentWrites(ctx, c, "after", 16, 3); len(errs) > 0 {
		t.Fatalf("%d of 48 failed after expiry, first: %v", len(errs), errs[0])
	}
	if c.Session().ID != id {
		t.Errorf("session id changed on renewal: %d -> %d", id, c.Session().ID)
	}
	renewals := 0
	for _, call := range hub.Calls() {
		if call.Method == "login" && call.SessionID != 0 {
			renewals++
		}
	}
	if renewals != 1 {
		t.Errorf("%d renewals, want 1", renewals)
	}
}
