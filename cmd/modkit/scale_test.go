package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/modkit/modkit/internal/kojihub"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/pgstore/pgtest"
	"github.com/modkit/modkit/orchestrator/sqlstore"
	"github.com/modkit/modkit/orchestrator/zerobuilder"
	"github.com/modkit/modkit/resolver"
)

// fixedSCM pins every component ref to one commit, so that submitting
// measures the service, not git.
type fixedSCM struct{}

func (fixedSCM) ResolveRef(ctx context.Context, repo, ref string) (string, error) {
	return strings.Repeat("5c", 20), nil
}
func (fixedSCM) CommitTime(ctx context.Context, repo, commit string) (time.Time, error) {
	return time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC), nil
}
func (fixedSCM) ReadFile(ctx context.Context, repo, commit, path string) ([]byte, error) {
	return nil, os.ErrNotExist
}

// TestScaleCurve measures module builds per minute of N `modkit serve`
// processes on one PostgreSQL database (N = MODKIT_SCALE_PROCS, default
// 1,2,4,8) and of one process on SQLite, with the koji builder against a
// kojitest hub in a process of its own (a fresh one per run) whose build
// tasks wait MODKIT_SCALE_BUILD_TIME (default 500ms), and --jobs 5 per
// process (MODKIT_SCALE_BUILDER=zero: the zero builder instead). The module builds (MODKIT_SCALE_MODULES, default
// 48, of 10 components in 2 batches plus module-build-macros) are recorded
// in init directly in the database while the processes run, so the clock
// measures the workers: expansion, batch submission, polling, finalizing.
// It also reports the statements PostgreSQL executed per component build
// (pg_stat_statements, when hack/pg.sh loaded it). Opt-in (MODKIT_SCALE=1):
// a benchmark for BENCHMARKS.md, not a pass/fail test.
func TestScaleCurve(t *testing.T) {
	if os.Getenv("MODKIT_SCALE") != "1" {
		t.Skip("benchmark; run with MODKIT_SCALE=1 (see BENCHMARKS.md)")
	}
	modules, comps := 48, 10
	if v := os.Getenv("MODKIT_SCALE_MODULES"); v != "" {
		fmt.Sscan(v, &modules)
	}
	buildTime := "500ms"
	if v := os.Getenv("MODKIT_SCALE_BUILD_TIME"); v != "" {
		buildTime = v
	}
	procsList := "1,2,4,8"
	if v := os.Getenv("MODKIT_SCALE_PROCS"); v != "" {
		procsList = v
	}
	builder := os.Getenv("MODKIT_SCALE_BUILDER")
	bt, err := time.ParseDuration(buildTime)
	if err != nil {
		t.Fatalf("MODKIT_SCALE_BUILD_TIME: %v", err)
	}
	type result struct {
		name      string
		elapsed   time.Duration
		perMin    float64
		stmts     float64
		xacts     float64
		kojiCalls float64
		compBuild int
	}
	var results []result
	runOne := func(name string, procs int, db string) {
		args := []string{"--auth", "none", "--allow-yaml", "--allow-component-repository", "--poll-interval", "500ms", "--jobs", "5"}
		hubURL := ""
		if builder == "zero" {
			args = append(args, "--builder", "zero", "--zero-build-time", buildTime, "--platform", "f40")
		} else {
			var kargs []string
			hubURL, kargs = startKojiHub(t, bt)
			args = append(args, kargs...)
		}
		c := newCluster(t, procs, db, args)
		ctx := context.Background()
		var st orchestrator.Store
		var err error
		if db == "" {
			st, err = sqlstore.Open(ctx, filepath.Join(c.dir, "modkit.db"), nil)
		} else {
			st = openPG(t, db)
		}
		if err != nil {
			t.Fatal(err)
		}
		// Submits only: this service never runs, its builder is unused.
		zb, _ := zerobuilder.New(nil)
		sub, err := orchestrator.NewService(&orchestrator.Options{
			Store: st, Builder: zb, SCM: fixedSCM{}, Logger: slog.New(slog.DiscardHandler), AllowComponentRepository: true,
			Source: orchestrator.Sources(orchestrator.NewDBSource(st), resolver.NewSource(platformStreams([]string{"f40"}))),
		})
		if err != nil {
			t.Fatal(err)
		}
		var statsConn *pgx.Conn
		stmts0, xacts0 := int64(-1), int64(0)
		if db != "" {
			statsConn, err = pgx.Connect(ctx, pgtest.ServerURL(t))
			if err != nil {
				t.Fatal(err)
			}
			defer statsConn.Close(ctx)
			stmts0, xacts0 = pgCounters(ctx, statsConn, db)
		}
		start := time.Now()
		for i := range modules {
			_, err := sub.Submit(ctx, &orchestrator.SubmitRequest{
				Modulemd: []byte(chaosModule(fmt.Sprintf("scale%03d", i), "https://git.example.com/rpms", comps, 2)), Owner: "bench",
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		final := waitFinished(t, st, modules, 30*time.Minute, nil)
		elapsed := time.Since(start)
		for _, mb := range final {
			if mb.State != orchestrator.StateReady {
				t.Fatalf("%s: module build %d %s (%s)", name, mb.ID, mb.State, mb.StateReason)
			}
		}
		r := result{name: name, elapsed: elapsed, perMin: float64(modules) / elapsed.Minutes(), compBuild: modules * (comps + 1), stmts: -1, kojiCalls: -1}
		if hubURL != "" {
			hs, err := kojihub.ReadStats(ctx, hubURL)
			if err != nil {
				t.Fatal(err)
			}
			r.kojiCalls = float64(sum(hs.Calls)) / float64(r.compBuild)
		}
		if statsConn != nil {
			stmts1, xacts1 := pgCounters(ctx, statsConn, db)
			if stmts0 >= 0 {
				r.stmts = float64(stmts1-stmts0) / float64(r.compBuild)
			}
			r.xacts = float64(xacts1-xacts0) / float64(r.compBuild)
			if os.Getenv("MODKIT_SCALE_TOP") == "1" {
				logTopStatements(t, statsConn, db, r.compBuild)
			}
		}
		c.stopAll()
		results = append(results, r)
		t.Logf("%-16s %8s  %6.1f module builds/min  %5.1f statements, %4.1f transactions and %4.1f koji calls per component build",
			name, elapsed.Round(10*time.Millisecond), r.perMin, r.stmts, r.xacts, r.kojiCalls)
	}
	for _, f := range strings.Split(procsList, ",") {
		var n int
		fmt.Sscan(f, &n)
		runOne(fmt.Sprintf("postgres x%d", n), n, pgtest.NewDatabase(t))
	}
	if os.Getenv("MODKIT_SCALE_SQLITE") != "0" {
		runOne("sqlite x1", 1, "")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n| store, processes | %d module builds | module builds/min | statements / component build | transactions / component build | koji calls / component build |\n|---|---|---|---|---|---|\n", modules)
	for _, r := range results {
		st, xa, kc := "n/a", "n/a", "n/a"
		if r.stmts >= 0 {
			st = fmt.Sprintf("%.1f", r.stmts)
		}
		if r.xacts > 0 {
			xa = fmt.Sprintf("%.1f", r.xacts)
		}
		if r.kojiCalls >= 0 {
			kc = fmt.Sprintf("%.1f", r.kojiCalls)
		}
		fmt.Fprintf(&b, "| %s | %s | %.1f | %s | %s | %s |\n", r.name, r.elapsed.Round(10*time.Millisecond), r.perMin, st, xa, kc)
	}
	t.Log(b.String())
}

// pgCounters returns the statements executed in database url's database
// (-1 without pg_stat_statements) and its committed and rolled back
// transactions.
func pgCounters(ctx context.Context, conn *pgx.Conn, url string) (stmts, xacts int64) {
	name := url[strings.LastIndex(url, "/")+1:]
	name, _, _ = strings.Cut(name, "?")
	conn.Exec(ctx, "SELECT pg_stat_clear_snapshot()")
	if err := conn.QueryRow(ctx, `SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1`, name).Scan(&xacts); err != nil {
		xacts = 0
	}
	if _, err := conn.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`); err != nil {
		return -1, xacts
	}
	if err := conn.QueryRow(ctx, `SELECT COALESCE(SUM(s.calls), 0)::bigint FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1`, name).Scan(&stmts); err != nil {
		return -1, xacts
	}
	return stmts, xacts
}

// logTopStatements logs the statements executed most often in url's
// database, per component build.
func logTopStatements(t *testing.T, conn *pgx.Conn, url string, compBuilds int) {
	ctx := context.Background()
	name := url[strings.LastIndex(url, "/")+1:]
	name, _, _ = strings.Cut(name, "?")
	rows, err := conn.Query(ctx, `SELECT s.calls, left(regexp_replace(s.query, '\s+', ' ', 'g'), 90) FROM pg_stat_statements s
		JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = $1 ORDER BY s.calls DESC LIMIT 12`, name)
	if err != nil {
		t.Log(err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var calls int64
		var q string
		rows.Scan(&calls, &q)
		t.Logf("%7.2f per component build: %s", float64(calls)/float64(compBuilds), q)
	}
}
