package koji_test

import (
	"testing"
	"time"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
)

var fastRetry = koji.RetryPolicy{MaxAttempts: 3, InitialDelay: time.Millisecond, MaxDelay: time.Millisecond, RetryOffline: true}

// setup starts a hub and returns it with a logged-in admin client.
func setup(t *testing.T, opts ...kojitest.Option) (*kojitest.Hub, *koji.Client) {
	t.Helper()
	hub := kojitest.New(t, opts...)
	c := newClient(t, hub, koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword})
	if err := c.Login(t.Context()); err != nil {
		t.Fatalf("Login: %v", err)
	}
	return hub, c
}

func newClient(t *testing.T, hub *kojitest.Hub, auth koji.Authenticator) *koji.Client {
	t.Helper()
	opts := []koji.Option{koji.WithHTTPClient(hub.Client()), koji.WithRetry(fastRetry), koji.WithPollInterval(time.Millisecond)}
	if auth != nil {
		opts = append(opts, koji.WithAuth(auth))
	}
	c, err := koji.NewClient(hub.URL(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func kojitestMiddleware(fl *flaky) kojitest.Option { return kojitest.WithMiddleware(fl.wrap) }
