package composer_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modkit/modkit/bodhi/composer"
	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/pungi"
)

// TestDNFSeesModularAdvisories builds the shared dnf sample (hello:1 and
// hello:2), adds an advisory for each stream with module information, and
// asks real dnf: with hello:2 enabled it must list hello:2's advisory and
// not hello:1's.
func TestDNFSeesModularAdvisories(t *testing.T) {
	t.Parallel()
	testenv.RequireTools(t, "rpmbuild", "createrepo_c", "modifyrepo_c")
	sample := testenv.SharedDir(t, "testdata", "dnf-sample")
	check := testenv.SharedDir(t, "tools", "dnf-module-check")
	ctx := context.Background()
	repo := t.TempDir()
	if out, err := exec.CommandContext(ctx, filepath.Join(sample, "build-rpms.sh"), repo).CombinedOutput(); err != nil {
		t.Fatalf("build-rpms.sh: %v\n%s", err, out)
	}
	if err := pungi.CreateRepo(ctx, repo); err != nil {
		t.Fatal(err)
	}
	modules, err := os.ReadFile(filepath.Join(sample, "modules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := pungi.AddModulesMetadata(ctx, repo, modules); err != nil {
		t.Fatal(err)
	}
	adv := func(id, stream string, version uint64, hver string) composer.Advisory {
		return composer.Advisory{ID: id, Title: "hello-" + stream, Type: "enhancement", Status: "stable",
			From: "updates@example.org", Release: "Fedora 99 Modular", Description: "hello " + stream,
			Issued: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), Updated: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
			Collections: []composer.Collection{{Short: "F99M", Name: "Fedora 99 Modular",
				Module: &composer.Module{Name: "hello", Stream: stream, Version: version, Context: "c0ffee42", Arch: "x86_64"},
				Packages: []composer.Package{
					{Name: "hello", Version: hver, Release: "1", Arch: "noarch", Filename: "hello-" + hver + "-1.noarch.rpm"},
					{Name: "hello-libs", Version: hver, Release: "1", Arch: "noarch", Filename: "hello-libs-" + hver + "-1.noarch.rpm"},
				}}}}
	}
	ui, err := composer.UpdateInfo([]composer.Advisory{
		adv("FEDORA-MODULAR-2024-1111111111", "1", 20240101000000, "1.0"),
		adv("FEDORA-MODULAR-2024-2222222222", "2", 20240102000000, "2.0"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := composer.AddUpdateInfo(ctx, repo, ui); err != nil {
		t.Fatal(err)
	}
	// hello-1.0 installed from hello:1, then the system switches its
	// enabled stream to hello:2: hello:2's advisory is an available
	// update, hello:1's is hidden (its stream is not enabled).
	out, err := exec.CommandContext(ctx, check, repo, "module enable hello:1", "install hello", "module reset hello",
		"module enable hello:2", "updateinfo list --all", "updateinfo info --available",
		// Control: with hello:1 enabled, its advisory shows (installed) and
		// hello:2's does not.
		"@fresh", "module enable hello:1", "install hello", "updateinfo list --all").CombinedOutput()
	if err != nil {
		t.Fatalf("dnf-module-check: %v\n%s", err, out)
	}
	first, control, ok := strings.Cut(string(out), "@fresh")
	if !ok {
		t.Fatalf("no @fresh marker in the output:\n%s", out)
	}
	if !strings.Contains(first, "FEDORA-MODULAR-2024-2222222222 enhancement hello-2.0-1.noarch") {
		t.Errorf("dnf does not list the advisory of the enabled stream hello:2:\n%s", out)
	}
	if strings.Contains(first, "FEDORA-MODULAR-2024-1111111111") {
		t.Errorf("dnf lists the advisory of hello:1, which is not enabled:\n%s", out)
	}
	if !strings.Contains(control, "FEDORA-MODULAR-2024-1111111111") || strings.Contains(control, "FEDORA-MODULAR-2024-2222222222") {
		t.Errorf("with hello:1 enabled dnf should list only hello:1's advisory:\n%s", control)
	}
}
