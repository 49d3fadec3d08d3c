package orchestrator_test

import (
	"os"
	"os/exec"
	"testing"

	"github.com/modkit/modkit/orchestrator/pgstore/pgtest"
)

// TestServiceOnPostgres runs the service tests again with every service on
// its own PostgreSQL database (pgstore) instead of SQLite, in a child
// process of the test binary. The crash test is left out: the chaos test
// of cmd/modkit kills service processes sharing PostgreSQL.
func TestServiceOnPostgres(t *testing.T) {
	if os.Getenv(storeEnv) != "" {
		t.Skip("already the re-run")
	}
	pgtest.ServerURL(t)
	if testing.Short() {
		t.Skip("re-runs the service tests")
	}
	t.Parallel()
	args := []string{"-test.run=^Test", "-test.skip=^(TestServiceOnPostgres|TestCrash.*|TestParseStates|TestCanTransition)$", "-test.count=1"}
	if testing.Verbose() {
		args = append(args, "-test.v")
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), storeEnv+"=postgres")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("service tests on PostgreSQL: %v\n%s", err, out)
	}
	t.Logf("service tests on PostgreSQL:\n%s", out)
}
