package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/modkit/modkit/bodhi"
	"github.com/modkit/modkit/bodhi/composer"
	"github.com/modkit/modkit/bodhi/composer/bodhidb"
	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/pungi/compose"
)

func init() {
	register("updates", "push a modular release's Bodhi updates: koji tag moves, repository with modules.yaml and module-aware updateinfo", runUpdates)
}

const updatesAbout = `
Does what Bodhi's composer does for a modular release (e.g. F27M): the
updates carrying --request (testing or stable) have their builds moved in
koji into the release's testing or stable tag (out of the pending tags);
the repository --repo gets the module set (per name:stream the newest
build already in that repository, replaced by the pushed builds) in
modules.yaml and an updateinfo.xml whose advisories name their module
streams, so dnf shows them only where the stream is enabled.

  updates push --release R --request testing|stable --repo DIR [options]

Bodhi is --bodhi URL or $BODHI_URL (reads need no login). Koji is
--koji-hub URL or $KOJI_HUB_URL, logged in with --koji-user and the
password in --koji-password-file or $KOJI_PASSWORD (tag moves need the tag
permission or admin).

The RPMs of every module build in the repository are downloaded from
koji's file server (--koji-topurl, default $KOJI_TOPURL, else the hub URL
with /kojihub replaced by /kojifiles): the binary RPMs of --arch and
noarch of the build's modulemd.<arch>.txt archive, and its source RPMs
(for the modules' artifacts). --sigkey KEY (repeatable, in order of
preference; "" allows unsigned copies) takes the signed copies, as
Pungi's sigkeys do; without it the unsigned copies are used. --no-rpms
writes only the module metadata and updateinfo.
Bodhi's REST API has no call to record an update's new status: Bodhi's
own composer writes its database. With --bodhi-db URL (Bodhi's
PostgreSQL) the push records it the same way: status testing or stable
with its date, pushed, request cleared, unlocked, and the comment "This
update has been pushed to ..." of the user bodhi. Without it the updates
keep their status and request in Bodhi.

Exit status: 0 pushed, 1 an error, 2 a usage error.`

