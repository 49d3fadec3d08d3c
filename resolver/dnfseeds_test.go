package resolver

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/modkit/modkit/modulemd"
)

// TestDNFSeedRegressions pins what real dnf 4.14 (libdnf 0.69) did on
// scenarios of the differential test that the model once got wrong, so
// they stay checked without dnf installed.
func TestDNFSeedRegressions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		seed     uint64
		commands []string // run through Client first
		result   SolveResult
		streams  map[string]string
		visible  []string // nil: not checked
		state    map[string]string
		problem  bool // the last command reports a modular dependency problem
	}{
		{
			// mb:2 needs ma:2 against the default ma:1: gophersat's
			// AtMost1 let two ma builds in and the request looked fine.
			// dnf reports the problem and enables ma:2 with mb:2.
			name: "seed 96 enable across a default", seed: 96, commands: []string{"module enable mb:2"},
			problem: true, result: SolveOK, streams: map[string]string{"ma": "2", "mb": "2"},
			state: map[string]string{"ma": "2", "mb": "2"},
		},
		{
			// md:3's one usable build rules out, by propagation alone,
			// every ma:3 build mc:1 could use: libsolv drops md:3, then
			// mc:1; only ma:1 (its first build by name) stays active.
			name: "seed 97 defaults dropped by propagation", seed: 97,
			result: SolveErrorInDefaults, streams: map[string]string{"ma": "1"},
			visible: []string{"pa-0:1.1-1.noarch", "pc-0:0.5-1.noarch", "pz-0:1.0-1.noarch"},
		},
		{
			name: "seed 97 then enable mb", seed: 97, commands: []string{"module enable mb"},
			problem: true, result: SolveErrorInDefaults, streams: map[string]string{"ma": "1", "mb": "1"},
			visible: []string{"pa-0:1.1-1.noarch", "pb-0:1.1-2.noarch", "pc-0:0.5-1.noarch", "pz-0:1.0-1.noarch"},
			state:   map[string]string{"mb": "1"},
		},
		{
			// Installing pe enables me:2 and, through its requires, the
			// active mb:2 (set_modules_enabled_by_pkgset).
			name: "seed 78 install enables the tree", seed: 78, commands: []string{"module enable mc:1", "install pe"},
			result: SolveOK, state: map[string]string{"mb": "2", "mc": "1", "me": "2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sc := genScenario(tt.seed)
			idx, err := modulemd.ReadIndex(strings.NewReader(sc.yaml), nil)
			if err != nil {
				t.Fatal(err)
			}
			c := &Client{Index: idx, Packages: sc.packages, State: &State{},
				Options: &ChooseOptions{Platform: "platform:f99", Arch: "x86_64", Obsoletes: sc.obsoletes}}
			problem := false
			for _, cmd := range tt.commands {
				res, err := modelRun(c, cmd)
				if err != nil {
					t.Fatalf("%s: %v", cmd, err)
				}
				c.State, c.Installed = res.State, res.Installed
				problem = res.DependencyProblem()
			}
			if problem != tt.problem {
				t.Errorf("dependency problem %v, want %v", problem, tt.problem)
			}
			if tt.state != nil {
				got := map[string]string{}
				for n := range c.State.Modules {
					if s := c.State.Enabled(n); s != "" {
						got[n] = s
					}
				}
				if diff := cmp.Diff(tt.state, got); diff != "" {
					t.Errorf("enabled streams (-want +got):\n%s", diff)
				}
			}
			// The solve of the state the commands left, without the
			// obsoletes (they apply once, when a command starts).
			ch, err := Choose(idx, c.State, &ChooseOptions{Platform: "platform:f99", Arch: "x86_64"})
			if err != nil {
				t.Fatal(err)
			}
			if ch.Result != tt.result {
				t.Errorf("result %v, want %v (%v)", ch.Result, tt.result, ch.Problems)
			}
			if tt.streams != nil {
				if diff := cmp.Diff(tt.streams, ch.Streams); diff != "" {
					t.Errorf("streams (-want +got):\n%s", diff)
				}
			}
			if tt.visible != nil {
				vis, _ := ch.Filter(sc.packages)
				slices.Sort(vis)
				if diff := cmp.Diff(tt.visible, vis); diff != "" {
					t.Errorf("visible (-want +got):\n%s", diff)
				}
			}
		})
	}
}
