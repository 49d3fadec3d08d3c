package compose

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
)

// TestKojiSourceBuilds reads chosen koji module builds with their RPMs
// (Builds, used by updates push) and leaves out a build without per-arch
// module metadata, as Pungi does.
func TestKojiSourceBuilds(t *testing.T) {
	t.Parallel()
	testenv_RequireRPM(t)
	ctx := context.Background()
	arch := hostArch()
	f := newKojiFixture(t)
	kb := f.importModule(t, fixtureModules[2], []string{arch})
	md := "document: modulemd\nversion: 2\ndata:\n  name: bare\n  stream: \"1\"\n  version: 1\n  context: c0ffee42\n  summary: s\n  description: d.\n  license:\n    module: [MIT]\n"
	bare, err := f.client.ImportModuleBuild(ctx, &koji.ModuleImport{Name: "bare", Stream: "1", Version: 1, Context: "c0ffee42",
		Owner: kojitest.AdminUser, Start: time.Unix(1, 0), End: time.Unix(2, 0), Modulemd: md}, "mbs/bare", nil)
	if err != nil {
		t.Fatal(err)
	}
	src := &KojiSource{Client: f.client, TopURL: f.topURL}
	got, err := src.Builds(ctx, kb, bare)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].NSVC() != fixtureModules[2].nsvc() || got[0].Streams[arch] == nil {
		t.Fatalf("Builds = %v", got)
	}
	var names []string
	for _, r := range got[0].RPMs {
		names = append(names, r.FileName())
	}
	slices.Sort(names)
	want := []string{"tools-1.0-1.module+aaaa0001.noarch.rpm", "tools-1.0-1.module+aaaa0001.src.rpm",
		"tools-doc-1.0-1.module+aaaa0001.noarch.rpm", "tools-doc-1.0-1.module+aaaa0001.src.rpm"}
	if !slices.Equal(names, want) {
		t.Errorf("RPMs = %v, want %v", names, want)
	}
	if err := src.Fetch(ctx, got[0].RPMs, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	for _, r := range got[0].RPMs {
		if r.Path == "" || r.SHA256 == "" {
			t.Errorf("%s not fetched", r.FileName())
		}
	}
}
