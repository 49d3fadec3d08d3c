package resolver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStateRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st := &State{Modules: map[string]*ModuleConfig{
		"nodejs": {Stream: "18", Status: StatusEnabled, Profiles: []string{"common", "development"}},
		"perl":   {Status: StatusDisabled},
		"ruby":   {},
	}}
	if err := WriteState(dir, st); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "nodejs.module"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "[nodejs]\nname=nodejs\nstream=18\nprofiles=common,development\nstate=enabled\n"; string(data) != want {
		t.Errorf("nodejs.module = %q, want %q", data, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "ruby.module")); err == nil {
		t.Error("a module in its default state with no file must not get one")
	}
	got, err := ReadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]*ModuleConfig{
		"nodejs": {Stream: "18", Status: StatusEnabled, Profiles: []string{"common", "development"}},
		"perl":   {Status: StatusDisabled},
	}
	if diff := cmp.Diff(want, got.Modules); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
	// dnf's other spellings and comments.
	if err := os.WriteFile(filepath.Join(dir, "x.module"), []byte("# c\n[x]\nname = x\nstream = 2\nprofiles = a, b\nstate = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err = ReadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&ModuleConfig{Stream: "2", Status: StatusEnabled, Profiles: []string{"a", "b"}}, got.Modules["x"]); diff != "" {
		t.Errorf("x (-want +got):\n%s", diff)
	}
	// Errors name the file and line.
	if err := os.WriteFile(filepath.Join(dir, "bad.module"), []byte("[bad]\nstream\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadState(dir); err == nil || !strings.Contains(err.Error(), "bad.module:2: expected key=value") {
		t.Errorf("err = %v", err)
	}
	// A missing directory is the empty state.
	if st, err := ReadState(filepath.Join(dir, "nope")); err != nil || len(st.Modules) != 0 {
		t.Errorf("missing dir: %v %v", st, err)
	}
}

func FuzzParseModuleFile(f *testing.F) {
	f.Add([]byte("[a]\nname=a\nstream=1\nprofiles=x,y\nstate=enabled\n"))
	f.Add([]byte("[b]\nstate=disabled\n; comment\n"))
	f.Add([]byte("key=value\n[\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st := &State{Modules: map[string]*ModuleConfig{}}
		_ = parseModuleFile("f.module", data, st)
		for name, c := range st.Modules {
			// What was read writes and reads back the same.
			back := &State{Modules: map[string]*ModuleConfig{}}
			if err := parseModuleFile("g.module", FormatModuleFile(name, c), back); err != nil {
				continue // names with ] or newlines do not round-trip
			}
			if b := back.Modules[name]; b != nil && (b.Stream != c.Stream || b.Status != c.Status) {
				t.Errorf("%q: %+v read back as %+v", name, c, b)
			}
		}
	})
}
