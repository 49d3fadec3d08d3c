package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/modkit/modkit/internal/proc"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/amqpbus"
	"github.com/modkit/modkit/orchestrator/localbuild"
	"github.com/modkit/modkit/orchestrator/mbsapi"
	"github.com/modkit/modkit/orchestrator/pgstore"
	"github.com/modkit/modkit/orchestrator/sqlstore"
	"github.com/modkit/modkit/orchestrator/zerobuilder"
	"github.com/modkit/modkit/resolver"
)

func init() {
	register("serve", "run the module build service with its MBS-compatible REST API", runServe)
}

const serveAbout = `
Runs the module build service: the MBS-compatible REST API under
/module-build-service/1/ and /2/, and the workers that build submitted
modules (with rpmbuild, see 'modkit build'). The state (an SQLite database)
and the build results live in the state directory; a restarted server
continues every unfinished build.

At scale, --db postgres://... (or MODKIT_DB) keeps the state in PostgreSQL
instead: run several serve processes on one database, API requests may go
to any of them, and each module build is worked on by one process at a
time, taken over by another --lease-ttl after its process died. --bus
amqp://... (or MODKIT_BUS) publishes every state change to RabbitMQ in
fedora-messaging's format (topic <prefix>.mbs.module.state.change) and
listens to koji's buildsys messages to react at once.

Authentication is on by default: --tokens FILE maps bearer tokens to users
and groups, one "TOKEN USER GROUP[,GROUP...]" line each. Submitting needs
one of the --allowed-group groups, canceling needs the owner or an
--admin-group group; reading is anonymous. --auth none is the explicit
development mode (everyone is "anonymous" in group packager); on an
address other than loopback it prints a loud warning.

An scmurl must lie inside a --scm-allow prefix (none by default, as in
MBS: without one only --allow-yaml submits are possible).

Submitted modules are code: each rpmbuild (and each rpmspec reading a
spec) runs in a bubblewrap sandbox with the system read-only, a private
/tmp, no network and only its own work directory writable (as user nobody
when the service runs as root); it dies with the service. Components take
their sources from --rpms-base; a component naming its own repository or
cache is refused unless --allow-component-repository or
--allow-component-cache, and then must lie inside --scm-allow.

One process owns a state directory (a lock; another serve or build on it
is refused). Builds running when the service stops are killed and start
again on the next start; after a crash (kill -9, power loss) the next start
kills what the previous process left running and says so in the messages
of the affected components.

Use 'modkit builds' to talk to the server.`

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func runServe(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "serve --listen ADDR [--tokens FILE | --auth none] [options]", serveAbout+"\n"+kojiHelp, stdout)
	listen := fs.String("listen", "127.0.0.1:8080", "`ADDR` (host:port) to listen on")
	stateDir := fs.String("state-dir", defaultStateDir(), "`DIR` holding the database and build results")
	tokensFile := fs.String("tokens", "", "`FILE` of \"TOKEN USER GROUP[,GROUP...]\" lines")
	auth := fs.String("auth", "tokens", "`MODE`: tokens, or none (development only)")
	var allowed, admins, scmAllow, platforms multiFlag
	fs.Var(&allowed, "allowed-group", "`GROUP` allowed to submit (repeatable; default packager)")
	fs.Var(&admins, "admin-group", "`GROUP` allowed to cancel any build (repeatable; default admin)")
	fs.Var(&scmAllow, "scm-allow", "allowed scmurl `PREFIX` (repeatable; compared as normalised URLs on path boundaries; default: none, so only --allow-yaml submits)")
	allowCustomSCM := fs.Bool("allow-custom-scmurls", false, "accept any scmurl, local paths of this machine included (MBS's ALLOW_CUSTOM_SCMURLS; development only)")
	fs.Var(&platforms, "platform", "`STREAM` of the built-in platform module (repeatable or comma separated; default: the host's PLATFORM_ID)")
	allowYAML := fs.Bool("allow-yaml", false, "allow submitting a modulemd directly instead of an scmurl")
	allowScratch := fs.Bool("allow-scratch", false, "allow scratch builds")
	allowRepo := fs.Bool("allow-component-repository", false, "allow components to name their own repository (inside --scm-allow); default: every component comes from --rpms-base")
	allowCache := fs.Bool("allow-component-cache", false, "allow components to name their own lookaside cache (inside --scm-allow)")
	rpmsBase := fs.String("rpms-base", "", "`URL` prepended to a component's name when it has no repository")
	jobs := fs.Int("jobs", 0, "`N` components built at once (default: the number of CPUs, at least 5 for other builders)")
	globalJobs := fs.Int("concurrent-builds", 0, "`N` components building at once across all serve processes sharing the --db database (MBS's NUM_CONCURRENT_BUILDS; default: no limit beyond each process's --jobs)")
	builderName := fs.String("builder", "local", "`NAME`: local (rpmbuild), koji (a koji hub, see --koji-*), or zero (builds nothing; to try the API)")
	kf := addKojiFlags(fs.FlagSet)
	baseURL := fs.String("base-url", "", "public `URL` of the server for links (default: from each request)")
	sandbox := fs.Bool("sandbox", true, "run each rpmbuild in a bubblewrap sandbox (read-only system, no network, only its work directory writable); --sandbox=false builds unconfined")
	verbose := fs.Bool("v", false, "log every build step")
	dbURL := fs.String("db", os.Getenv("MODKIT_DB"), "PostgreSQL `URL` (postgres://...) of the state shared by several serve processes (default $MODKIT_DB, else SQLite in the state directory)")
	busURL := fs.String("bus", os.Getenv("MODKIT_BUS"), "AMQP `URL` of the message bus (amqp://...; default $MODKIT_BUS, else none)")
	topicPrefix := fs.String("topic-prefix", "org.modkit.prod", "`PREFIX` of published topics (Fedora: org.fedoraproject.prod)")
	leaseTTL := fs.Duration("lease-ttl", 30*time.Second, "`DURATION` a dead process's claims on module builds block the others")
	pollInterval := fs.Duration("poll-interval", 500*time.Millisecond, "longest `DURATION` between two polls of a running component build")
	zeroTime := fs.Duration("zero-build-time", 0, "with --builder zero: the `DURATION` of each component build")
	rbf := rebuildFlags{
		mode:        fs.String("rebuilds", "off", "`MODE` of automated rebuilds of dependent modules (Freshmaker's job): off, dry-run (record what would be rebuilt) or on; read API under /api/1/"),
		allowlist:   fs.String("rebuild-allowlist", "", "`FILE`: JSON allowlist of rebuilds in Freshmaker's HANDLER_BUILD_ALLOWLIST shape"),
		blocklist:   fs.String("rebuild-blocklist", "", "`FILE`: JSON blocklist of rebuilds in Freshmaker's HANDLER_BUILD_BLOCKLIST shape"),
		modulesBase: fs.String("rebuild-modules-base", "", "`URL` prefix of module repositories: a pushed <name>.yaml builds <URL><name>.git at the pushed commit"),
	}
	odf := addODCSFlags(fs.FlagSet)
	rbf.addOpsFlags(fs.FlagSet)
	rbf.addImageFlags(fs.FlagSet)
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fs.usageError("takes no arguments (got %q)", pos[0])
	}
	var tokens mbsapi.Tokens
	switch *auth {
	case "none":
		if *tokensFile != "" {
			return fs.usageError("--tokens and --auth none exclude each other")
		}
	case "tokens":
		if *tokensFile == "" {
			return fs.usageError("authentication is on by default: give --tokens FILE, or --auth none for development")
		}
		tokens, err = mbsapi.LoadTokens(*tokensFile)
		if err != nil {
			return &exitError{Code: 1, Msg: fmt.Sprintf("read tokens: %v", err)}
		}
	default:
		return fs.usageError("--auth must be tokens or none, not %q", *auth)
	}
	if *builderName != "local" && *builderName != "zero" && *builderName != "koji" {
		return fs.usageError("--builder must be local, koji or zero, not %q", *builderName)
	}
	var ks kojiSettings
	if *builderName == "koji" {
		if ks, err = kf.settings(); err != nil {
			return fs.usageError("%v", err)
		}
	}
	if err := orchestrator.CheckSCMAllow(scmAllow); err != nil {
		return fs.usageError("--scm-allow: %v", err)
	}
	plat, err := servePlatforms(platforms, "/etc/os-release")
	if err != nil {
		return err
	}

	level := slog.LevelInfo
	if !*verbose {
		level = slog.LevelWarn
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	var store orchestrator.Store
	where := filepath.Join(*stateDir, "modkit.db")
	switch {
	case *dbURL == "":
		// One process per state directory: a second one would build
		// everything again beside the first. (Several processes share
		// a PostgreSQL store instead: they claim work with leases.)
		lock, err := proc.Lock(*stateDir)
		if err != nil {
			return &exitError{Code: 1, Msg: err.Error()}
		}
		defer lock.Unlock()
		st, err := sqlstore.Open(ctx, where, nil)
		if err != nil {
			return &exitError{Code: 1, Msg: err.Error()}
		}
		store = st
	case strings.HasPrefix(*dbURL, "postgres://") || strings.HasPrefix(*dbURL, "postgresql://"):
		st, err := pgstore.Open(ctx, *dbURL, nil)
		if err != nil {
			return &exitError{Code: 1, Msg: err.Error()}
		}
		store, where = st, "PostgreSQL"
	default:
		return fs.usageError("--db must be a postgres:// URL (SQLite is the default without --db)")
	}
	defer store.Close()
	var bus *amqpbus.Bus
	if *busURL != "" {
		if !strings.HasPrefix(*busURL, "amqp://") && !strings.HasPrefix(*busURL, "amqps://") {
			return fs.usageError("--bus must be an amqp:// or amqps:// URL")
		}
		bus, err = amqpbus.New(*busURL, &amqpbus.Options{Logger: logger})
		if err != nil {
			return fs.usageError("--bus: %v", err)
		}
		defer bus.Close()
	}

	var builder orchestrator.Builder
	concurrency := *jobs
	platMods := platformStreams(plat)
	if ks != nil {
		platMods = ks.platforms(plat)
	}
	src := orchestrator.Sources(orchestrator.NewDBSource(store), resolver.NewSource(platMods))
	switch *builderName {
	case "local":
		lb, err := localbuild.New(&localbuild.Options{Dir: filepath.Join(*stateDir, "builds"), Jobs: *jobs, Logger: logger, Sandbox: *sandbox, HidePaths: true})
		if err != nil {
			return &exitError{Code: 1, Msg: err.Error()}
		}
		// Runs after the service stopped (every return below waits for
		// it): kills and reaps the rpmbuilds still running, which the next
		// start builds again.
		defer lb.Close()
		builder = lb
	case "zero":
		zb, err := zerobuilder.New(&zerobuilder.Options{Journal: filepath.Join(*stateDir, "zerobuilder.journal"), Delay: *zeroTime})
		if err != nil {
			return &exitError{Code: 1, Msg: err.Error()}
		}
		defer zb.Close()
		builder = zb
	case "koji":
		kb, err := ks.builder(ctx, src, *stateDir, logger)
		if err != nil {
			return &exitError{Code: 1, Msg: err.Error()}
		}
		builder = kb
	default:
		return fs.usageError("--builder must be local, koji or zero, not %q", *builderName)
	}
	if concurrency <= 0 {
		concurrency = 5
	}
	opts := &orchestrator.Options{
		Store: store, Builder: builder, Logger: logger, Concurrency: concurrency, GlobalConcurrency: *globalJobs,
		Source:               src,
		DefaultRPMRepository: *rpmsBase,
		PollInterval:         *pollInterval,
		LeaseTTL:             *leaseTTL,
		TopicPrefix:          strings.TrimSuffix(*topicPrefix, ".") + ".mbs.",
		SCMAllow:             scmAllow, AllowComponentRepository: *allowRepo, AllowComponentCache: *allowCache,
	}
	if *topicPrefix == "" {
		opts.TopicPrefix = "mbs."
	}
	if bus != nil {
		opts.Publisher = bus
	}
	svc, err := orchestrator.NewService(opts)
	if err != nil {
		return err
	}
	apiOpts := &mbsapi.Options{
		Auth: tokens, NoAuth: *auth == "none", AllowedGroups: allowed, AdminGroups: admins,
		SCMAllow: scmAllow, AllowCustomSCMURLs: *allowCustomSCM, AllowYAML: *allowYAML, AllowScratch: *allowScratch,
		BaseURL: *baseURL, Version: "modkit", Logger: logger,
	}
	if tokens == nil {
		apiOpts.Auth = nil
	}
	h := mbsapi.NewHandler(svc, apiOpts)

	rbCtx, rbStop := context.WithCancel(ctx)
	defer rbStop()
	handler, closeRebuilds, err := withRebuilds(rbCtx, rbf, kf, h, svc, *stateDir, *dbURL, logger,
		rebuildAuth{tokens: tokens, noAuth: *auth == "none", admins: admins, allowed: allowed}, bus)
	if err != nil {
		return err
	}
	defer closeRebuilds()
	handler, closeODCS, err := withODCS(rbCtx, odf, handler, svc, apiOpts, *stateDir, *dbURL, *listen, *topicPrefix, *rbf.mode != "off", logger)
	if err != nil {
		return err
	}
	defer closeODCS()

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return &exitError{Code: 1, Msg: err.Error()}
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	runErr := make(chan error, 1)
	go func() { runErr <- svc.Run(runCtx) }()
	if bus != nil {
		// koji's messages end waits at once; polling stays the truth.
		go bus.Consume(runCtx, func(amqpbus.Delivery) { svc.Wake() })
	}
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()
	mode := "token auth"
	if *auth == "none" {
		mode = "NO AUTH (development mode)"
		if !loopbackOnly(ln.Addr()) {
			fmt.Fprintf(stderr, "modkit serve: WARNING: --auth none on %s, which is not a loopback address: ANYONE WHO CAN REACH THIS PORT CAN SUBMIT BUILDS (and so run code as this service) AND CANCEL THEM. Listen on 127.0.0.1 or use --tokens FILE.\n", ln.Addr())
		}
	}
	if *builderName == "local" && !*sandbox {
		fmt.Fprintf(stderr, "modkit serve: WARNING: --sandbox=false: submitted specs run unconfined as this service's user\n")
	}
	fmt.Fprintf(stderr, "modkit serve: listening on http://%s/module-build-service/2/ (%s, state in %s, platform %s)\n",
		ln.Addr(), mode, where, strings.Join(plat, ","))

	select {
	case <-ctx.Done():
	case err := <-srvErr:
		stop()
		<-runErr
		return &exitError{Code: 1, Msg: err.Error()}
	case err := <-runErr:
		srv.Close()
		if err != nil && !errors.Is(err, context.Canceled) {
			return &exitError{Code: 1, Msg: err.Error()}
		}
		return nil
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shutdown)
	stop()
	<-runErr
	return nil
}

