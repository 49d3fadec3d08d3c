// Package testenv holds the rule every test that drives a system program
// follows: skip with a message naming the package to install, or fail when
// MODKIT_REQUIRE_TOOLS=1 (what CI sets), so CI never silently skips.
package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/modkit/modkit/internal/systool"
)

// Required reports whether missing tools must fail tests instead of
// skipping them.
func Required() bool { return os.Getenv("MODKIT_REQUIRE_TOOLS") == "1" }

// RequireTools skips tb (or fails it under MODKIT_REQUIRE_TOOLS=1) unless
// every program in progs is on PATH.
func RequireTools(tb testing.TB, progs ...string) {
	tb.Helper()
	if err := systool.Check(progs...); err != nil {
		if Required() {
			tb.Fatalf("MODKIT_REQUIRE_TOOLS=1: %v", err)
		}
		tb.Skipf("skipping: %v", err)
	}
}

// SkipOrFatal skips tb with the message, or fails it under
// MODKIT_REQUIRE_TOOLS=1.
func SkipOrFatal(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if Required() {
		tb.Fatalf("%s (required: MODKIT_REQUIRE_TOOLS=1)", msg)
	}
	tb.Skip(msg)
}

// RepoRoot returns the repository root: the nearest directory above the
// test's working directory that holds go.mod.
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// SharedDir returns the workplace's shared test materials (../shared beside
// the repository root) joined with elem, skipping tb (failing it under
// MODKIT_REQUIRE_TOOLS=1) when that path is absent, as in a user's clone.
func SharedDir(tb testing.TB, elem ...string) string {
	tb.Helper()
	p := filepath.Join(append([]string{RepoRoot(tb), "..", "shared"}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		SkipOrFatal(tb, "%s (shared test materials) is not present", p)
	}
	return p
}

// Exclusive holds an exclusive lock named key (for example a server's URL)
// across test processes until tb ends. `go test ./...` runs packages in
// parallel, and some servers race on their first concurrent use (Bodhi
// creates its system user on first use and answers 500 to the loser).
func Exclusive(tb testing.TB, key string) {
	tb.Helper()
	sum := sha256.Sum256([]byte(key))
	p := filepath.Join(os.TempDir(), "modkit-test-"+hex.EncodeToString(sum[:8])+".lock")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		tb.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		tb.Fatalf("lock %s: %v", p, err)
	}
	tb.Cleanup(func() { f.Close() }) // closing releases the lock
}
