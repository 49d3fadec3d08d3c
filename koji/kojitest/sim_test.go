package kojitest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
)

// TestSim checks the simulated build farm: builds take their duration,
// carry the dist tag of the module-build-macros build tagged into the build
// tag, fail on demand, and are counted.
func TestSim(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim := kojitest.NewSim()
	hub := kojitest.New(t, kojitest.WithBuilder(sim.Builder))
	c, err := koji.NewClient(hub.URL(), koji.WithAuth(koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword}),
		koji.WithPollInterval(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"m-build", "m"} {
		if _, err := c.CreateTag(ctx, tag, &koji.CreateTagOptions{Arches: []string{"x86_64"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.CreateTarget(ctx, "m", koji.Name("m-build"), koji.Name("m")); err != nil {
		t.Fatal(err)
	}
	skip := &koji.BuildOptions{SkipTag: true}
	// module-build-macros from an uploaded SRPM keeps the SRPM's NVR.
	id, err := c.Build(ctx, "cli-build/x/module-build-macros-0.1-1.module+f40+1+abcdef12.src.rpm", "m", skip)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitTask(ctx, id, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.TagBuildBypass(ctx, koji.Name("m-build"), koji.Name("module-build-macros-0.1-1.module+f40+1+abcdef12"), true); err != nil {
		t.Fatal(err)
	}
	sim.SetDuration(150 * time.Millisecond)
	start := time.Now()
	id, err = c.Build(ctx, "https://git.example.com/rpms/foo?#abc", "m", skip)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitTask(ctx, id, nil); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("build took %v, want at least 150ms", d)
	}
	if _, err := c.GetBuild(ctx, koji.Name("foo-1.0-1.module+f40+1+abcdef12")); err != nil {
		t.Errorf("build with the dist tag: %v", err)
	}
	sim.SetDuration(0)
	sim.Fail("bar", "error: Bad exit status")
	id, err = c.Build(ctx, "https://git.example.com/rpms/bar?#abc", "m", skip)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitTask(ctx, id, nil); !errors.Is(err, koji.ErrTaskFailed) {
		t.Errorf("failing build: %v", err)
	}
	if n := sim.Submissions("foo"); n != 1 {
		t.Errorf("foo submitted %d times", n)
	}
	if n := sim.TargetSubmissions("m", "bar"); n != 1 {
		t.Errorf("bar submitted %d times to m", n)
	}
}
