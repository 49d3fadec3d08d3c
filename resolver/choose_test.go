package resolver

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modkit/modkit/modulemd"
)

// packages are every RPM of the dnf fixture: the modular artifacts plus
// non-modular packages.
var dnfPackages = []string{
	"bystander-0:1.0-1.noarch",
	"greet-0:0.9-1.noarch",
	"greet-0:1.0-1.noarch",
	"greet-0:2.0-1.noarch",
	"shout-0:1.0-1.noarch",
}

// dnfScenarios pair a dnf command sequence with the module state dnf records
// after it.
var dnfScenarios = []struct {
	name     string
	commands []string
	state    *State
	visible  []string
	streams  map[string]string
}{
	{
		name:    "default stream",
		state:   &State{},
		visible: []string{"bystander-0:1.0-1.noarch", "greet-0:1.0-1.noarch"},
		streams: map[string]string{"greet": "1"},
	},
	{
		name:     "enable another stream",
		commands: []string{"module enable greet:2"},
		state:    enabledState("greet", "2"),
		visible:  []string{"bystander-0:1.0-1.noarch", "greet-0:2.0-1.noarch"},
		streams:  map[string]string{"greet": "2"},
	},
	{
		name:     "disable",
		commands: []string{"module disable greet"},
		state:    &State{Modules: map[string]*ModuleConfig{"greet": {Status: StatusDisabled}}},
		visible:  []string{"bystander-0:1.0-1.noarch", "greet-0:0.9-1.noarch"},
		streams:  map[string]string{},
	},
	{
		name:     "module requiring another module",
		commands: []string{"module enable shout:1"},
		state: &State{Modules: map[string]*ModuleConfig{
			"shout": {Stream: "1", Status: StatusEnabled}, "greet": {Stream: "2", Status: StatusEnabled}}},
		visible: []string{"bystander-0:1.0-1.noarch", "greet-0:2.0-1.noarch", "shout-0:1.0-1.noarch"},
		streams: map[string]string{"greet": "2", "shout": "1"},
	},
}

func enabledState(name, stream string) *State {
	return &State{Modules: map[string]*ModuleConfig{name: {Stream: stream, Status: StatusEnabled}}}
}

func loadDNFFixture(t *testing.T) *modulemd.Index {
	t.Helper()
	idx, err := modulemd.ReadIndexFile(filepath.Join("testdata", "dnf", "modules.yaml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

func TestChoose(t *testing.T) {
	t.Parallel()
	idx := loadDNFFixture(t)
	for _, sc := range dnfScenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Choose(idx, sc.state, &ChooseOptions{Platform: "platform:f99", Arch: "x86_64"})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(sc.streams, c.Streams); diff != "" {
				t.Errorf("streams (-want +got):\n%s", diff)
			}
			visible, _ := c.Filter(dnfPackages)
			if diff := cmp.Diff(sc.visible, visible); diff != "" {
				t.Errorf("visible (-want +got):\n%s", diff)
			}
			if len(c.Problems) > 0 {
				t.Errorf("problems: %q", c.Problems)
			}
		})
	}
}

func TestChooseProblemsAndObsoletes(t *testing.T) {
	t.Parallel()
	idx := loadDNFFixture(t)
	// Unknown platform: nothing usable, the default stream is a problem and
	// the non-modular package comes back.
	c, err := Choose(idx, nil, &ChooseOptions{Platform: "platform:f1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Streams) != 0 || len(c.Problems) != 1 || !strings.Contains(c.Problems[0].String(), "nothing provides module(platform:f99)") {
		t.Errorf("streams %v problems %q", c.Streams, c.Problems)
	}
	if c.Hidden("greet-0.9-1.noarch") || !c.Hidden("greet-0:1.0-1.noarch") {
		t.Error("filter: greet 0.9 must be visible and 1.0 hidden")
	}
	// Enabling shout while greet is disabled cannot work.
	st := enabledState("shout", "1")
	st.Modules["greet"] = &ModuleConfig{Status: StatusDisabled}
	c, _ = Choose(idx, st, &ChooseOptions{Platform: "platform:f99"})
	if len(c.Problems) != 1 || c.Problems[0].Origin != OriginEnabled || c.Problems[0].Module != "shout" ||
		!slices.Contains(c.Problems[0].Rules, "nothing provides module(greet:2) needed by module shout:1:20240103000000:5eed0001.noarch") {
		t.Errorf("problems = %v", c.Problems)
	}
	// An obsoletes moves an enabled stream on (libdnf's applyObsoletes);
	// the default stream stays (dnf 4.14 obsoletes enabled streams only).
	obs := &modulemd.Obsoletes{MDVersionNumber: 1, Module: "greet", Stream: "1", Message: "use 2",
		Modified: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), ObsoletedBy: &modulemd.ObsoletedBy{Module: "greet", Stream: "2"}}
	if err := idx.AddObsoletes(obs); err != nil {
		t.Fatal(err)
	}
	c, _ = Choose(idx, nil, &ChooseOptions{Platform: "platform:f99", Obsoletes: true})
	if c.Streams["greet"] != "1" || len(c.Switched) != 0 {
		t.Errorf("default stream obsoleted: %v %v", c.Streams, c.Switched)
	}
	c, _ = Choose(idx, enabledState("greet", "1"), &ChooseOptions{Platform: "platform:f99", Obsoletes: true})
	if c.Streams["greet"] != "2" || c.Switched["greet:1"] != "greet:2" {
		t.Errorf("obsoletes not applied: %v %v", c.Streams, c.Switched)
	}
}

