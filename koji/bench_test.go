package koji_test

import (
	"context"
	"testing"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
)

const benchBuilds = 1000

// benchSetup starts a hub with benchBuilds builds.
func benchSetup(b *testing.B) *koji.Client {
	b.Helper()
	hub := kojitest.New(b)
	c, err := koji.NewClient(hub.URL(), koji.WithHTTPClient(hub.Client()),
		koji.WithAuth(koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword}))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Login(ctx); err != nil {
		b.Fatal(err)
	}
	mc := c.NewMulticall()
	for i := range benchBuilds {
		mc.Call("createEmptyBuild", "pkg", "1.0", itoa(i+1), nil)
	}
	if err := mc.Do(ctx, nil); err != nil {
		b.Fatal(err)
	}
	return c
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// BenchmarkGetBuildMulticall fetches 1,000 builds in one multicall.
func BenchmarkGetBuildMulticall(b *testing.B) {
	c := benchSetup(b)
	ctx := context.Background()
	for b.Loop() {
		mc := c.NewMulticall()
		futs := make([]*koji.Future[*koji.Build], benchBuilds)
		for i := range futs {
			futs[i] = mc.GetBuild(koji.ID(int64(i + 1)))
		}
		if err := mc.Do(ctx, nil); err != nil {
			b.Fatal(err)
		}
		for _, f := range futs {
			if _, err := f.Result(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkGetBuildSequential fetches 1,000 builds one call at a time.
func BenchmarkGetBuildSequential(b *testing.B) {
	c := benchSetup(b)
	ctx := context.Background()
	for b.Loop() {
		for i := range benchBuilds {
			if _, err := c.GetBuild(ctx, koji.ID(int64(i+1))); err != nil {
				b.Fatal(err)
			}
		}
	}
}