// loopbackOnly reports whether addr accepts connections from this machine
// only (127.0.0.0/8, ::1); a wildcard or any other address does not.
func loopbackOnly(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP != nil && tcp.IP.IsLoopback()
}

// servePlatforms returns the platform streams of --platform flags (each
// repeatable or comma separated), else the host's PLATFORM_ID from
// osRelease, else a usage error saying how to set one.
func servePlatforms(flags []string, osRelease string) ([]string, error) {
	var plat []string
	for _, p := range flags {
		for _, s := range strings.Split(p, ",") {
			if s = strings.TrimSpace(s); s != "" {
				plat = append(plat, s)
			}
		}
	}
	if len(plat) == 0 {
		if id := hostPlatform(osRelease); id != "" {
			plat = []string{id}
		}
	}
	if len(plat) == 0 {
		return nil, usageError("serve: no platform: %s has no PLATFORM_ID, so give the platform stream modules build against with --platform STREAM (for example --platform f40; repeatable)", osRelease)
	}
	return plat, nil
}

// hostPlatform returns the stream of the host's PLATFORM_ID
// ("platform:f40" → "f40") from osRelease (/etc/os-release), or "".
func hostPlatform(osRelease string) string {
	f, err := os.Open(osRelease)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "PLATFORM_ID="); ok {
			v = strings.Trim(v, `"'`)
			if _, s, ok := strings.Cut(v, ":"); ok {
				return s
			}
		}
	}
	return ""
}
