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
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/modkit/modkit/internal/proc"
	"github.com/modkit/modkit/internal/scm"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/localbuild"
	"github.com/modkit/modkit/orchestrator/sqlstore"
	"github.com/modkit/modkit/resolver"
)

func init() {
	register("build", "build a module locally with rpmbuild and write its repository", runBuild)
}

const buildAbout = `
Builds a module on this machine: the whole module build service runs in
this process on an SQLite database in the state directory, and each
component is built with rpmbuild from its git repository (see package
orchestrator/localbuild). The module comes from a file (PATH) or from a git
repository and revision (GIT_URL#REF, optionally GIT_URL?FILE#REF; the
version is then the commit time and the stream the branch).

Progress is shown per batch and component on stderr. On success the NSVC
of every module build and its repository directory are printed on stdout;
on failure the exit status is 1 and the reason is printed.

Running it again after an interruption continues the unfinished build.`

func runBuild(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("build", "build [options] PATH|GIT_URL#REF", buildAbout+"\n"+kojiHelp, stdout)
	stateDir := fs.String("state-dir", defaultStateDir(), "`DIR` holding the database and build results")
	rpmsBase := fs.String("rpms-base", "", "`URL` prepended to a component's name when it has no repository (MBS's RPMS_DEFAULT_REPOSITORY, e.g. file:///srv/git/rpms/)")
	platform := fs.String("platform", "", "`STREAMS` of the built-in platform module, comma separated (default: the platform streams the module buildrequires)")
	jobs := fs.Int("jobs", 0, "`N` components built at once (default: the number of CPUs)")
	defaultsFile := fs.String("defaults", "", "`FILE` with modulemd-defaults documents for the repository (default: those in the module definition)")
	strategy := fs.String("rebuild-strategy", "", "`STRATEGY`: all, changed-and-after or only-changed (default changed-and-after)")
	sandbox := fs.Bool("sandbox", false, "run each rpmbuild in a bubblewrap sandbox (read-only system, no network, only its work directory writable), as modkit serve does")
	verbose := fs.Bool("v", false, "log every build step")
	builderName := fs.String("builder", "local", "`NAME`: local (rpmbuild on this machine) or koji (a koji hub, see --koji-*)")
	kf := addKojiFlags(fs.FlagSet)
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fs.usageError("want exactly one PATH or GIT_URL#REF, got %d", len(pos))
	}
	start := time.Now()
	target := pos[0]

	// Read the definition ourselves for the platform streams it needs (the
	// service keeps its defaults documents with the build).
	// One view of the repositories for the command: the service reads
	// the definition again and pins the component refs through it.
	// Every program this command runs is timed in usage: git from here,
	// the others in the builder.
	usage := &localbuild.Usage{}
	gitRunner := &scm.Git{Observe: func([]string) func() { return usage.Start("git") }}
	git := &scm.Memo{Git: gitRunner}
	def, err := readDefinition(ctx, git, target)
	if err != nil {
		return &exitError{Code: 1, Msg: err.Error()}
	}
	var defaults []*modulemd.Defaults
	if *defaultsFile != "" {
		docs, err := modulemd.ReadFile(*defaultsFile)
		if err != nil {
			return &exitError{Code: 1, Msg: err.Error()}
		}
		for _, d := range docs {
			if d, ok := d.(*modulemd.Defaults); ok {
				defaults = append(defaults, d)
			}
		}
	}
	platforms := def.platforms
	if *platform != "" {
		platforms = strings.Split(*platform, ",")
	}
	var ks kojiSettings
	switch *builderName {
	case "local":
	case "koji":
		if ks, err = kf.settings(); err != nil {
			return fs.usageError("%v", err)
		}
	default:
		return fs.usageError("--builder must be local or koji, not %q", *builderName)
	}

	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	// One process per state directory: a second one would build
	// everything again beside the first.
	lock, err := proc.Lock(*stateDir)
	if err != nil {
		return &exitError{Code: 1, Msg: err.Error()}
	}
	defer lock.Unlock()
	store, err := sqlstore.Open(ctx, filepath.Join(*stateDir, "modkit.db"), nil)
	if err != nil {
		return &exitError{Code: 1, Msg: err.Error()}
	}
	defer store.Close()
	platMods := platformStreams(platforms)
	if ks != nil {
		platMods = ks.platforms(platforms)
	}
	src := orchestrator.Sources(orchestrator.NewDBSource(store), resolver.NewSource(platMods))
	var builder orchestrator.Builder
	closeBuilder := func() error { return nil }
	if ks != nil {
		kb, err := ks.builder(ctx, src, *stateDir, logger)
		if err != nil {
			return &exitError{Code: 1, Msg: err.Error()}
		}
		builder = kb
	} else {
		lb, err := localbuild.New(&localbuild.Options{
			Dir: filepath.Join(*stateDir, "builds"), Jobs: *jobs, Defaults: defaults, Logger: logger,
			Git: gitRunner, Usage: usage, Sandbox: *sandbox,
		})
		if err != nil {
			return &exitError{Code: 1, Msg: err.Error()}
		}
		builder, closeBuilder = lb, lb.Close
	}
	concurrency := *jobs
	if concurrency <= 0 {
		concurrency = 5
	}
	svc, err := orchestrator.NewService(&orchestrator.Options{
		Store: store, Builder: builder, Logger: logger, Concurrency: concurrency,
		Source:               src,
		DefaultRPMRepository: *rpmsBase, SCM: git,
		// The user builds their own module: its components may name any
		// repository (modkit serve refuses that by default).
		AllowComponentRepository: true, AllowComponentCache: true,
		PollInterval: 50 * time.Millisecond,
	})
	if err != nil {
		return err
	}
	p := &progress{w: stderr, svc: svc}
	unsubscribe := svc.Subscribe(p.event)
	defer unsubscribe()

	runCtx, stop := context.WithCancel(ctx)
	runErr := make(chan error, 1)
	go func() { runErr <- svc.Run(runCtx) }()
	defer func() {
		stop()
		<-runErr
		// Interrupted: kill and reap the rpmbuilds still running (the
		// next run builds them again).
		closeBuilder()
	}()

	req := &orchestrator.SubmitRequest{Owner: currentUser(), RebuildStrategy: *strategy}
	if def.scm {
		req.SCMURL = target
	} else {
		req.Modulemd = def.data
		req.ModuleName = strings.TrimSuffix(strings.TrimSuffix(filepath.Base(target), ".yaml"), ".yml")
	}
	builds, err := svc.Submit(ctx, req)
	var re *orchestrator.RequestError
	switch {
	case errors.Is(err, orchestrator.ErrConflict) && def.scm:
		// Built or being built already: show that build.
		builds, err = existingBuilds(ctx, svc, def)
		if err != nil {
			return &exitError{Code: 1, Msg: err.Error()}
		}
		fmt.Fprintf(stderr, "%s was submitted before (module build %d, %s); following it\n", builds[0].NSVC(), builds[0].ID, builds[0].State)
	case errors.As(err, &re):
		return &exitError{Code: 1, Msg: re.Msg}
	case err != nil:
		return &exitError{Code: 1, Msg: err.Error()}
	default:
		for _, mb := range builds {
			fmt.Fprintf(stderr, "submitted module build %d: %s:%s:%s\n", mb.ID, mb.Name, mb.Stream, mb.Version)
		}
	}

	var final []*orchestrator.ModuleBuild
	seen := map[int64]bool{}
	for _, mb := range builds {
		if seen[mb.ID] {
			continue
		}
		sibs, err := svc.Wait(ctx, mb.ID)
		if err != nil {
			if ctx.Err() != nil {
				return &exitError{Code: 130, Msg: fmt.Sprintf("interrupted; run the same command again to continue the build (state in %s)", *stateDir)}
			}
			return err
		}
		for _, s := range sibs {
			if !seen[s.ID] {
				seen[s.ID] = true
				final = append(final, s)
			}
		}
	}
	if err := svc.Flush(ctx); err != nil && ctx.Err() == nil {
		return &exitError{Code: 1, Msg: err.Error()}
	}
	p.flush()
	var failed []string
	for _, mb := range final {
		if mb.State == orchestrator.StateFailed {
			failed = append(failed, fmt.Sprintf("module build %d (%s) failed: %s", mb.ID, mb.NSVC(), mb.StateReason))
			continue
		}
		fmt.Fprintf(stdout, "%s\t%s\n", mb.NSVC(), mb.Publication.Repository)
	}
	if err := closeBuilder(); err != nil {
		failed = append(failed, err.Error())
	}
	printTiming(stderr, time.Since(start), usage.Stats())
	if len(failed) > 0 {
		return &exitError{Code: 1, Msg: strings.Join(failed, "\n")}
	}
	return nil
}