func runUpdates(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("updates: no subcommand given (push)\nusage: modkit updates push [options]\nRun 'modkit updates -h' for help.")
	}
	if args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(stdout, "usage: modkit updates push [options]\n%s\n", updatesAbout)
		return nil
	}
	if strings.HasPrefix(args[0], "-") {
		return usageError("updates: unknown option %s (options follow the subcommand)\nusage: modkit updates push [options]\nRun 'modkit updates -h' for help.", args[0])
	}
	if args[0] != "push" {
		return usageError("updates: unknown subcommand %q (want push)\nusage: modkit updates push [options]\nRun 'modkit updates -h' for help.", args[0])
	}
	fs := newFlags("updates push", "updates push --release R --request testing|stable --repo DIR [options]", updatesAbout, stdout)
	bodhiURL := fs.String("bodhi", "", "Bodhi `URL` (default $BODHI_URL)")
	hub := fs.String("koji-hub", "", "koji hub `URL` (default $KOJI_HUB_URL)")
	kojiUser := fs.String("koji-user", "", "koji `USER` (default $KOJI_ADMIN; password from --koji-password-file or $KOJI_PASSWORD)")
	pwFile := fs.String("koji-password-file", "", "`FILE` holding the koji password")
	release := fs.String("release", "", "Bodhi release `NAME`, e.g. F27M")
	request := fs.String("request", "", "`REQUEST` to push: testing or stable")
	repo := fs.String("repo", "", "repository `DIR` to write")
	arch := fs.String("arch", "x86_64", "repository `ARCH`")
	from := fs.String("from", "updates@fedoraproject.org", "advisories' from `ADDRESS`")
	topURL := fs.String("koji-topurl", "", "koji file server `URL` (http(s) or file://; default $KOJI_TOPURL, else the hub's /kojifiles)")
	var sigkeys multiFlag
	fs.Var(&sigkeys, "sigkey", "signing `KEY` of the RPMs to take (repeatable, in order of preference; \"\" allows unsigned)")
	noRPMs := fs.Bool("no-rpms", false, "write only module metadata and updateinfo, no RPMs")
	downloadDir := fs.String("download-dir", "", "`DIR` to download RPMs into and keep (default a temporary directory)")
	bodhiDB := fs.String("bodhi-db", "", "Bodhi's PostgreSQL `URL`: record the pushed updates' status there, as Bodhi's composer does")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	var mdFiles multiFlag
	fs.Var(&mdFiles, "module-defaults", "`FILE` of modulemd-defaults and modulemd-obsoletes documents for modules.yaml (repeatable; only those of modules the repository carries are kept)")
	rest, err := fs.parse(args[1:])
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fs.usageError("unexpected arguments %q", rest)
	}
	for p, env := range map[*string]string{bodhiURL: "BODHI_URL", hub: "KOJI_HUB_URL", kojiUser: "KOJI_ADMIN"} {
		if *p == "" {
			*p = os.Getenv(env)
		}
	}
	switch {
	case *release == "" || *repo == "":
		return fs.usageError("--release and --repo are required")
	case *bodhiURL == "":
		return fs.usageError("--bodhi (or $BODHI_URL) is required")
	case *hub == "":
		return fs.usageError("--koji-hub (or $KOJI_HUB_URL) is required")
	case *request != bodhi.RequestTesting && *request != bodhi.RequestStable:
		return fs.usageError("--request %q: want testing or stable", *request)
	}
	bc, err := bodhi.NewClient(*bodhiURL)
	if err != nil {
		return err
	}
	var kopts []koji.Option
	if *kojiUser != "" {
		pw := os.Getenv("KOJI_PASSWORD")
		if *pwFile != "" {
			data, err := os.ReadFile(*pwFile)
			if err != nil {
				return fmt.Errorf("koji password: %w", err)
			}
			pw = strings.TrimSpace(string(data))
		}
		kopts = append(kopts, koji.WithAuth(koji.PasswordAuth{User: *kojiUser, Password: pw}))
	}
	kc, err := koji.NewClient(*hub, kopts...)
	if err != nil {
		return err
	}
	if *kojiUser != "" {
		if err := kc.Login(ctx); err != nil {
			return fmt.Errorf("koji login as %s: %w", *kojiUser, err)
		}
	}
	progress := func(s string) { fmt.Fprintln(stderr, "updates push:", s) }
	popts := &composer.PushOptions{Release: *release, Request: *request, RepoDir: *repo,
		Arch: *arch, From: *from, Progress: progress}
	if !*noRPMs {
		if *topURL == "" {
			*topURL = defaultTopURL(*hub)
		}
		dl := *downloadDir
		if dl == "" {
			parent := filepath.Dir(filepath.Clean(*repo))
			if err := os.MkdirAll(parent, 0o755); err != nil {
				return err
			}
			if dl, err = os.MkdirTemp(parent, ".modkit-rpms-"); err != nil {
				return err
			}
			defer os.RemoveAll(dl)
		}
		ks := &compose.KojiSource{Client: kc, TopURL: *topURL, Sigkeys: sigkeys}
		rf := &kojiRPMs{src: ks, arch: *arch, dir: dl, progress: progress}
		popts.RPMFiles = rf.rpmFiles
	}
	if *bodhiDB != "" {
		m, err := bodhidb.Open(ctx, *bodhiDB)
		if err != nil {
			return err
		}
		defer m.Close(context.WithoutCancel(ctx))
		popts.Mark = m.Mark
	}
	for _, f := range mdFiles {
		data, err := readInput(ctx, f, stdin)
		if err != nil {
			return &exitError{Code: 2, Msg: "updates push: " + err.Error()}
		}
		docs, err := decodeAll(ctx, data, displayName(f), false)
		if err != nil {
			return &exitError{Code: 1, Msg: "updates push: " + err.Error()}
		}
		for _, d := range docs {
			switch d := d.(type) {
			case *modulemd.Defaults:
				popts.Defaults = append(popts.Defaults, d)
			case *modulemd.Obsoletes:
				popts.Obsoletes = append(popts.Obsoletes, d)
			default:
				return &exitError{Code: 1, Msg: fmt.Sprintf("updates push: %s: a %T document; --module-defaults takes modulemd-defaults and modulemd-obsoletes documents", displayName(f), d)}
			}
		}
	}
	res, err := composer.Push(ctx, bc, kc, popts)
	if err != nil {
		return err
	}
	if *asJSON {
		var mods []string
		for _, m := range res.Modules {
			mods = append(mods, m.NSVC())
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"updates": res.Updates, "modules": mods, "repo": *repo, "advisories": len(res.Advisories),
			"rpms": len(res.Repo.RPMs), "marked": popts.Mark != nil})
	}
	fmt.Fprintf(stdout, "pushed %d update(s) of %s to %s: %s\n", len(res.Updates), *release, *request, strings.Join(res.Updates, " "))
	for _, m := range res.Modules {
		fmt.Fprintf(stdout, "  module %s\n", m.NSVC())
	}
	fmt.Fprintf(stdout, "repository %s with %d RPM(s) and %d advisories\n", *repo, len(res.Repo.RPMs), len(res.Advisories))
	return nil
}
