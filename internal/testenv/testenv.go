// Package testenv holds the rule every test that drives a system program
// follows: skip with a message naming the package to install, or fail when
// MODKIT_REQUIRE_TOOLS=1 (what CI sets), so CI never silently skips.
package testenv

import (
	"fmt"
	"os"
	"path/filepath"
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