// printTiming prints where the wall time of the command went: rpmbuild;
// the overhead (everything else): other programs while no rpmbuild ran,
// and modkit's own time while no program ran. The second line lists each
// program's wall time, counted also while rpmbuild ran.
func printTiming(w io.Writer, total time.Duration, st localbuild.Stats) {
	overhead := total - st.RPMBuild
	pct := func(d time.Duration) float64 {
		if total <= 0 {
			return 0
		}
		return 100 * d.Seconds() / total.Seconds()
	}
	fmt.Fprintf(w, "timing: total %.3fs = rpmbuild %.3fs (%d runs) + overhead %.3fs (%.0f%%): other programs %.3fs (%.0f%%), modkit %.3fs (%.0f%%)\n",
		total.Seconds(), st.RPMBuild.Seconds(), st.Builds, overhead.Seconds(), pct(overhead),
		st.Others.Seconds(), pct(st.Others), (total - st.Programs).Seconds(), pct(total-st.Programs))
	fmt.Fprintf(w, "timing by program (wall time, overlaps included): %s\n", st)
}

// defaultStateDir is $XDG_STATE_HOME/modkit when XDG_STATE_HOME is set,
// else .state in the current directory.
func defaultStateDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "modkit")
	}
	return ".state"
}

func currentUser() string {
	for _, k := range []string{"USER", "LOGNAME"} {
		if u := os.Getenv(k); u != "" {
			return u
		}
	}
	return "local"
}

