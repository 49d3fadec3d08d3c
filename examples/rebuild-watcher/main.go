// Command rebuild-watcher follows a modkit (or MBS) service's message bus
// and prints, in dry run, which modules would be rebuilt after each event
// and why: the allow/block rule that applied and the dependency path. It
// builds nothing. It reads the module builds from the state of a
// `modkit serve` (its SQLite state directory, or its PostgreSQL database)
// and keeps its own record of events in a separate SQLite file.
//
//	rebuild-watcher --bus amqp://guest:guest@localhost:5672/ --state-dir ~/.local/state/modkit \
//	    [--blocklist block.json] [--allowlist allow.json] [--record watcher.db]
//
// It listens, on a private queue, to module state changes
// (#.module.state.change), dist-git pushes (#.git.receive), Bodhi update
// messages and koji build state changes.
//
// With --koji URL it also prints which container images would be rebuilt
// for a Bodhi update (the slow flow when its stable push completes, the
// fast flow when it is created), in parent-first order: the images come
// from the hub's image builds and their RPM lists (anonymous reads).
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/amqpbus"
	"github.com/modkit/modkit/orchestrator/pgstore"
	"github.com/modkit/modkit/orchestrator/rebuilds"
	"github.com/modkit/modkit/orchestrator/sqlstore"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "rebuild-watcher:", err)
		os.Exit(1)
	}
}

// idleBuilder is the builder of an orchestrator that is never run: the
// watcher only reads module builds.
type idleBuilder struct{ orchestrator.Builder }

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("rebuild-watcher", flag.ContinueOnError)
	bus := fs.String("bus", os.Getenv("MODKIT_BUS"), "AMQP `URL` of the message bus")
	stateDir := fs.String("state-dir", "", "state `DIR` of `modkit serve` (its modkit.db)")
	dbURL := fs.String("db", "", "PostgreSQL `URL` of `modkit serve --db` instead of --state-dir")
	allow := fs.String("allowlist", "", "JSON allowlist `FILE` (Freshmaker's shape)")
	block := fs.String("blocklist", "", "JSON blocklist `FILE` (Freshmaker's shape)")
	record := fs.String("record", "", "SQLite `FILE` recording the watcher's events (default: a temporary file)")
	kojiURL := fs.String("koji", "", "koji hub `URL` whose image builds are checked against Bodhi updates")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *bus == "" || (*stateDir == "") == (*dbURL == "") {
		return fmt.Errorf("give --bus and one of --state-dir and --db")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var st orchestrator.Store
	var err error
	if *dbURL != "" {
		st, err = pgstore.Open(ctx, *dbURL, nil)
	} else {
		st, err = sqlstore.Open(ctx, filepath.Join(*stateDir, "modkit.db"), nil)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	quiet := slog.New(slog.DiscardHandler)
	orch, err := orchestrator.NewService(&orchestrator.Options{Store: st, Builder: idleBuilder{}, Logger: quiet})
	if err != nil {
		return err
	}
	var rules []byte
	var rb []byte
	if *allow != "" {
		if rules, err = os.ReadFile(*allow); err != nil {
			return err
		}
	}
	if *block != "" {
		if rb, err = os.ReadFile(*block); err != nil {
			return err
		}
	}
	r, err := rebuilds.ParseRules(rules, rb)
	if err != nil {
		return err
	}
	path := *record
	if path == "" {
		dir, err := os.MkdirTemp("", "rebuild-watcher")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "watcher.db")
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	rst, err := rebuilds.NewSQLStore(ctx, db, rebuilds.SQLite)
	if err != nil {
		return err
	}
	var images *rebuilds.ImageOptions
	if *kojiURL != "" {
		kc, err := koji.NewClient(*kojiURL)
		if err != nil {
			return err
		}
		images = &rebuilds.ImageOptions{Source: rebuilds.NewKojiImages(kc)} // Build unset: a dry run
	}
	rs, err := rebuilds.New(&rebuilds.Options{Orchestrator: orch, Store: rst, Rules: r, DryRun: true, Logger: quiet, Images: images})
	if err != nil {
		return err
	}
	b, err := amqpbus.New(*bus, &amqpbus.Options{Logger: quiet, KojiTopics: []string{
		"#.module.state.change", "#.git.receive", "#.bodhi.update.complete.stable", "#.bodhi.update.request.testing", "#.buildsys.build.state.change",
		"#.bodhi.update.request.stable", "#.bodhi.update.status.testing.#",
	}})
	if err != nil {
		return err
	}
	defer b.Close()
	fmt.Fprintln(out, "watching", redact(*bus), "(dry run: nothing is built)")
	err = b.Consume(ctx, func(d amqpbus.Delivery) {
		ev, err := rs.Handle(ctx, rebuilds.Message{ID: d.MessageID, Topic: d.Topic, Body: d.Body})
		if err != nil {
			fmt.Fprintf(out, "%s: %v\n", d.Topic, err)
			return
		}
		if ev == nil {
			return
		}
		fmt.Fprintf(out, "%s %s: %s\n", ev.Type, ev.SearchKey, ev.StateReason)
		builds, _, err := rst.Builds(ctx, &rebuilds.BuildFilter{EventID: ev.ID})
		if err != nil {
			fmt.Fprintln(out, "  ", err)
			return
		}
		for _, x := range builds {
			if x.TimeSubmitted.Before(ev.TimeCreated) {
				continue // decided for an earlier event of the chain
			}
			what := x.Name
			if x.Type == rebuilds.ArtifactImage {
				what = "image " + x.OriginalNVR
			}
			fmt.Fprintf(out, "  %-8s %s: %s\n           rule: %s\n           path: %s\n", x.State, what, x.StateReason, x.Rule, x.Path)
		}
	})
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// redact hides the password of an AMQP URL.
func redact(u string) string {
	if at := strings.LastIndex(u, "@"); at >= 0 {
		if i := strings.Index(u, "://"); i >= 0 && i < at {
			return u[:i+3] + "…" + u[at:]
		}
	}
	return u
}
