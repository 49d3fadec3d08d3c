package localbuild

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
)

// TestDefaultsFor checks which defaults a module's repository gets: the
// builder's configured ones, else those submitted with the module, else
// ones implied by the stream's default profiles.
func TestDefaultsFor(t *testing.T) {
	t.Parallel()
	stored := `---
document: modulemd-defaults
version: 1
data:
  module: hello
  stream: "1"
  profiles:
    "1": [stored]
...
`
	configured := &modulemd.Defaults{MDVersionNumber: 1, Module: "hello", Stream: "1", Profiles: map[string][]string{"1": {"configured"}}}
	other := &modulemd.Defaults{MDVersionNumber: 1, Module: "other", Stream: "2"}
	stream := func(defaultProfile bool) *modulemd.Stream {
		return &modulemd.Stream{Name: "hello", Stream: "1", Profiles: map[string]modulemd.Profile{"p": {Default: defaultProfile}}}
	}
	tests := []struct {
		name       string
		configured []*modulemd.Defaults
		stored     string
		stream     *modulemd.Stream
		want       map[string][]string // profiles of the one defaults document; nil = none
		wantErr    bool
	}{
		{name: "configured wins", configured: []*modulemd.Defaults{other, configured}, stored: stored, stream: stream(true), want: map[string][]string{"1": {"configured"}}},
		{name: "stored", configured: []*modulemd.Defaults{other}, stored: stored, stream: stream(true), want: map[string][]string{"1": {"stored"}}},
		{name: "implied by default profiles", stream: stream(true), want: map[string][]string{"1": {"p"}}},
		{name: "none", stream: stream(false)},
		{name: "unreadable stored defaults", stored: "document: [", stream: stream(false), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := &Builder{opts: Options{Defaults: tc.configured}}
			got, err := b.defaultsFor(&orchestrator.ModuleBuild{Name: "hello", Stream: "1", Defaults: tc.stored}, tc.stream)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if tc.want == nil {
				if len(got) != 0 {
					t.Errorf("got %d defaults documents, want none", len(got))
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("got %d defaults documents, want 1", len(got))
			}
			if got[0].Module != "hello" || got[0].Stream != "1" {
				t.Errorf("defaults for %s stream %q, want hello stream 1", got[0].Module, got[0].Stream)
			}
			if diff := cmp.Diff(tc.want, got[0].Profiles); diff != "" {
				t.Errorf("profiles (-want +got):\n%s", diff)
			}
		})
	}
}
