package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/sqlstore"
	"github.com/modkit/modkit/pungi/compose"
)

func init() {
	register("compose", "compose module builds into a Pungi-style release tree with productmd metadata", runCompose)
}

const composeAbout = `
Makes a compose as Pungi does for modules: it reads the configuration (YAML;
--schema prints its JSON Schema) and the variants.xml it names, chooses
module builds per variant and arch (from a koji hub, from local builds of
modkit build, or from repositories), and writes <target>/<COMPOSE_ID>/ with
compose/<Variant>/<arch>/os repositories carrying modules.yaml, debug and
source trees, compose/metadata/*.json (productmd 1.2), STATUS and
COMPOSE_ID, and points latest-SHORT-VERSION at it. Progress goes to stderr.

Exit status: 0 the compose is FINISHED; 1 it failed (STATUS DOOMED, or no
compose could start); 2 a usage or configuration error.`

func runCompose(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("compose", "compose --config FILE [options]", composeAbout, stdout)
	config := fs.String("config", "", "compose configuration `FILE` (YAML)")
	kojiURL := fs.String("koji", "", "koji hub `URL` (overrides koji.url of the configuration)")
	target := fs.String("target-dir", "", "write the compose under `DIR` (overrides target_dir)")
	kojiCache := fs.String("koji-cache", "", "keep complete koji module builds' metadata in `DIR` for later composes (overrides koji.cache_dir)")
	var old dirList
	fs.Var(&old, "old-composes", "`DIR` of older composes whose unchanged repodata is reused (repeatable)")
	var arches dirList
	fs.Var(&arches, "arch", "compose only `ARCH` (repeatable; overrides arches of the configuration)")
	stateDir := fs.String("state-dir", "", "take local builds from this modkit build --state-dir `DIR` (overrides local.state_dir)")
	noLatest := fs.Bool("no-latest-link", false, "leave the latest-… link alone")
	jobs := fs.Int("jobs", 0, "write `N` repositories at once (default: the number of CPUs)")
	asJSON := fs.Bool("json", false, "print the result as JSON on stdout")
	schema := fs.Bool("schema", false, "print the configuration's JSON Schema and exit")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if *schema {
		_, err := stdout.Write(compose.ConfigSchema)
		return err
	}
	if len(pos) > 0 {
		return fs.usageError("takes no arguments (got %q); use --config FILE", pos[0])
	}
	if *config == "" {
		fs.Usage()
		return fs.usageError("needs --config FILE")
	}
	cfg, err := compose.LoadConfig(*config)
	if err != nil {
		return &exitError{Code: 2, Msg: err.Error()}
	}
	level := slog.LevelWarn
	if *quiet {
		level = slog.LevelError
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	start := time.Now()
	opts := &compose.Options{
		TargetDir: *target, KojiURL: *kojiURL, KojiCache: *kojiCache, Arches: arches, StateDir: *stateDir, OldComposes: old, NoLatestLink: *noLatest, Jobs: *jobs, Logger: logger,
		OpenStore: func(ctx context.Context, stateDir string) (orchestrator.Store, error) {
			db := filepath.Join(stateDir, "modkit.db")
			if _, err := os.Stat(db); err != nil {
				return nil, fmt.Errorf("no local builds: %w (run modkit build --state-dir %s first)", err, stateDir)
			}
			return sqlstore.Open(ctx, db, nil)
		},
	}
	if !*quiet {
		opts.Progress = func(p compose.Progress) {
			el := time.Since(start).Seconds()
			if p.Total > 0 {
				fmt.Fprintf(stderr, "%6.1fs  %-10s [%d/%d] %s\n", el, p.Phase, p.Done, p.Total, p.Msg)
				return
			}
			fmt.Fprintf(stderr, "%6.1fs  %-10s %s\n", el, p.Phase, p.Msg)
		}
	}
	res, err := compose.Run(ctx, cfg, opts)
	if *asJSON && res != nil {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if jerr := enc.Encode(res); jerr != nil {
			return jerr
		}
	}
	if err != nil {
		var ce *compose.ConfigError
		var ve *compose.VariantsError
		if errors.As(err, &ce) || errors.As(err, &ve) {
			return &exitError{Code: 2, Msg: err.Error()}
		}
		return &exitError{Code: 1, Msg: err.Error()}
	}
	if !*asJSON {
		printComposeSummary(stdout, res)
	}
	return nil
}

func printComposeSummary(w io.Writer, res *compose.Result) {
	fmt.Fprintf(w, "compose %s %s\n", res.ID, res.Status)
	fmt.Fprintf(w, "  directory: %s\n", res.Dir)
	if res.Latest != "" {
		fmt.Fprintf(w, "  latest:    %s\n", res.Latest)
	}
	if res.KojiEvent != 0 {
		fmt.Fprintf(w, "  koji event: %d\n", res.KojiEvent)
	}
	reused := 0
	for _, r := range res.Repos {
		if r.Reused != "" {
			reused++
		}
	}
	fmt.Fprintf(w, "  repositories: %d (%d with repodata reused)\n", len(res.Repos), reused)
	for _, r := range res.Repos {
		if r.Kind != "os" {
			continue
		}
		mods := res.Modules[r.Variant][r.Arch]
		shown := strings.Join(mods[:min(len(mods), 6)], " ")
		if len(mods) > 6 {
			shown += fmt.Sprintf(" … and %d more (--json lists all)", len(mods)-6)
		}
		fmt.Fprintf(w, "  %s.%s: %d packages, %d module streams: %s\n", r.Variant, r.Arch, r.Packages, r.Modules, shown)
	}
	for _, r := range res.Repos {
		if r.Kind != "os" || r.Modules == 0 {
			continue
		}
		repo := filepath.Join(res.Dir, "compose", filepath.FromSlash(r.Path))
		if res.Latest != "" {
			repo = filepath.Join(res.Latest, "compose", filepath.FromSlash(r.Path))
		}
		name := strings.ToLower(r.Variant + "-" + r.Arch)
		plat := ""
		if len(r.Platforms) == 1 {
			plat = " --setopt=module_platform_id=platform:" + r.Platforms[0]
		}
		fmt.Fprintf(w, "  try: dnf --releasever=1 --setopt=reposdir=/dev/null --repofrompath=%s,%s --repo=%s%s module list\n", name, repo, name, plat)
	}
	for _, wmsg := range res.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", wmsg)
	}
	t := res.Timing
	fmt.Fprintf(w, "  time: %.2f s wall, %.2f s of it with createrepo_c/modifyrepo_c running (their CPU %.2f s); modkit's own CPU %.2f s\n",
		t.Total.Seconds(), t.Tools.Seconds(), t.ToolsCPU.Seconds(), t.CPU.Seconds())
}
