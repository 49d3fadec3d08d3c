package modulemd

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUpgradeStream(t *testing.T) {
	t.Parallel()
	v1 := fullStream()
	v1.MDVersionNumber = 1
	v1.StaticContext = false
	v1.Demodularized = nil
	v1.Artifacts.RPMMap = nil
	v1.Dependencies = []Dependency{{BuildRequires: map[string][]string{"platform": {"f40"}}, Requires: map[string][]string{"platform": {"f40"}, "x": {"1"}}}}

	up, err := UpgradeStream(v1, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := v1.Clone()
	want.MDVersionNumber = 2
	if d := cmp.Diff(want, up, cmp.AllowUnexported(Stream{})); d != "" {
		t.Errorf("upgrade mismatch (-want +got):\n%s", d)
	}
	if v1.MDVersionNumber != 1 {
		t.Error("UpgradeStream modified its input")
	}

	empty := newTestStream("m", "s", 1, "", "")
	empty.MDVersionNumber = 1
	empty.Dependencies = []Dependency{{}}
	up, err = UpgradeStream(empty, 2)
	if err != nil || up.Dependencies != nil {
		t.Errorf("empty v1 dependencies upgrade to %v, %v; want none", up.Dependencies, err)
	}

	tests := []struct {
		from, to uint64
		wantErr  string
	}{
		{2, 1, "modulemd: cannot downgrade stream m:s:1 from metadata version 2 to 1: stream downgrades are not supported: cannot upgrade"},
		{1, 3, "modulemd: cannot upgrade stream m:s:1 beyond metadata version 2 (asked for 3): cannot upgrade"},
		{7, 2, "modulemd: cannot upgrade stream m:s:1: unknown stream metadata version 7: cannot upgrade"},
	}
	for _, tc := range tests {
		s := newTestStream("m", "s", 1, "", "")
		s.MDVersionNumber = tc.from
		_, err := UpgradeStream(s, tc.to)
		if !errors.Is(err, ErrUpgrade) || err.Error() != tc.wantErr {
			t.Errorf("UpgradeStream(v%d, %d) = %v, want %q", tc.from, tc.to, err, tc.wantErr)
		}
	}
	same, err := UpgradeStream(newTestStream("m", "s", 1, "", ""), 2)
	if err != nil || !same.Equal(newTestStream("m", "s", 1, "", "")) {
		t.Errorf("UpgradeStream to the same version = %v, %v; want an equal copy", same, err)
	}
}
