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
development mode (everyone is "anonymous" in group packager).

Use 'modkit builds' to talk to the server.`

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func runServe(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("serve", "serve --listen ADDR [--tokens FILE | --auth none] [options]", serveAbout, stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "`ADDR` (host:port) to listen on")
	stateDir := fs.String("state-dir", defaultStateDir(), "`DIR` holding the database and build results")
	tokensFile := fs.String("tokens", "", "`FILE` of \"TOKEN USER GROUP[,GROUP...]\" lines")
	auth := fs.String("auth", "tokens", "`MODE`: tokens, or none (development only)")
	var allowed, admins, scmAllow, platforms multiFlag
	fs.Var(&allowed, "allowed-group", "`GROUP` allowed to submit (repeatable; default packager)")
	fs.Var(&admins, "admin-group", "`GROUP` allowed to cancel any build (repeatable; default admin)")
	fs.Var(&scmAllow, "scm-allow", "allowed scmurl `PREFIX` (repeatable; default: any)")
	fs.Var(&platforms, "platform", "`STREAM` of the built-in platform module (repeatable or comma separated; default: the host's PLATFORM_ID)")
	allowYAML := fs.Bool("allow-yaml", false, "allow submitting a modulemd directly instead of an scmurl")
	allowScratch := fs.Bool("allow-scratch", false, "allow scratch builds")
	rpmsBase := fs.String("rpms-base", "", "`URL` prepended to a component's name when it has no repository")
	jobs := fs.Int("jobs", 0, "`N` components built at once (default: the number of CPUs, at least 5 for other builders)")
	builderName := fs.String("builder", "local", "`NAME`: local (rpmbuild), or zero (builds nothing; to try the API)")
	baseURL := fs.String("base-url", "", "public `URL` of the server for links (default: from each request)")
	verbose := fs.Bool("v", false, "log every build step")
	dbURL := fs.String("db", os.Getenv("MODKIT_DB"), "PostgreSQL `URL` (postgres://...) of the state shared by several serve processes (default $MODKIT_DB, else SQLite in the state directory)")
	busURL := fs.String("bus", os.Getenv("MODKIT_BUS"), "AMQP `URL` of the message bus (amqp://...; default $MODKIT_BUS, else none)")
	topicPrefix := fs.String("topic-prefix", "org.modkit.prod", "`PREFIX` of published topics (Fedora: org.fedoraproject.prod)")
	leaseTTL := fs.Duration("lease-ttl", 30*time.Second, "`DURATION` a dead process's claims on module builds block the others")
	pollInterval := fs.Duration("poll-interval", 500*time.Millisecond, "longest `DURATION` between two polls of a running component build")
	zeroTime := fs.Duration("zero-build-time", 0, "with --builder zero: the `DURATION` of each component build")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError("serve takes no arguments (got %q)", pos[0])
	}
	var tokens mbsapi.Tokens
	switch *auth {
	case "none":
		if *tokensFile != "" {
			return usageError("serve: --tokens and --auth none exclude each other")
		}
	case "tokens":
		if *tokensFile == "" {
			return usageError("serve: authentication is on by default: give --tokens FILE, or --auth none for development")
		}
		tokens, err = mbsapi.LoadTokens(*tokensFile)
		if err != nil {
			return &exitError{Code: 1, Msg: fmt.Sprintf("read tokens: %v", err)}
		}
	default:
		return usageError("serve: --auth must be tokens or none, not %q", *auth)
	}
	if *builderName != "local" && *builderName != "zero" {
		return usageError("serve: --builder must be local or zero, not %q", *builderName)
	}
	var plat []string
	for _, p := range platforms {
		for _, s := range strings.Split(p, ",") {
			if s = strings.TrimSpace(s); s != "" {
				plat = append(plat, s)
			}
		}
	}
	if len(plat) == 0 {
		if id := hostPlatform(); id != "" {
			plat = []string{id}
		}
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
		return usageError("serve: --db must be a postgres:// URL (SQLite is the default without --db)")
	}
	defer store.Close()
	var bus *amqpbus.Bus
	if *busURL != "" {
		if !strings.HasPrefix(*busURL, "amqp://") && !strings.HasPrefix(*busURL, "amqps://") {
			return usageError("serve: --bus must be an amqp:// or amqps:// URL")
		}
		bus, err = amqpbus.New(*busURL, &amqpbus.Options{Logger: logger})
		if err != nil {
			return usageError("serve: --bus: %v", err)
		}
		defer bus.Close()
	}

	var builder orchestrator.Builder
	concurrency := *jobs
	switch *builderName {
	case "local":
		lb, err := localbuild.New(&localbuild.Options{Dir: filepath.Join(*stateDir, "builds"), Jobs: *jobs, Logger: logger})
		if err != nil {
			return &exitError{Code: 1, Msg: err.Error()}
		}
		builder = lb
	case "zero":
		zb, err := zerobuilder.New(&zerobuilder.Options{Journal: filepath.Join(*stateDir, "zerobuilder.journal"), Delay: *zeroTime})
		if err != nil {
			return &exitError{Code: 1, Msg: err.Error()}
		}
		defer zb.Close()
		builder = zb
	default:
		return usageError("serve: --builder must be local or zero, not %q", *builderName)
	}
	if concurrency <= 0 {
		concurrency = 5
	}
	opts := &orchestrator.Options{
		Store: store, Builder: builder, Logger: logger, Concurrency: concurrency,
		Source:               orchestrator.Sources(orchestrator.NewDBSource(store), resolver.NewSource(platformStreams(plat))),
		DefaultRPMRepository: *rpmsBase,
		PollInterval:         *pollInterval,
		LeaseTTL:             *leaseTTL,
		TopicPrefix:          strings.TrimSuffix(*topicPrefix, ".") + ".mbs.",
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
	h := mbsapi.NewHandler(svc, &mbsapi.Options{
		Auth: tokens, NoAuth: *auth == "none", AllowedGroups: allowed, AdminGroups: admins,
		SCMAllow: scmAllow, AllowYAML: *allowYAML, AllowScratch: *allowScratch,
		BaseURL: *baseURL, Version: "modkit", Logger: logger,
	})

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return &exitError{Code: 1, Msg: err.Error()}
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
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

// hostPlatform returns the stream of the host's PLATFORM_ID
// ("platform:f40" → "f40") from /etc/os-release, or "".
func hostPlatform() string {
	f, err := os.Open("/etc/os-release")
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
