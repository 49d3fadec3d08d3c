package kojibuild_test

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
	"github.com/modkit/modkit/orchestrator"
)

const (
	crashDirEnv   = "MODKIT_KOJI_CRASH_DIR"
	crashHubEnv   = "MODKIT_KOJI_CRASH_HUB"
	crashPlatEnv  = "MODKIT_KOJI_CRASH_PLATFORM"
	crashComps    = 20
	crashBatches  = 4
	crashDoneFile = "done"
)

// crashHub is the hub of the helper process: the parent's kojitest hub.
func crashHub() *hubEnv {
	stream, platform, _ := strings.Cut(os.Getenv(crashPlatEnv), " ")
	return &hubEnv{url: os.Getenv(crashHubEnv), stream: stream, platform: platform,
		admin: koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword}}
}

// TestCrashHelper is the service process of TestCrashRestart; it does
// nothing unless started by it. It submits the module if the store has
// none, runs the service until the build ends and writes the done file.
func TestCrashHelper(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("helper process of TestCrashRestart")
	}
	h := crashHub()
	e := newEnv(t, h, dir, nil)
	ctx := context.Background()
	l, _, err := e.svc.List(ctx, &orchestrator.ModuleBuildFilter{Name: "crash"})
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	if len(l) == 0 {
		id = e.submit(t, moduleYAML("crash", h.stream, ordered("c", crashComps, crashBatches), ""), "").ID
	} else {
		id = l[0].ID
	}
	e.run(t)
	mb := e.wait(t, id)
	if err := os.WriteFile(filepath.Join(dir, crashDoneFile), []byte(mb.State.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCrashRestart kills the service with SIGKILL at random points of a
// 20-component koji build and restarts it, until the build ends. All 20
// components must finish, koji must have been asked to build each
// component once, and the CG build must carry every RPM.
func TestCrashRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	t.Parallel()
	h := newKojitest(t)
	h.sim.SetDuration(300 * time.Millisecond)
	dir := t.TempDir()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	kills := 0
	for run := 0; ; run++ {
		if run > 40 {
			t.Fatal("the build did not finish in 40 runs")
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.v")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashHubEnv+"="+h.url, crashPlatEnv+"="+h.stream+" "+h.platform)
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		if kills < 8 {
			select {
			case err = <-done:
			case <-time.After(time.Duration(50+rng.IntN(700)) * time.Millisecond):
				cmd.Process.Kill()
				<-done
				kills++
				continue
			}
		} else {
			err = <-done
		}
		if _, serr := os.Stat(filepath.Join(dir, crashDoneFile)); serr == nil {
			break
		}
		if err != nil {
			t.Fatalf("helper run %d: %v\n%s", run, err, out.String())
		}
	}
	t.Logf("%d kills", kills)
	e := newEnv(t, h, dir, nil)
	l, _, err := e.svc.List(context.Background(), &orchestrator.ModuleBuildFilter{Name: "crash"})
	if err != nil || len(l) != 1 {
		t.Fatalf("list: %v, %d builds", err, len(l))
	}
	finished := 0
	for _, c := range e.components(t, l[0].ID) {
		if c.State != nil && *c.State == orchestrator.ComponentComplete && !c.BuildTimeOnly {
			finished++
		}
	}
	if finished != crashComps {
		t.Errorf("%d of %d components finished", finished, crashComps)
	}
	check(t, e, l[0]) // includes one koji submission per component
}
