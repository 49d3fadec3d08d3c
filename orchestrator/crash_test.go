package orchestrator_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/zerobuilder"
)

const (
	crashDirEnv    = "MODKIT_CRASH_HELPER_DIR"
	crashComps     = 60
	crashBatches   = 10
	crashDoneFile  = "done"
	crashBuildTime = 3 * time.Millisecond
)

// crashRun runs the service over the state in dir until the module build
// of crashModule is finished, submitting it first if the store has none.
// It returns the finished build.
func crashRun(t testing.TB, dir string) *orchestrator.ModuleBuild {
	e := newEnv(t, dir, &zerobuilder.Options{Journal: filepath.Join(dir, "journal"), Delay: crashBuildTime}, nil)
	ctx := context.Background()
	l, _, err := e.svc.List(ctx, &orchestrator.ModuleBuildFilter{Name: "crash"})
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	if len(l) == 0 {
		mbs, err := e.svc.Submit(ctx, &orchestrator.SubmitRequest{Modulemd: []byte(moduleYAML("crash", crashComps, crashBatches)), Owner: "crash"})
		if err != nil {
			t.Fatal(err)
		}
		id = mbs[0].ID
	} else {
		id = l[0].ID
	}
	e.run(t)
	mbs := e.wait(t, id)
	return mbs[0]
}

// TestCrashHelper is the service process of TestCrashRecovery; it does
// nothing unless started by it.
func TestCrashHelper(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("helper process of TestCrashRecovery")
	}
	mb := crashRun(t, dir)
	if err := os.WriteFile(filepath.Join(dir, crashDoneFile), []byte(mb.Modulemd), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCrashRecovery kills the service with SIGKILL at random points of a
// 60-component build, restarts it, and checks that the build completes
// with the same result as an uninterrupted one and that no component was
// built twice. 20 runs.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test re-executes the test binary many times")
	}
	t.Parallel()
	refDir := t.TempDir()
	ref := crashRun(t, refDir)
	if ref.State != orchestrator.StateReady {
		t.Fatalf("reference build: state %s (%s)", ref.State, ref.StateReason)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 42))
	kills := 0
	for run := range 20 {
		dir := t.TempDir()
		restarts := 0
		for {
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
			cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
			out, err := os.Create(filepath.Join(dir, fmt.Sprintf("helper-%d.log", restarts)))
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Kill most starts at a random point; let every third restart
			// (after four kills, the last start) run to the end.
			wait := make(chan error, 1)
			go func() { wait <- cmd.Wait() }()
			var werr error
			if restarts < 4 {
				select {
				case werr = <-wait:
				case <-time.After(time.Duration(rng.IntN(250)) * time.Millisecond):
					cmd.Process.Kill()
					werr = <-wait
					kills++
				}
			} else {
				select {
				case werr = <-wait:
				case <-time.After(60 * time.Second):
					cmd.Process.Kill()
					t.Fatalf("run %d: helper did not finish", run)
				}
			}
			out.Close()
			if _, err := os.Stat(filepath.Join(dir, crashDoneFile)); err == nil {
				break
			}
			var ee *exec.ExitError
			if werr != nil && !errors.As(werr, &ee) {
				t.Fatalf("run %d: %v", run, werr)
			}
			if ee != nil && ee.ExitCode() > 0 {
				log, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("helper-%d.log", restarts)))
				t.Fatalf("run %d: helper failed:\n%s", run, log)
			}
			restarts++
		}
		got, err := os.ReadFile(filepath.Join(dir, crashDoneFile))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(ref.Modulemd, string(got)); diff != "" {
			t.Errorf("run %d (%d restarts): final modulemd differs from an uninterrupted build (-want +got):\n%s", run, restarts, diff)
		}
		builds, err := zerobuilder.ReadJournal(filepath.Join(dir, "journal"))
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, b := range builds {
			seen[b.Package]++
		}
		if len(seen) != crashComps+1 {
			t.Errorf("run %d: %d distinct components built, want %d", run, len(seen), crashComps+1)
		}
		for pkg, n := range seen {
			if n != 1 {
				t.Errorf("run %d (%d restarts): component %s built %d times", run, restarts, pkg, n)
			}
		}
	}
	t.Logf("%d kills over 20 runs", kills)
	if kills == 0 {
		t.Errorf("no kill at all (%d): the helper finishes too fast for the test to mean anything", kills)
	}
}
