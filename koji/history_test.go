package koji_test

import (
	"testing"

	"github.com/modkit/modkit/koji"
)

func TestQueryHistory(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	ctx := t.Context()
	seedBuilds(t, c)
	check(t, c.UntagBuild(ctx, koji.Name("dest"), koji.Name("foo-1.0-1"), nil))
	h := must[map[string][]koji.HistoryEntry](t)(c.QueryHistory(ctx, &koji.QueryHistoryOptions{
		Tables: []string{"tag_listing"}, Tag: koji.Name("dest")}))
	rows := h["tag_listing"]
	if len(rows) != 2 {
		t.Fatalf("tag_listing rows = %d, want 2", len(rows))
	}
	var active, revoked int
	for _, r := range rows {
		if r.CreatorName != "kojiadmin" || r.CreateTime.IsZero() || r.Fields["tag.name"] != "dest" {
			t.Errorf("row = %+v", r)
		}
		if r.Active {
			active++
		} else if r.RevokeEvent != nil && !r.RevokeTime.IsZero() && r.RevokerName == "kojiadmin" {
			revoked++
		}
	}
	if active != 1 || revoked != 1 {
		t.Errorf("active=%d revoked=%d, want 1 and 1", active, revoked)
	}
	yes := true
	h = must[map[string][]koji.HistoryEntry](t)(c.QueryHistory(ctx, &koji.QueryHistoryOptions{
		Tables: []string{"tag_listing"}, Build: koji.Name("foo-1.0-2"), Active: &yes}))
	if len(h["tag_listing"]) != 1 {
		t.Errorf("filtered rows = %+v", h)
	}
	h = must[map[string][]koji.HistoryEntry](t)(c.QueryHistory(ctx, &koji.QueryHistoryOptions{Tag: koji.Name("child")}))
	if len(h["tag_inheritance"]) != 1 || len(h["tag_listing"]) != 0 {
		t.Errorf("child history = %+v", h)
	}
	if _, err := c.QueryHistory(ctx, &koji.QueryHistoryOptions{Tables: []string{"bogus"}}); err == nil {
		t.Error("unknown table accepted")
	}
}
