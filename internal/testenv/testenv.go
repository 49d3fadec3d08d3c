// Package testenv holds the rule every test that drives a system program
// follows: skip with a message naming the package to install, or fail when
// MODKIT_REQUIRE_TOOLS=1 (what CI sets), so CI never silently skips.
package testenv

import (
	"os"
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
