package main

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestServePlatforms checks where serve's platform comes from, and that
// it refuses to start without one, saying how to set it.
func TestServePlatforms(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fedora := filepath.Join(dir, "fedora")
	debian := filepath.Join(dir, "debian")
	os.WriteFile(fedora, []byte("NAME=\"Fedora Linux\"\nPLATFORM_ID=\"platform:f41\"\n"), 0o644)
	os.WriteFile(debian, []byte("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n"), 0o644)
	for _, tc := range []struct {
		flags     []string
		osRelease string
		want      []string
	}{
		{[]string{"f40,f39", "eln"}, debian, []string{"f40", "f39", "eln"}},
		{nil, fedora, []string{"f41"}},
		{[]string{"f40"}, fedora, []string{"f40"}},
	} {
		got, err := servePlatforms(tc.flags, tc.osRelease)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("servePlatforms(%v, %s) = %v, %v; want %v", tc.flags, tc.osRelease, got, err, tc.want)
		}
	}
	for _, osRelease := range []string{debian, filepath.Join(dir, "missing")} {
		_, err := servePlatforms([]string{" , "}, osRelease)
		var ee *exitError
		if !errors.As(err, &ee) || ee.Code != 2 || !strings.Contains(ee.Msg, "no platform") || !strings.Contains(ee.Msg, "--platform STREAM") {
			t.Errorf("servePlatforms without a platform (%s): %v, want a usage error naming --platform", osRelease, err)
		}
	}
	// The whole command on this host, when it has no PLATFORM_ID.
	if hostPlatform("/etc/os-release") == "" {
		err := runServe(t.Context(), []string{"--auth", "none", "--state-dir", t.TempDir(), "--listen", "127.0.0.1:0"}, nil, &strings.Builder{}, &strings.Builder{})
		var ee *exitError
		if !errors.As(err, &ee) || !strings.Contains(ee.Msg, "no platform") {
			t.Errorf("serve without a platform on this host: %v", err)
		}
	}
}
