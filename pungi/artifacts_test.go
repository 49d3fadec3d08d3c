package pungi

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/modkit/modkit/modulemd"
)

func TestFillArtifacts(t *testing.T) {
	t.Parallel()
	rpm := func(name, arch, lic, sum string) RPM {
		return RPM{Name: name, Version: "1.0", Release: "1.module+x", Arch: arch, License: lic, SHA256: sum}
	}
	tests := []struct {
		name         string
		filter       []string
		rpms         []RPM
		wantRPMs     []string
		wantLicenses []string
		wantMap      int
	}{
		{
			name:         "binary and source, licences merged",
			rpms:         []RPM{rpm("foo", "noarch", "MIT", "aa"), rpm("foo", "src", "MIT", "bb"), rpm("bar", "x86_64", "GPL-2.0-only", "cc")},
			wantRPMs:     []string{"bar-0:1.0-1.module+x.x86_64", "foo-0:1.0-1.module+x.noarch", "foo-0:1.0-1.module+x.src"},
			wantLicenses: []string{"GPL-2.0-only", "MIT"},
			wantMap:      3,
		},
		{
			name:         "filtered binaries and their debuginfo are left out, the source stays",
			filter:       []string{"foo-devel"},
			rpms:         []RPM{rpm("foo", "x86_64", "MIT", "a"), rpm("foo-devel", "x86_64", "BSD", "b"), rpm("foo-devel-debuginfo", "x86_64", "BSD", "c"), rpm("foo", "src", "MIT", "d")},
			wantRPMs:     []string{"foo-0:1.0-1.module+x.src", "foo-0:1.0-1.module+x.x86_64"},
			wantLicenses: []string{"MIT"},
			wantMap:      2,
		},
		{
			name:     "duplicates collapse; no checksum, no rpm-map",
			rpms:     []RPM{rpm("foo", "noarch", "(none)", ""), rpm("foo", "noarch", "(none)", "")},
			wantRPMs: []string{"foo-0:1.0-1.module+x.noarch"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &modulemd.Stream{Name: "m", Filter: tt.filter, License: modulemd.License{Module: []string{"MIT"}, Content: []string{"stale"}}}
			kept := FillArtifacts(s, tt.rpms)
			if diff := cmp.Diff(tt.wantRPMs, s.Artifacts.RPMs); diff != "" {
				t.Errorf("artifacts.rpms (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantLicenses, s.License.Content); diff != "" {
				t.Errorf("license.content (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"MIT"}, s.License.Module); diff != "" {
				t.Errorf("license.module changed (-want +got):\n%s", diff)
			}
			if got := len(s.Artifacts.RPMMap["sha256"]); got != tt.wantMap {
				t.Errorf("rpm-map has %d entries, want %d", got, tt.wantMap)
			}
			if len(kept) != len(tt.wantRPMs) {
				t.Errorf("FillArtifacts returned %d RPMs, want %d", len(kept), len(tt.wantRPMs))
			}
			for sum, e := range s.Artifacts.RPMMap["sha256"] {
				if !modulemd.ValidArtifact(e.NEVRA) {
					t.Errorf("rpm-map %s: nevra %q is not a valid artifact", sum, e.NEVRA)
				}
			}
		})
	}
}

func TestDefaultProfiles(t *testing.T) {
	t.Parallel()
	st := &modulemd.Stream{MDVersionNumber: 2, Name: "hello", Stream: "1", Profiles: map[string]modulemd.Profile{
		"a": {Default: true}, "b": {}, "c": {Default: true},
	}}
	idx := modulemd.NewIndex(nil)
	if err := idx.AddStream(st); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "c"}, defaultProfiles(idx, st)); diff != "" {
		t.Errorf("profiles marked default (-want +got):\n%s", diff)
	}
	if err := idx.AddDefaults(&modulemd.Defaults{MDVersionNumber: 1, Module: "hello", Profiles: map[string][]string{"1": {"b"}}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"b"}, defaultProfiles(idx, st)); diff != "" {
		t.Errorf("profiles from modulemd-defaults (-want +got):\n%s", diff)
	}
}
