package odcs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/modkit/modkit/pungi/odcs"
)

// TestSQLStore checks the store on SQLite and PostgreSQL.
func TestSQLStore(t *testing.T) {
	t.Parallel()
	for _, pg := range []bool{false, true} {
		name := map[bool]string{false: "sqlite", true: "postgres"}[pg]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st := openStore(t, pg)
			ctx := context.Background()
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			a := &odcs.Compose{Owner: "alice", SourceType: odcs.SourceTag, Source: "f40-build", State: odcs.StateWait, TimeSubmitted: now,
				TimeToExpire: now.Add(time.Hour), Sigkeys: []string{"abcd1234", ""}, Arches: []string{"x86_64"}, Packages: []string{"bash"},
				Flags: odcs.FlagNoDeps | odcs.FlagNoReuse, Results: odcs.ResultRepository, ComposeType: "test", SecondsToLive: 3600}
			b := &odcs.Compose{Owner: "bob", SourceType: odcs.SourceBuild, Builds: []string{"x-1-1"}, State: odcs.StateDone, TimeSubmitted: now,
				TimeToExpire: now.Add(2 * time.Hour), Results: odcs.ResultRepository, ComposeType: "test", KojiEvent: 7}
			for _, c := range []*odcs.Compose{a, b} {
				if err := st.Create(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
			got, err := st.Get(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(a, got); d != "" {
				t.Errorf("read back (-want +got):\n%s", d)
			}
			if ok, err := st.Claim(ctx, a.ID, now); err != nil || !ok {
				t.Errorf("first claim: %v %v", ok, err)
			}
			if ok, err := st.Claim(ctx, a.ID, now); err != nil || ok {
				t.Errorf("second claim: %v %v", ok, err)
			}
			list, total, err := st.List(ctx, &odcs.Filter{States: []odcs.State{odcs.StateDone}, ExpiresBefore: now.Add(3 * time.Hour)})
			if err != nil || total != 1 || len(list) != 1 || list[0].ID != b.ID {
				t.Errorf("list: %v %d %v", list, total, err)
			}
			list, total, err = st.List(ctx, &odcs.Filter{OrderBy: "-time_to_expire", Limit: 1, Offset: 1})
			if err != nil || total != 2 || len(list) != 1 || list[0].ID != a.ID {
				t.Errorf("ordered page: %v %d %v", list, total, err)
			}
			if _, _, err := st.List(ctx, &odcs.Filter{OrderBy: "owner; DROP TABLE x"}); err == nil {
				t.Error("a bad order_by was accepted")
			}
			if _, err := st.Get(ctx, 999); !errors.Is(err, odcs.ErrNotFound) {
				t.Errorf("missing compose: %v", err)
			}
		})
	}
}
