package resolver

import "testing"

// The vectors come from ../shared/reference/orchestrator-mbs.md §3.6 (MBS's
// tests/staged_data/testmodule_dependencies.yaml and our own), re-checked with
// Python's json.dumps and hashlib.
func TestContextVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name               string
		build              map[string]string
		runtime            map[string][]string
		wantBuild, wantRun string
		wantContext        string
	}{
		{
			name:        "mbs upstream testmodule_dependencies",
			build:       map[string]string{"zebra": "2.0", "base-runtime": "f28", "fluffy": "foo"},
			runtime:     map[string][]string{"fidget": {"spinner"}, "base-runtime": {"master"}, "silly": {"puddy"}, "glass": {"water"}},
			wantBuild:   "089df24993c037e10174f3fa7342ab4dc191a4d4",
			wantRun:     "bbc84c7b817ab3dd54916c0bcd6c6bdf512f7f9c",
			wantContext: "3ee22b28",
		},
		{
			name:        "platform f28 only",
			build:       map[string]string{"platform": "f28"},
			runtime:     map[string][]string{"platform": {"f28"}},
			wantBuild:   "f4bfd8304625d3f2835a5176ee910f50e86cc201",
			wantRun:     "3a484dfa1afb31e4a0df5d6bce64aa4cce13cab9",
			wantContext: "9c690d0e",
		},
		{
			name:      "empty",
			build:     map[string]string{},
			runtime:   map[string][]string{},
			wantBuild: "bf21a9e8fbc5a3846fb05b4fa0859e0917b2202f",
			wantRun:   "bf21a9e8fbc5a3846fb05b4fa0859e0917b2202f",
		},
		{
			name:      "runtime streams are sorted before hashing",
			build:     map[string]string{"caf\u00e9": "x\"\\\n\U0001F600"},
			runtime:   map[string][]string{"nodejs": {"12", "10"}},
			wantBuild: "90e4a4622e4c4c5fe38b688e321e3896ad3a4114",
			wantRun:   "a4263c78b016dcb4329df4c32cea197938378385",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, r := BuildContext(tt.build), RuntimeContext(tt.runtime)
			if b != tt.wantBuild {
				t.Errorf("BuildContext = %s, want %s", b, tt.wantBuild)
			}
			if r != tt.wantRun {
				t.Errorf("RuntimeContext = %s, want %s", r, tt.wantRun)
			}
			if tt.wantContext != "" {
				if c := Context(b, r); c != tt.wantContext {
					t.Errorf("Context = %s, want %s", c, tt.wantContext)
				}
			}
		})
	}
}