// TestChooseMatchesDNF builds the fixture's RPMs, makes a repository and
// checks that real dnf shows exactly what Choose and the filter predict.
func TestChooseMatchesDNF(t *testing.T) {
	if testing.Short() {
		t.Skip("builds RPMs and runs dnf")
	}
	shared := sharedDir(t)
	tool := filepath.Join(shared, "tools", "dnf-module-check")
	for _, prog := range []string{"rpmbuild", "createrepo_c", "modifyrepo_c", "dnf"} {
		if _, err := exec.LookPath(prog); err != nil {
			need(t, prog+" is not installed (Debian packages: rpm createrepo-c dnf)")
		}
	}
	t.Parallel()
	repo := buildFixtureRepo(t)
	idx := loadDNFFixture(t)
	for _, sc := range dnfScenarios {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"-n", "-p", "platform:f99", repo}, sc.commands...)
			args = append(args, "list --available --showduplicates")
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			out, err := exec.CommandContext(ctx, tool, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("dnf-module-check: %v\n%s", err, out)
			}
			got := dnfListed(string(out))
			c, err := Choose(idx, sc.state, &ChooseOptions{Platform: "platform:f99"})
			if err != nil {
				t.Fatal(err)
			}
			visible, _ := c.Filter(dnfPackages)
			if diff := cmp.Diff(got, visible); diff != "" {
				t.Errorf("dnf (-) and Choose (+) disagree:\n%s\ndnf output:\n%s", diff, out)
			}
		})
	}
}

var listLine = regexp.MustCompile(`(?m)^(\S+)\.(noarch|x86_64)\s+(?:(\d+):)?(\S+)-(\S+)\s+\S+\s*$`)

// dnfListed parses the last "list" block of dnf-module-check output into
// NEVRAs.
func dnfListed(out string) []string {
	blocks := strings.Split(out, "### dnf list")
	last := blocks[len(blocks)-1]
	var got []string
	for _, m := range listLine.FindAllStringSubmatch(last, -1) {
		epoch := m[3]
		if epoch == "" {
			epoch = "0"
		}
		got = append(got, m[1]+"-"+epoch+":"+m[4]+"-"+m[5]+"."+m[2])
	}
	slices.Sort(got)
	return got
}

const fixtureSpec = `Name: %{pname}
Version: %{pver}
Release: 1
Summary: resolver test package %{pname} %{pver}
License: MIT
BuildArch: noarch
%description
Package for the dnf agreement tests of package resolver.
%install
mkdir -p %{buildroot}/usr/share/%{pname}
echo %{pver} > %{buildroot}/usr/share/%{pname}/VERSION
%files
/usr/share/%{pname}/VERSION
`

// buildFixtureRepo builds every package of dnfPackages and a repository
// with the fixture's modules.yaml.
func buildFixtureRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	top, repo := filepath.Join(dir, "rpmbuild"), filepath.Join(dir, "repo")
	spec := filepath.Join(dir, "pkg.spec")
	if err := os.WriteFile(spec, []byte(fixtureSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
		}
	}
	for _, p := range dnfPackages {
		n, err := modulemd.ParseNEVRA(p)
		if err != nil {
			t.Fatal(err)
		}
		run("rpmbuild", "-bb", "--quiet", "--define", "_topdir "+top, "--define", "_build_id_links none",
			"--define", "pname "+n.Name, "--define", "pver "+n.Version, spec)
	}
	rpmsDir := filepath.Join(top, "RPMS", "noarch")
	entries, err := os.ReadDir(rpmsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(rpmsDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run("createrepo_c", "--quiet", repo)
	yaml, err := os.ReadFile(filepath.Join("testdata", "dnf", "modules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	mod := filepath.Join(dir, "modules.yaml")
	if err := os.WriteFile(mod, yaml, 0o644); err != nil {
		t.Fatal(err)
	}
	run("modifyrepo_c", "--mdtype=modules", mod, filepath.Join(repo, "repodata"))
	return repo
}
