package resolver

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/modkit/modkit/modulemd"
)

// TestExpandDefaultModules: default modules of a base module with
// xmd.mbs.use_default_modules are added to the buildrequires after
// expansion; conflicting and unknown ones are ignored; contexts do not
// change (MBS scheduler/default_modules.py).
func TestExpandDefaultModules(t *testing.T) {
	t.Parallel()
	f30 := platform("f30", 1)
	editXMD(f30, func(m map[string]any) { m["mbs"].(map[string]any)["use_default_modules"] = true })
	f31 := platform("f31", 1)
	editXMD(f31, func(m map[string]any) {
		m["mbs"].(map[string]any)["default_modules_scm_url"] = "https://example.com/defaults.git"
	})
	builds := append(universe(), f30, f31,
		against(st("ruby:2:1:aaaa0001", "req:platform=f30"), f30),
		against(st("ruby:3:1:aaaa0001", "req:platform=f30"), f30),
		against(st("perl:5:1:aaaa0001", "req:platform="), f30),      // any platform
		against(st("python:3:1:aaaa0001", "req:platform=f31"), f30), // built on f30 but only for f31
		against(st("ruby:2:1:bbbb0001", "req:platform=f31"), f31),
	)
	src := NewSource(builds)
	defaults := map[string]string{"ruby": "2", "perl": "5", "python": "3", "nodejs": "12", "absent": "1"}
	var asked []string
	opts := &ExpandOptions{DefaultModules: func(ctx context.Context, base *modulemd.Stream) (map[string]string, error) {
		asked = append(asked, base.NSVC())
		return defaults, nil
	}}
	tests := []struct {
		name  string
		mmd   *modulemd.Stream
		want  []string // buildrequires
		added []string
	}{
		{name: "defaults added; unknown ones, none built for f30 and python not requiring f30 ignored",
			mmd:   app("br:platform=f30;req:platform=f30"),
			want:  []string{"perl:5:1:aaaa0001", "platform:f30:1:00000000", "ruby:2:1:aaaa0001"},
			added: []string{"perl:5:1:aaaa0001", "ruby:2:1:aaaa0001"}},
		{name: "an explicit buildrequire wins over the default stream",
			mmd:   app("br:platform=f30;br:ruby=3;req:platform=f30"),
			want:  []string{"perl:5:1:aaaa0001", "platform:f30:1:00000000", "ruby:3:1:aaaa0001"},
			added: []string{"perl:5:1:aaaa0001"}},
		{name: "default_modules_scm_url alone enables them",
			mmd:   app("br:platform=f31;req:platform=f31"),
			want:  []string{"platform:f31:1:00000000", "ruby:2:1:bbbb0001"},
			added: []string{"ruby:2:1:bbbb0001"}},
		{name: "base module without default modules",
			mmd:  app("br:platform=f28;req:platform=f28"),
			want: []string{"platform:f28:3:00000000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			without, err := Expand(context.Background(), src, tt.mmd, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Expand(context.Background(), src, tt.mmd, opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summarize(got)[0].BuildRequires); diff != "" {
				t.Errorf("buildrequires (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.added, got[0].DefaultModules); diff != "" {
				t.Errorf("DefaultModules (-want +got):\n%s", diff)
			}
			xbr, _ := xmdPath(got[0].Stream.XMD, "mbs", "buildrequires").(map[string]any)
			if len(xbr) != len(tt.want) {
				t.Errorf("xmd.mbs.buildrequires has %d entries, want %d: %v", len(xbr), len(tt.want), xbr)
			}
			if got[0].Context != without[0].Context || got[0].BuildContext != without[0].BuildContext {
				t.Errorf("context %s/%s changed from %s/%s", got[0].Context, got[0].BuildContext, without[0].Context, without[0].BuildContext)
			}
		})
	}
	if diff := cmp.Diff([]string{"platform:f30:1:00000000", "platform:f30:1:00000000", "platform:f31:1:00000000"}, asked); diff != "" {
		t.Errorf("DefaultModules called for (-want +got):\n%s", diff)
	}
	boom := &ExpandOptions{DefaultModules: func(context.Context, *modulemd.Stream) (map[string]string, error) {
		return nil, errors.New("no branch f30")
	}}
	if _, err := Expand(context.Background(), src, app("br:platform=f30;req:platform=f30"), boom); !errors.Is(err, ErrDefaultModules) {
		t.Errorf("failing DefaultModules: err = %v, want ErrDefaultModules", err)
	}
}
