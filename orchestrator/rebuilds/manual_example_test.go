package rebuilds_test

import (
	"fmt"
	"testing"

	"github.com/modkit/modkit/orchestrator/rebuilds"
)

// A manual rebuild request as POST /api/1/builds/ takes it; mistakes are
// reported all at once, naming the field.
func ExampleDecodeManualRequest() {
	r, err := rebuilds.DecodeManualRequest([]byte(`{"modules": ["alpha:1", "beta:1:20260102030405"], "dry_run": true}`))
	fmt.Println(r.Modules, r.DryRun, err)
	_, err = rebuilds.DecodeManualRequest([]byte(`{"modules": ["alpha"], "component": "alpha-lib"}`))
	fmt.Println(err)
	// Output:
	// [alpha:1 beta:1:20260102030405] true <nil>
	// modules[0]: "alpha" is not name:stream or name:stream:version[:context]; give either "modules" or "component" and "branch", not both
}

func FuzzDecodeManualRequest(f *testing.F) {
	for _, s := range []string{`{"modules": ["a:1"]}`, `{"component": "c", "branch": "main", "rev": "x"}`, `{"freshmaker_event_id": 3, "dry_run": true}`, `{"modules": 1}`, `[]`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := rebuilds.DecodeManualRequest(data)
		if err == nil && len(r.Modules) == 0 && r.Component == "" && r.DependsOnEvent == 0 {
			t.Fatalf("accepted an empty request: %s", data)
		}
	})
}
