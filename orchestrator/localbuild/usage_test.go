package localbuild

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestUsage replays program runs on a fake clock: overlapping runs of the
// same kind count once, Others is the time with programs but no rpmbuild.
func TestUsage(t *testing.T) {
	t.Parallel()
	type step struct {
		at    int // ms
		start string
		end   string
	}
	tests := []struct {
		name  string
		steps []step
		want  Stats
	}{
		{
			name: "sequential",
			steps: []step{
				{at: 0, start: "git"}, {at: 10, end: "git"},
				{at: 10, start: "rpmbuild"}, {at: 110, end: "rpmbuild"},
				{at: 120, start: "createrepo_c"}, {at: 140, end: "createrepo_c"},
			},
			want: Stats{Builds: 1, RPMBuild: 100 * time.Millisecond, Programs: 130 * time.Millisecond, Others: 30 * time.Millisecond,
				ByProgram: []ProgramStats{{"rpmbuild", 1, 100 * time.Millisecond}, {"createrepo_c", 1, 20 * time.Millisecond}, {"git", 1, 10 * time.Millisecond}}},
		},
		{
			name: "parallel rpmbuilds, a prefetch behind them",
			steps: []step{
				{at: 0, start: "rpmbuild"}, {at: 20, start: "rpmbuild"}, {at: 30, start: "rpmspec"},
				{at: 50, end: "rpmspec"}, {at: 100, end: "rpmbuild"}, {at: 150, end: "rpmbuild"},
				{at: 150, start: "rpmspec"}, {at: 160, end: "rpmspec"},
			},
			want: Stats{Builds: 2, RPMBuild: 150 * time.Millisecond, Programs: 160 * time.Millisecond, Others: 10 * time.Millisecond,
				ByProgram: []ProgramStats{{"rpmbuild", 2, 150 * time.Millisecond}, {"rpmspec", 2, 30 * time.Millisecond}}},
		},
		{
			name: "a program that outlives rpmbuild",
			steps: []step{
				{at: 0, start: "createrepo_c"}, {at: 10, start: "rpmbuild"}, {at: 50, end: "rpmbuild"}, {at: 70, end: "createrepo_c"},
			},
			want: Stats{Builds: 1, RPMBuild: 40 * time.Millisecond, Programs: 70 * time.Millisecond, Others: 30 * time.Millisecond,
				ByProgram: []ProgramStats{{"createrepo_c", 1, 70 * time.Millisecond}, {"rpmbuild", 1, 40 * time.Millisecond}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
			now := base
			u := &Usage{now: func() time.Time { return now }}
			running := map[string][]func(){}
			for _, s := range tt.steps {
				now = base.Add(time.Duration(s.at) * time.Millisecond)
				if s.start != "" {
					running[s.start] = append(running[s.start], u.Start(s.start))
				} else {
					ends := running[s.end]
					ends[0]()
					ends[0]() // a second call does nothing
					running[s.end] = ends[1:]
				}
			}
			if diff := cmp.Diff(tt.want, u.Stats()); diff != "" {
				t.Errorf("Stats (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUsageRunning counts a program still running up to now.
func TestUsageRunning(t *testing.T) {
	t.Parallel()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	now := base
	u := &Usage{now: func() time.Time { return now }}
	u.Start("rpmbuild")
	now = base.Add(time.Second)
	if st := u.Stats(); st.RPMBuild != time.Second || st.Programs != time.Second || st.Others != 0 {
		t.Errorf("Stats while rpmbuild runs = %+v", st)
	}
	if got, want := u.Stats().String(), "rpmbuild 1.000s/1"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}
