package modulemd

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func defaultsIndex(t *testing.T, ds ...*Defaults) *Index {
	t.Helper()
	idx := NewIndex(nil)
	for _, d := range ds {
		if err := idx.AddDefaults(d); err != nil {
			t.Fatal(err)
		}
	}
	return idx
}

func defs(stream string, modified uint64, profiles map[string][]string) *Defaults {
	return &Defaults{MDVersionNumber: 1, Module: "m", Stream: stream, Modified: modified, Profiles: profiles}
}

func TestMergerDefaults(t *testing.T) {
	t.Parallel()
	type in struct {
		d    *Defaults
		prio int
	}
	tests := []struct {
		name       string
		inputs     []in
		strict     bool
		wantStream string
		wantConfl  bool
		wantProfs  map[string][]string
		wantMod    uint64
		wantErr    string
	}{
		{name: "same level, only one has a stream", inputs: []in{{defs("", 9, nil), 0}, {defs("a", 1, nil), 0}}, wantStream: "a", wantMod: 9},
		{name: "same level, into keeps its stream even if from is newer", inputs: []in{{defs("a", 1, nil), 0}, {defs("", 9, nil), 0}}, wantStream: "a", wantMod: 9},
		{name: "same level, newer modified wins", inputs: []in{{defs("a", 1, nil), 0}, {defs("b", 2, nil), 0}}, wantStream: "b", wantMod: 2},
		{name: "same level, older loses", inputs: []in{{defs("a", 3, nil), 0}, {defs("b", 2, nil), 0}}, wantStream: "a", wantMod: 3},
		{name: "same level, tie leaves no default", inputs: []in{{defs("a", 1, nil), 0}, {defs("b", 1, nil), 0}}, wantConfl: true, wantMod: 1},
		{name: "same level, tie strict fails", strict: true, inputs: []in{{defs("a", 1, nil), 0}, {defs("b", 1, nil), 0}},
			wantErr: "modulemd: merging priority 0: modulemd: default stream mismatch in module m: a != b: conflict"},
		{name: "conflict sticks within a level", inputs: []in{{defs("a", 1, nil), 0}, {defs("b", 1, nil), 0}, {defs("c", 5, nil), 0}}, wantConfl: true, wantMod: 5},
		{name: "higher level replaces wholesale", inputs: []in{{defs("a", 9, map[string][]string{"a": {"x"}}), 0}, {defs("b", 1, nil), 5}}, wantStream: "b", wantMod: 1},
		{name: "higher level clears a conflict", inputs: []in{{defs("a", 1, nil), 0}, {defs("b", 1, nil), 0}, {defs("c", 1, nil), 1}}, wantStream: "c", wantMod: 1},
		{name: "profiles union", inputs: []in{{defs("a", 1, map[string][]string{"a": {"x"}}), 0}, {defs("a", 1, map[string][]string{"b": {}}), 0}},
			wantStream: "a", wantMod: 1, wantProfs: map[string][]string{"a": {"x"}, "b": {}}},
		{name: "profiles newer wins", inputs: []in{{defs("a", 1, map[string][]string{"a": {"x"}}), 0}, {defs("a", 2, map[string][]string{"a": {"y"}}), 0}},
			wantStream: "a", wantMod: 2, wantProfs: map[string][]string{"a": {"y"}}},
		{name: "profiles tie always fails", inputs: []in{{defs("a", 1, map[string][]string{"a": {"x"}}), 0}, {defs("a", 1, map[string][]string{"a": {"y"}}), 0}},
			wantErr: "modulemd: merging priority 0: modulemd: profile default mismatch in module m stream a: conflict"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := NewMerger()
			for _, i := range tc.inputs {
				if err := m.Add(defaultsIndex(t, i.d), i.prio); err != nil {
					t.Fatal(err)
				}
			}
			got, err := m.Resolve(&MergeOptions{StrictDefaultStreams: tc.strict})
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || !errors.Is(err, ErrConflict) {
					t.Fatalf("Resolve error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			d := got.Defaults("m")
			if d.DefaultStream() != tc.wantStream || d.Conflicted() != tc.wantConfl || d.Modified != tc.wantMod {
				t.Errorf("got stream %q conflict %v modified %d, want %q %v %d", d.DefaultStream(), d.Conflicted(), d.Modified, tc.wantStream, tc.wantConfl, tc.wantMod)
			}
			if diff := cmp.Diff(tc.wantProfs, d.Profiles); tc.wantProfs != nil && diff != "" {
				t.Errorf("profiles mismatch (-want +got):\n%s", diff)
			}
			if _, ok := got.DefaultStreams()["m"]; ok == (tc.wantStream == "") {
				t.Errorf("DefaultStreams = %v", got.DefaultStreams())
			}
		})
	}
}

func TestMergerStreamsTranslationsObsoletes(t *testing.T) {
	t.Parallel()
	low := NewIndex(nil)
	high := NewIndex(nil)
	a := newTestStream("foo", "a", 1, "c", "x")
	b := newTestStream("foo", "a", 1, "c", "x")
	b.Summary = "different"
	mustAdd := func(idx *Index, d Document) {
		if err := idx.Add(d); err != nil {
			t.Fatal(err)
		}
	}
	mustAdd(low, a)
	mustAdd(high, b)
	mustAdd(high, newTestStream("foo", "b", 1, "c", "x"))
	mustAdd(low, &Translations{MDVersionNumber: 1, Module: "foo", Stream: "a", Modified: 6})
	mustAdd(high, &Translations{MDVersionNumber: 1, Module: "foo", Stream: "a", Modified: 5})
	o1 := &Obsoletes{MDVersionNumber: 1, Modified: fixedNow(), Module: "foo", Stream: "a", Message: "x"}
	o2 := &Obsoletes{MDVersionNumber: 1, Modified: fixedNow().AddDate(0, 0, 1), Module: "foo", Stream: "a", Message: "y"}
	mustAdd(low, o1)
	mustAdd(high, o2)

	m := NewMerger()
	if err := m.Add(high, 5); err != nil {
		t.Fatal(err)
	}
	if err := m.Add(low, 0); err != nil {
		t.Fatal(err)
	}
	got, err := m.Resolve(nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"foo:a:1:c:x", "foo:b:1:c:x"}, nsvcas(got.Streams())); d != "" {
		t.Errorf("streams mismatch (-want +got):\n%s", d)
	}
	if got.Streams()[0].Summary != "summary" {
		t.Errorf("the higher priority stream overrode the lower one: priority does not override stream content")
	}
	if tr := got.Module("foo").Translation("a"); tr.Modified != 6 {
		t.Errorf("translation modified %d, want 6 (strictly newer wins, priority plays no part)", tr.Modified)
	}
	if obs := got.Module("foo").Obsoletes(); len(obs) != 2 {
		t.Errorf("obsoletes = %d, want 2 (they accumulate)", len(obs))
	}
	if err := m.Add(low, 1001); !errors.Is(err, ErrInvalid) {
		t.Errorf("Add(priority 1001) = %v, want ErrInvalid", err)
	}
	if err := m.Add(low, -1); !errors.Is(err, ErrInvalid) {
		t.Errorf("Add(priority -1) = %v, want ErrInvalid", err)
	}
}

func TestMergeDefaultsDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	over := t.TempDir()
	write := func(d, name, module, stream string, modified int) {
		t.Helper()
		b, err := Marshal(&Defaults{MDVersionNumber: 1, Module: module, Stream: stream, Modified: uint64(modified)})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(dir, "a.yaml", "a", "1", 1)
	write(dir, "b.yaml", "b", "1", 1)
	write(dir, "b2.yaml", "b", "2", 1) // tie with b.yaml: no default
	write(dir, "c.yaml", "c", "1", 5)
	write(over, "c.yaml", "c", "9", 1) // overrides win regardless of modified
	if err := os.WriteFile(filepath.Join(dir, "ignored.txt"), []byte("not yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	idx := NewIndex(nil)
	if err := idx.MergeDefaultsDirectory(dir, over, false); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]string{"a": "1", "c": "9"}, idx.DefaultStreams()); d != "" {
		t.Errorf("DefaultStreams mismatch (-want +got):\n%s", d)
	}
	idx2 := NewIndex(nil)
	if err := idx2.MergeDefaultsDirectory(dir, "", true); !errors.Is(err, ErrConflict) {
		t.Errorf("strict MergeDefaultsDirectory = %v, want ErrConflict", err)
	}
	if len(idx2.ModuleNames()) != 0 {
		t.Errorf("a failed MergeDefaultsDirectory changed the index")
	}
	if err := os.WriteFile(filepath.Join(over, "bad.yaml"), []byte("document: modulemd-defaults\nversion: 1\ndata: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := NewIndex(nil).MergeDefaultsDirectory(dir, over, false); err == nil {
		t.Errorf("MergeDefaultsDirectory with a broken file succeeded")
	}
}
