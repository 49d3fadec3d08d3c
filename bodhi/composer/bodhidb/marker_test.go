package bodhidb_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/modkit/modkit/bodhi/composer/bodhidb"
	"github.com/modkit/modkit/internal/testenv"
)

// TestMarkRefusals checks Mark's and Open's errors against a real Bodhi
// database (marking itself is checked end to end by package composer's
// TestPushRealBodhi, through Bodhi's REST API).
func TestMarkRefusals(t *testing.T) {
	t.Parallel()
	url := os.Getenv("BODHI_PG")
	if url == "" {
		testenv.SkipOrFatal(t, "BODHI_PG not set: start Bodhi with hack/services.sh or bodhi-server up")
	}
	ctx := context.Background()
	m, err := bodhidb.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(ctx)
	if err := m.Mark(ctx, "FEDORA-MODULAR-2000-0000000000", "stable"); !errors.Is(err, bodhidb.ErrNoUpdate) {
		t.Errorf("Mark(unknown alias) = %v, want ErrNoUpdate", err)
	}
	if err := m.Mark(ctx, "FEDORA-MODULAR-2000-0000000000", "obsolete"); err == nil || !strings.Contains(err.Error(), "want testing or stable") {
		t.Errorf("Mark(obsolete) = %v", err)
	}
	if other := os.Getenv("KOJI_PG"); other != "" {
		if _, err := bodhidb.Open(ctx, other); err == nil || !strings.Contains(err.Error(), "not a Bodhi database") {
			t.Errorf("Open(koji's database) = %v, want a refusal", err)
		}
	}
	if _, err := bodhidb.Open(ctx, "postgresql://nobody@127.0.0.1:1/none"); err == nil {
		t.Error("Open(closed port): no error")
	}
}
