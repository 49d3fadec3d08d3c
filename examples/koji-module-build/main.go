// Command koji-module-build submits a module to the orchestrator with the
// koji builder (package orchestrator/kojibuild) and follows it to the end:
// every component's koji task and its result, then the module's koji tag
// and content-generator build.
//
//	koji-module-build -hub https://koji.example.org/kojihub -user me -password-file pw \
//	    -platform f40 -platform-tag module-f40-build module.yaml
//
// The module's components are pinned with git (their repositories must be
// reachable). With -demo it starts an in-process kojitest hub whose
// simulated builders build every task, and builds a small module on it.
package main

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/kojibuild"
	"github.com/modkit/modkit/orchestrator/sqlstore"
	"github.com/modkit/modkit/resolver"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "koji-module-build:", err)
		os.Exit(1)
	}
}

const demoModule = `document: modulemd
version: 2
data:
  name: demo
  stream: "1"
  summary: A demo module
  description: Built by koji-module-build -demo.
  license:
    module: [MIT]
  dependencies:
  - buildrequires:
      platform: [f40]
    requires:
      platform: [f40]
  components:
    rpms:
      libfoo:
        rationale: the library
        repository: https://git.example.com/rpms/libfoo
        ref: main
      foo:
        rationale: the program
        repository: https://git.example.com/rpms/foo
        ref: main
        buildorder: 1
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("koji-module-build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	hubURL := fs.String("hub", "", "koji hub URL")
	user := fs.String("user", "", "koji user (password login)")
	pwFile := fs.String("password-file", "", "file holding the koji password")
	platform := fs.String("platform", "f40", "stream of the platform module")
	platformTag := fs.String("platform-tag", "module-{}-build", "koji tag of the platform ({} = its stream)")
	buildroot := fs.String("buildroot", "bash rpm-build", "packages of the build group")
	state := fs.String("state", "", "state directory (default: a temporary one)")
	demo := fs.Bool("demo", false, "build a demo module on an in-process kojitest hub")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var def []byte
	var auth koji.Authenticator
	var scm orchestrator.SCM // nil: git
	switch {
	case *demo:
		sim := kojitest.NewSim()
		hub := kojitest.NewServer(kojitest.WithBuilder(sim.Builder))
		defer hub.Close()
		*hubURL, def, scm = hub.URL(), []byte(demoModule), demoSCM{}
		auth = koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword}
		if err := demoSetup(ctx, hub.URL(), auth, strings.ReplaceAll(*platformTag, "{}", *platform), *platform); err != nil {
			return err
		}
	case fs.NArg() != 1 || *hubURL == "":
		return errors.New("usage: koji-module-build -hub URL [-user U -password-file F] MODULE.yaml (or -demo)")
	default:
		var err error
		if def, err = os.ReadFile(fs.Arg(0)); err != nil {
			return err
		}
		pw := ""
		if *pwFile != "" {
			b, err := os.ReadFile(*pwFile)
			if err != nil {
				return err
			}
			pw = strings.TrimSpace(string(b))
		}
		auth = koji.PasswordAuth{User: *user, Password: pw}
	}
	dir := *state
	if dir == "" {
		d, err := os.MkdirTemp("", "koji-module-build-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	st, err := sqlstore.Open(ctx, filepath.Join(dir, "modkit.db"), nil)
	if err != nil {
		return err
	}
	defer st.Close()
	plat := &modulemd.Stream{MDVersionNumber: 2, Name: "platform", Stream: *platform, Version: 1, Context: "00000000",
		Summary: "platform", Description: "The platform module.", License: modulemd.License{Module: []string{"MIT"}},
		Profiles: map[string]modulemd.Profile{"buildroot": {RPMs: strings.Fields(*buildroot)}, "srpm-buildroot": {RPMs: strings.Fields(*buildroot)}},
		XMD:      modulemd.MustXMD(map[string]any{"mbs": map[string]any{"mse": "TRUE", "koji_tag": strings.ReplaceAll(*platformTag, "{}", *platform)}})}
	src := orchestrator.Sources(orchestrator.NewDBSource(st), resolver.NewSource([]*modulemd.Stream{plat}))
	kc, err := koji.NewClient(*hubURL, koji.WithAuth(auth))
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	kb, err := kojibuild.New(&kojibuild.Options{Client: kc, Source: src, WorkDir: dir, Logger: logger,
		CandidateTag: "{}-modular-updates-candidate", PollInterval: 200 * time.Millisecond})
	if err != nil {
		return err
	}
	// The module file is the user's own, so its components may name their
	// repositories (a service refuses that by default, as MBS does).
	svc, err := orchestrator.NewService(&orchestrator.Options{Store: st, Builder: kb, Source: src, SCM: scm,
		Logger: logger, PollInterval: 200 * time.Millisecond, AllowComponentRepository: true})
	if err != nil {
		return err
	}
	// Follow the build: each component state change, with its koji task.
	unsub := svc.Subscribe(func(e orchestrator.Event) {
		if !strings.HasSuffix(e.Topic, "component.state.change") {
			return
		}
		var m struct {
			Package    string `json:"package"`
			StateName  string `json:"state_name"`
			TaskID     any    `json:"task_id"`
			NVR        string `json:"nvr"`
			StateReson string `json:"state_reason"`
		}
		if json.Unmarshal(e.Body, &m) == nil && m.StateName != "" {
			task := fmt.Sprint(m.TaskID)
			fmt.Fprintf(stdout, "%-20s %-9s task %-6s %s %s\n", m.Package, m.StateName, task, m.NVR, kb.TaskURL(task))
		}
	})
	defer unsub()
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	builds, err := svc.Submit(ctx, &orchestrator.SubmitRequest{Modulemd: def, Owner: "koji-module-build"})
	if err != nil {
		return err
	}
	for _, b := range builds {
		final, err := svc.Wait(ctx, b.ID)
		if err != nil {
			return err
		}
		for _, mb := range final {
			if mb.State == orchestrator.StateFailed {
				return fmt.Errorf("module build %d (%s) failed: %s", mb.ID, mb.NSVC(), mb.StateReason)
			}
			fmt.Fprintf(stdout, "%s: %s, koji tag %s, content-generator build %d\n", mb.NSVC(), mb.State, mb.Publication.Repository, mb.Publication.KojiBuildID)
		}
	}
	return nil
}

// demoSetup prepares the in-process hub as a koji admin would: the module
// btype, the content generator, the platform and candidate tags.
func demoSetup(ctx context.Context, url string, auth koji.Authenticator, platformTag, stream string) error {
	c, err := koji.NewClient(url, koji.WithAuth(auth))
	if err != nil {
		return err
	}
	if err := c.Login(ctx); err != nil {
		return err
	}
	if err := c.AddBType(ctx, "module"); err != nil {
		return err
	}
	if err := c.GrantCGAccess(ctx, koji.Name(kojitest.AdminUser), "module-build-service", true); err != nil {
		return err
	}
	if _, err := c.CreateTag(ctx, platformTag, &koji.CreateTagOptions{Arches: []string{"x86_64"}}); err != nil {
		return err
	}
	_, err = c.CreateTag(ctx, stream+"-modular-updates-candidate", nil)
	return err
}

// demoSCM pins every ref of every repository to a hash of both: the demo's
// repositories do not exist, and kojitest builds whatever it is given.
type demoSCM struct{}

func (demoSCM) ResolveRef(ctx context.Context, repo, ref string) (string, error) {
	sum := sha1.Sum([]byte(repo + "#" + ref))
	return hex.EncodeToString(sum[:]), nil
}

func (demoSCM) CommitTime(ctx context.Context, repo, commit string) (time.Time, error) {
	return time.Now(), nil
}

func (demoSCM) ReadFile(ctx context.Context, repo, commit, path string) ([]byte, error) {
	return nil, fmt.Errorf("%s: not in the demo", path)
}