// definition is a module definition as the build command reads it.
type definition struct {
	name      string // the file or SCM URL, for messages
	scm       bool
	data      []byte
	docs      []modulemd.Document
	platforms []string // platform streams it buildrequires
	// for SCM URLs: what the service will name the build
	moduleName, stream, version string
}

func readDefinition(ctx context.Context, git *scm.Memo, target string) (*definition, error) {
	d := &definition{name: target}
	if strings.Contains(target, "#") {
		u, err := orchestrator.ParseSCMURL(target)
		if err != nil {
			return nil, err
		}
		base := strings.TrimRight(u.Repo, "/")
		if i := strings.LastIndexAny(base, "/:"); i >= 0 {
			base = base[i+1:]
		}
		d.moduleName = strings.TrimSuffix(base, ".git")
		file := u.Path
		if file == "" {
			file = d.moduleName + ".yaml"
		}
		// The commit, its time and the file from one git process; the
		// service asks the same Memo again.
		r, err := git.Resolve(ctx, u.Repo, u.Ref, file)
		if err != nil {
			return nil, err
		}
		d.data = r.Files[file]
		d.scm, d.stream, d.version = true, u.Ref, r.Time.UTC().Format("20060102150405")
	} else {
		var err error
		d.data, err = os.ReadFile(target)
		if err != nil {
			return nil, err
		}
	}
	docs, err := modulemd.Parse(d.data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", target, err)
	}
	d.docs = docs
	var streams []*modulemd.Stream
	for _, doc := range docs {
		switch doc := doc.(type) {
		case *modulemd.Stream:
			streams = append(streams, doc)
		case *modulemd.Packager:
			if doc.MDVersionNumber >= 3 {
				if idx, err := doc.ToIndex(); err == nil {
					streams = append(streams, idx.Streams()...)
				}
			} else if s, err := doc.ToStream(); err == nil {
				streams = append(streams, s)
			}
		}
	}
	for _, s := range streams {
		for _, dep := range s.Dependencies {
			for _, p := range dep.BuildRequires["platform"] {
				if !strings.HasPrefix(p, "-") && !slices.Contains(d.platforms, p) {
					d.platforms = append(d.platforms, p)
				}
			}
		}
	}
	return d, nil
}

