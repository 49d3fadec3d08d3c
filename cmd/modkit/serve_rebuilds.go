package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for the rebuild tables on PostgreSQL

	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/amqpbus"
	"github.com/modkit/modkit/orchestrator/rebuilds"
)

// rebuildFlags are serve's automated rebuild settings.
type rebuildFlags struct {
	mode, allowlist, blocklist, modulesBase *string
	ops                                     *rebuildOpsFlags   // serve_rebuildops.go
	img                                     *rebuildImageFlags // serve_rebuild_images.go
}

// withRebuilds starts the rebuild service when --rebuilds is dry-run or on:
// it handles the orchestrator's events in-process, keeps its tables beside
// the orchestrator's (rebuilds.db in the state directory, or the --db
// database), and serves Freshmaker's read API under /api/1/ and /api/2/
// next to h. It returns the handler to serve and a function releasing the
// database.
func withRebuilds(ctx context.Context, f rebuildFlags, kf *kojiFlags, h http.Handler, svc *orchestrator.Service, stateDir, dbURL string, logger *slog.Logger, auth rebuildAuth, bus *amqpbus.Bus) (http.Handler, func(), error) {
	switch *f.mode {
	case "off":
		if f.img != nil && *f.img.mode != "off" {
			return nil, nil, usageError("serve: --rebuild-images needs --rebuilds dry-run or on")
		}
		return h, func() {}, nil
	case "dry-run", "on":
	default:
		return nil, nil, usageError("serve: --rebuilds must be off, dry-run or on, not %q", *f.mode)
	}
	var allow, block []byte
	for _, x := range []struct {
		file string
		dst  *[]byte
	}{{*f.allowlist, &allow}, {*f.blocklist, &block}} {
		if x.file == "" {
			continue
		}
		b, err := os.ReadFile(x.file)
		if err != nil {
			return nil, nil, &exitError{Code: 1, Msg: fmt.Sprintf("read rebuild rules: %v", err)}
		}
		*x.dst = b
	}
	rules, err := rebuilds.ParseRules(allow, block)
	if err != nil {
		return nil, nil, &exitError{Code: 1, Msg: fmt.Sprintf("--rebuild-allowlist/--rebuild-blocklist: %v", err)}
	}
	images, err := f.imageOptions(ctx, kf)
	if err != nil {
		return nil, nil, err
	}
	var db *sql.DB
	dialect := rebuilds.SQLite
	if dbURL != "" {
		db, err = sql.Open("pgx", dbURL)
		dialect = rebuilds.PostgreSQL
	} else {
		db, err = sql.Open("sqlite", "file:"+filepath.Join(stateDir, "rebuilds.db")+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
		if db != nil {
			db.SetMaxOpenConns(1)
		}
	}
	if err != nil {
		return nil, nil, &exitError{Code: 1, Msg: fmt.Sprintf("open the rebuild database: %v", err)}
	}
	st, err := rebuilds.NewSQLStore(ctx, db, dialect)
	if err != nil {
		db.Close()
		return nil, nil, &exitError{Code: 1, Msg: err.Error()}
	}
	rs, err := rebuilds.New(&rebuilds.Options{Orchestrator: svc, Store: st, Rules: rules, DryRun: *f.mode == "dry-run",
		ModulesRepository: *f.modulesBase, Logger: logger, Images: images})
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	detach := rs.Attach(ctx)
	stopOps, err := startRebuildOps(ctx, f, rs, bus, logger)
	if err != nil {
		detach()
		db.Close()
		return nil, nil, err
	}
	api := rebuilds.NewHandler(st, &rebuilds.APIOptions{DryRun: *f.mode == "dry-run", Version: "modkit", Write: f.writeOptions(rs, auth)})
	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/1/") || strings.HasPrefix(r.URL.Path, "/api/2/") {
			api.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
	pctx, stopPoll := context.WithCancel(ctx)
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		if images != nil && images.Build {
			pollImages(pctx, rs, *f.img.poll, logger)
		}
	}()
	logger.Info("automated rebuilds on", "mode", *f.mode, "images", images != nil, "api", "/api/1/")
	return mux, func() { stopPoll(); <-polled; stopOps(); detach(); db.Close() }, nil
}
