package pungi

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReadRPMsCache reads the same packages through several paths (a hard
// link, as the builders make them): rpm runs only for the first read, and
// every result names the path it was asked for.
func TestReadRPMsCache(t *testing.T) {
	// Not parallel: it counts the package's rpm runs.
	requireTools(t, "rpm", "rpmbuild")
	ctx := context.Background()
	work := t.TempDir()
	bin, src := buildRPM(t, work, "cached", "MIT")
	first, err := ReadRPMs(ctx, []string{bin, src})
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(work, "linked.rpm")
	if err := os.Link(bin, link); err != nil {
		t.Fatal(err)
	}
	before := rpmQueries.Load()
	again, err := ReadRPMs(ctx, []string{src, link})
	if err != nil {
		t.Fatal(err)
	}
	if n := rpmQueries.Load() - before; n != 0 {
		t.Errorf("rpm ran %d times for packages read before, want 0", n)
	}
	want := []RPM{first[1], first[0]}
	want[1].Path = link
	if diff := cmp.Diff(want, again); diff != "" {
		t.Errorf("cached headers (-want +got):\n%s", diff)
	}
	// Changed content is read again.
	other, _ := buildRPM(t, work, "cached2", "BSD")
	before = rpmQueries.Load()
	got, err := ReadRPMs(ctx, []string{other})
	if err != nil {
		t.Fatal(err)
	}
	if n := rpmQueries.Load() - before; n != 1 || got[0].Name != "cached2" {
		t.Errorf("a new package: %d rpm runs, name %q; want 1 run, cached2", n, got[0].Name)
	}
}
