package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/mbsapi"
	"github.com/modkit/modkit/pungi/odcs"
)

// odcsFlags are serve's on-demand compose settings.
type odcsFlags struct {
	targetDir, publicURL, kojiURL, kojiTop, mbsURL *string
	ttl, maxTTL                                    *int64
	workers                                        *int
	arches, repoRoots                              multiFlag
}

func addODCSFlags(fs *flag.FlagSet) *odcsFlags {
	f := &odcsFlags{
		targetDir: fs.String("odcs-target-dir", "", "`DIR` of on-demand composes: serves ODCS's API under /api/1/composes/ (off when empty)"),
		publicURL: fs.String("odcs-url", "", "public `URL` of --odcs-target-dir (default: this server's /composes/, which then serves the files)"),
		kojiURL:   fs.String("odcs-koji", "", "koji hub `URL` of tag and build composes (and of module builds found through --odcs-mbs)"),
		kojiTop:   fs.String("odcs-koji-topurl", "", "`URL` of the koji hub's files (default: the hub URL with /kojihub replaced by /kojifiles)"),
		mbsURL:    fs.String("odcs-mbs", "", "MBS API `URL` resolving module composes (default: this server's own module builds)"),
		ttl:       fs.Int64("odcs-seconds-to-live", odcs.DefaultSecondsToLive, "default lifetime of a compose in `SECONDS`"),
		maxTTL:    fs.Int64("odcs-max-seconds-to-live", odcs.DefaultMaxSecondsToLive, "longest lifetime of a compose in `SECONDS`"),
		workers:   fs.Int("odcs-workers", 2, "`N` composes generated at once"),
	}
	fs.Var(&f.arches, "odcs-arch", "default `ARCH` of composes (repeatable; default: this machine's)")
	fs.Var(&f.repoRoots, "odcs-repo-root", "`DIR` repo composes may take repositories from (repeatable; default: none, so repo composes are refused)")
	return f
}

// withODCS starts the on-demand compose service when --odcs-target-dir
// is set: its table lives beside the orchestrator's (odcs.db in the state
// directory, or the --db database), its events go through the
// orchestrator's outbox, its API is served under /api/1/composes/ (and
// about/ unless the rebuild API has it) and, without --odcs-url, the
// composes under /composes/.
func withODCS(ctx context.Context, f *odcsFlags, h http.Handler, svc *orchestrator.Service, apiOpts *mbsapi.Options, stateDir, dbURL, listen, topicPrefix string, rebuildsOn bool, logger *slog.Logger) (http.Handler, func(), error) {
	if *f.targetDir == "" {
		return h, func() {}, nil
	}
	var db *sql.DB
	var err error
	dialect := odcs.SQLite
	if dbURL != "" {
		db, err = sql.Open("pgx", dbURL)
		dialect = odcs.PostgreSQL
	} else {
		db, err = sql.Open("sqlite", "file:"+filepath.Join(stateDir, "odcs.db")+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
		if db != nil {
			db.SetMaxOpenConns(1)
		}
	}
	if err != nil {
		return nil, nil, &exitError{Code: 1, Msg: fmt.Sprintf("open the compose database: %v", err)}
	}
	st, err := odcs.NewSQLStore(ctx, db, dialect)
	if err != nil {
		db.Close()
		return nil, nil, &exitError{Code: 1, Msg: err.Error()}
	}
	opts := &odcs.Options{Store: st, TargetDir: *f.targetDir, PublicURL: *f.publicURL, SecondsToLive: *f.ttl, MaxSecondsToLive: *f.maxTTL,
		Arches: f.arches, RepoRoots: f.repoRoots, Workers: *f.workers, Logger: logger,
		Outbox: odcs.OrchestratorOutbox(svc.Store()), TopicPrefix: strings.TrimSuffix(topicPrefix, ".") + ".",
		Modules: &odcs.StoreResolver{Store: svc.Store()}, KojiTopURL: *f.kojiTop, RequeueInterrupted: dbURL == ""}
	if topicPrefix == "" {
		opts.TopicPrefix = ""
	}
	files := ""
	if opts.PublicURL == "" {
		files = "/composes/"
		base := apiOpts.BaseURL
		if base == "" {
			base = "http://" + listen
		}
		opts.PublicURL = strings.TrimRight(base, "/") + "/composes"
	}
	if *f.kojiURL != "" {
		if opts.Koji, err = koji.NewClient(*f.kojiURL, koji.WithUserAgent("modkit-odcs")); err != nil {
			db.Close()
			return nil, nil, usageError("serve: --odcs-koji: %v", err)
		}
	}
	if *f.mbsURL != "" {
		mc, err := mbsapi.NewClient(*f.mbsURL, mbsapi.WithUserAgent("modkit-odcs"))
		if err != nil {
			db.Close()
			return nil, nil, usageError("serve: --odcs-mbs: %v", err)
		}
		opts.Modules = &odcs.MBSResolver{Client: mc}
	}
	cs, err := odcs.New(opts)
	if err != nil {
		db.Close()
		return nil, nil, &exitError{Code: 1, Msg: err.Error()}
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := cs.Run(runCtx); err != nil {
			logger.Error("odcs: the compose service stopped", "err", err)
		}
	}()
	api := odcs.NewHandler(cs, &odcs.APIOptions{Auth: apiOpts.Auth, NoAuth: apiOpts.NoAuth, AllowedGroups: apiOpts.AllowedGroups,
		AdminGroups: apiOpts.AdminGroups, FilesPrefix: files, Version: "modkit"})
	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if p == "/api/1/composes" || strings.HasPrefix(p, "/api/1/composes/") || (files != "" && strings.HasPrefix(p, files)) ||
			(!rebuildsOn && strings.TrimSuffix(p, "/") == "/api/1/about") {
			api.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
	logger.Info("on-demand composes on", "api", "/api/1/composes/", "target", *f.targetDir, "url", opts.PublicURL)
	return mux, func() { stop(); <-done; db.Close() }, nil
}
