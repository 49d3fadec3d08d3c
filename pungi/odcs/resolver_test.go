package odcs_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/mbsapi"
	"github.com/modkit/modkit/orchestrator/zerobuilder"
	"github.com/modkit/modkit/pungi/odcs"
)

// TestResolvers: the orchestrator-store resolver and the MBS-API resolver
// (over modkit's own MBS API on the same builds) expand specs alike:
// N:S takes the latest version, N:S:V that version, run-time requires are
// added unless no_deps, and a missing module is named.
func TestResolvers(t *testing.T) {
	t.Parallel()
	orch := localStore(t, t.TempDir(), []localModule{
		{"app", "1", 20260101000000, "a0000001", "lib: [\"2\"]"},
		{"app", "1", 20260102000000, "a0000002", "lib: [\"2\"]"},
		{"app", "1", 20260102000000, "a0000003", "lib: [\"2\"]"},
		{"lib", "2", 20260101000000, "b0000001", ""},
		{"lib", "2", 20260103000000, "b0000002", ""},
	})
	zb, err := zerobuilder.New(&zerobuilder.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := orchestrator.NewService(&orchestrator.Options{Store: orch, Builder: zb})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mbsapi.NewHandler(svc, &mbsapi.Options{NoAuth: true}))
	t.Cleanup(srv.Close)
	mc, err := mbsapi.NewClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resolvers := map[string]odcs.ModuleResolver{"store": &odcs.StoreResolver{Store: orch}, "mbs": &odcs.MBSResolver{Client: mc}}
	for name, r := range resolvers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			for _, tc := range []struct {
				specs  string
				noDeps bool
				want   string
			}{
				{"app:1", false, "app:1:20260102000000:a0000002 app:1:20260102000000:a0000003 lib:2:20260103000000:b0000002"},
				{"app:1", true, "app:1:20260102000000:a0000002 app:1:20260102000000:a0000003"},
				{"app:1:20260101000000 lib:2:20260101000000", false, "app:1:20260101000000:a0000001 lib:2:20260101000000:b0000001"},
				{"app:1:20260102000000:a0000003", true, "app:1:20260102000000:a0000003"},
			} {
				mods, err := odcs.ResolveModules(ctx, r, strings.Fields(tc.specs), tc.noDeps, false)
				if err != nil {
					t.Fatalf("%s: %v", tc.specs, err)
				}
				var got []string
				for _, m := range mods {
					got = append(got, m.NSVC())
				}
				if d := cmp.Diff(tc.want, strings.Join(got, " ")); d != "" {
					t.Errorf("%s (no_deps %v): (-want +got)\n%s", tc.specs, tc.noDeps, d)
				}
			}
			_, err := odcs.ResolveModules(ctx, r, []string{"app:1", "nope:1", "app:9"}, false, false)
			if !errors.Is(err, odcs.ErrNoModule) || !strings.Contains(err.Error(), "nope:1") || !strings.Contains(err.Error(), "app:9") {
				t.Errorf("missing modules: %v", err)
			}
		})
	}
}
