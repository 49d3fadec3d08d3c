package bodhi_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/modkit/modkit/bodhi"
	"github.com/modkit/modkit/bodhi/bodhitest"
	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/koji"
)

// realServer is a Bodhi (a real one from bodhi-server up, or bodhitest)
// and its koji hub.
type realServer struct {
	URL, AdminCookie, PackagerCookie string
	Koji                             *koji.Client // logged in as the hub admin
	KojiAdmin                        string
	rec                              *recorder // records every exchange, when set
	bodhitest                        *bodhitest.Server
}

// needRealServer returns the Bodhi and koji hub the environment names, or
// skips (fails under MODKIT_REQUIRE_TOOLS=1).
func needRealServer(t *testing.T) *realServer {
	t.Helper()
	s := &realServer{URL: os.Getenv("BODHI_URL"), AdminCookie: os.Getenv("BODHI_ADMIN_COOKIE"),
		PackagerCookie: os.Getenv("BODHI_PACKAGER_COOKIE")}
	hub, admin, pw := os.Getenv("KOJI_HUB_URL"), os.Getenv("KOJI_ADMIN"), os.Getenv("KOJI_ADMIN_PASSWORD")
	if s.URL == "" || s.AdminCookie == "" || s.PackagerCookie == "" || hub == "" || admin == "" {
		testenv.SkipOrFatal(t, "BODHI_URL/BODHI_*_COOKIE/KOJI_HUB_URL not set: start servers with hack/services.sh, or "+
			`eval "$(../shared/tools/koji-hub up)"; eval "$(../shared/tools/bodhi-server up)"`)
	}
	testenv.Exclusive(t, s.URL)
	kc, err := koji.NewClient(hub, koji.WithAuth(koji.PasswordAuth{User: admin, Password: pw}))
	if err != nil {
		t.Fatal(err)
	}
	if err := kc.Login(context.Background()); err != nil {
		t.Fatalf("koji login as %s: %v", admin, err)
	}
	s.Koji, s.KojiAdmin = kc, admin
	return s
}

func (s *realServer) client(t *testing.T, opts ...bodhi.Option) *bodhi.Client {
	t.Helper()
	base := []bodhi.Option{bodhi.WithRetry(bodhi.NoRetry)}
	if s.rec != nil {
		base = append(base, bodhi.WithHTTPClient(&http.Client{Transport: s.rec, Timeout: time.Minute}))
	}
	c, err := bodhi.NewClient(s.URL, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (s *realServer) admin(t *testing.T) *bodhi.Client {
	return s.client(t, bodhi.WithSessionCookie(s.AdminCookie))
}

func (s *realServer) packager(t *testing.T) *bodhi.Client {
	return s.client(t, bodhi.WithSessionCookie(s.PackagerCookie))
}

// modularRelease is a unique F<N>M release with its koji tag family.
type modularRelease struct {
	Name    string // F<N>M
	Version string
	Prefix  string // f<N>-modular
}

func (r modularRelease) tag(suffix string) string {
	if suffix == "" {
		return r.Prefix
	}
	return r.Prefix + "-" + suffix
}

// newModularRelease creates the koji tags of a modular release and the
// release in Bodhi (as bodhiadmin), the way Fedora set up F27M.
func newModularRelease(t *testing.T, s *realServer) modularRelease {
	t.Helper()
	ctx := context.Background()
	n := 1000 + rand.IntN(99000) // Bodhi: version is varchar(5)
	r := modularRelease{Name: fmt.Sprintf("F%dM", n), Version: fmt.Sprint(n), Prefix: fmt.Sprintf("f%d-modular", n)}
	for _, suffix := range []string{"", "override", "pending", "signing-pending", "updates", "updates-candidate",
		"updates-pending", "updates-testing", "updates-testing-pending"} {
		if _, err := s.Koji.CreateTag(ctx, r.tag(suffix), nil); err != nil {
			t.Fatalf("koji createTag %s: %v", r.tag(suffix), err)
		}
	}
	_, err := s.admin(t).SaveRelease(ctx, r.input())
	if err != nil {
		t.Fatalf("create release %s: %v", r.Name, err)
	}
	return r
}

func (r modularRelease) input() *bodhi.ReleaseInput {
	return &bodhi.ReleaseInput{
		Name: r.Name, LongName: "Fedora " + r.Version + " Modular", Version: r.Version, Branch: "f" + r.Version + "m",
		IDPrefix: "FEDORA-MODULAR", DistTag: r.tag(""), StableTag: r.tag("updates"),
		TestingTag: r.tag("updates-testing"), CandidateTag: r.tag("updates-candidate"),
		PendingSigningTag: r.tag("signing-pending"), PendingTestingTag: r.tag("updates-testing-pending"),
		PendingStableTag: r.tag("updates-pending"), OverrideTag: r.tag("override"), State: "current",
		MailTemplate: "fedora_errata_template", PackageManager: "dnf",
	}
}

// importModule CG-imports a module build into koji as MBS (and modkit's
// orchestrator) does, and tags it into tag. It returns the koji build.
func importModule(t *testing.T, s *realServer, name, stream string, version uint64, context_, tag string) *koji.Build {
	t.Helper()
	ctx := context.Background()
	md := fmt.Sprintf(`document: modulemd
version: 2
data:
  name: %s
  stream: "%s"
  version: %d
  context: %s
  summary: test module
  description: A module for the bodhi client tests.
  license:
    module: [MIT]
`, name, stream, version, context_)
	m := &koji.ModuleImport{Name: name, Stream: stream, Version: version, Context: context_,
		ModuleBuildServiceID: int64(rand.IntN(1 << 30)), ContentKojiTag: fmt.Sprintf("module-%s-%s-%d-%s", name, stream, version, context_),
		SCMURL: "https://src.example.org/modules/" + name + "?#" + stream, Owner: s.KojiAdmin,
		Start: time.Now().Add(-time.Hour), End: time.Now(), Modulemd: md, ArchModulemd: map[string]string{"x86_64": md}}
	b, err := s.Koji.ImportModuleBuild(ctx, m, fmt.Sprintf("mbs/bodhi-%d", rand.Int64()), nil)
	if err != nil {
		t.Fatalf("import %s:%s:%d: %v", name, stream, version, err)
	}
	if err := s.Koji.AddPackage(ctx, koji.Name(tag), name, &koji.AddPackageOptions{Owner: s.KojiAdmin}); err != nil {
		t.Fatalf("koji packageListAdd %s %s: %v", tag, name, err)
	}
	if err := s.Koji.TagBuildBypass(ctx, koji.Name(tag), koji.ID(b.ID), false); err != nil {
		t.Fatalf("koji tagBuildBypass %s %s: %v", tag, b.NVR, err)
	}
	return b
}

func uniqueName(prefix string) string { return fmt.Sprintf("%s%06x", prefix, rand.IntN(1<<24)) }