// platformStreams are the built-in base modules: one platform stream each,
// as MBS's offline local builds fake one from the host.
func platformStreams(streams []string) []*modulemd.Stream {
	var out []*modulemd.Stream
	for _, s := range streams {
		out = append(out, &modulemd.Stream{
			MDVersionNumber: 2, Name: "platform", Stream: s, Version: 1, Context: "00000000",
			Summary:     "Built-in platform of modkit local builds",
			Description: "The base module of local builds: the host's tools and packages.",
			License:     modulemd.License{Module: []string{"MIT"}},
			XMD: modulemd.MustXMD(map[string]any{"mbs": map[string]any{
				"buildrequires": map[string]any{}, "requires": map[string]any{},
				"commit": "local", "koji_tag": "local-" + s, "mse": "TRUE",
			}}),
		})
	}
	return out
}

// existingBuilds finds the builds of an SCM definition submitted before.
func existingBuilds(ctx context.Context, svc *orchestrator.Service, d *definition) ([]*orchestrator.ModuleBuild, error) {
	name := d.moduleName
	for _, doc := range d.docs {
		if p, ok := doc.(*modulemd.Packager); ok && p.Name != "" {
			name = p.Name
		}
		if s, ok := doc.(*modulemd.Stream); ok && s.Name != "" {
			name = s.Name
		}
	}
	l, _, err := svc.List(ctx, &orchestrator.ModuleBuildFilter{Name: name, Stream: d.stream, Version: d.version})
	if err != nil {
		return nil, err
	}
	if len(l) == 0 {
		return nil, fmt.Errorf("%s was refused as a duplicate, but no build %s:%s:%s exists", d.name, name, d.stream, d.version)
	}
	return l, nil
}

// progress prints module and component state changes.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	svc   *orchestrator.Service
	batch map[int64]int // component build id → batch, read per module build
}

// batchOf returns the batch of component build id of module build module,
// reading all the module's components from the store when id is new (the
// store has one connection, which the service's workers need).
func (p *progress) batchOf(module, id int64) (int, bool) {
	if b, ok := p.batch[id]; ok {
		return b, true
	}
	cs, _, err := p.svc.Components(context.Background(), &orchestrator.ComponentBuildFilter{ModuleID: module})
	if err != nil {
		return 0, false
	}
	if p.batch == nil {
		p.batch = map[int64]int{}
	}
	for _, c := range cs {
		p.batch[c.ID] = c.Batch
	}
	b, ok := p.batch[id]
	return b, ok
}

func (p *progress) event(e orchestrator.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case strings.HasSuffix(e.Topic, orchestrator.TopicModuleStateChange):
		var m orchestrator.ModuleMessage
		if json.Unmarshal(e.Body, &m) != nil {
			return
		}
		line := fmt.Sprintf("%s:%s:%s:%s  %s", m.Name, m.Stream, m.Version, m.Context, m.StateName)
		if m.StateReason != nil && *m.StateReason != "" {
			line += ": " + *m.StateReason
		}
		fmt.Fprintln(p.w, line)
	case strings.HasSuffix(e.Topic, orchestrator.TopicComponentStateChange):
		var m orchestrator.ComponentMessage
		if json.Unmarshal(e.Body, &m) != nil || m.StateName == nil {
			return
		}
		batch := ""
		if b, ok := p.batchOf(m.ModuleBuild, m.ID); ok {
			batch = "batch " + strconv.Itoa(b) + ": "
		}
		line := fmt.Sprintf("  %s%s  %s", batch, m.Package, strings.ToLower(*m.StateName))
		if m.NVR != nil && *m.StateName == "COMPLETE" {
			line += "  " + *m.NVR
		}
		if m.StateReason != nil && *m.StateReason != "" {
			line += ": " + *m.StateReason
		}
		fmt.Fprintln(p.w, line)
	}
}

// flush waits for events being printed.
func (p *progress) flush() {
	p.mu.Lock()
	p.mu.Unlock() //nolint:staticcheck // an empty critical section orders output
}
