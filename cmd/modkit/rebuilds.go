package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/modkit/modkit/orchestrator/rebuilds"
)

func init() {
	register("rebuilds", "list, show, cancel or trigger automated rebuilds on a modkit serve (Freshmaker's API)", runRebuilds)
}

const rebuildsAbout = `
Talks to the automated rebuild service of 'modkit serve --rebuilds on'
(or dry-run) over its Freshmaker-compatible API under /api/1/.

  rebuilds list [--state STATE]... [--type ID]... [--search-key KEY]   events, newest first
  rebuilds show ID                                                   an event and its rebuilds, with reasons
  rebuilds cancel ID                                                 cancel an event (requester or admin)
  rebuilds trigger NAME:STREAM[:VERSION[:CONTEXT]]...                rebuild modules and what depends on them
  rebuilds trigger --component NAME --branch BRANCH                  as if the component's spec changed on BRANCH
  rebuilds trigger --depends-on ID                                   again what event ID rebuilt directly

trigger takes --dry-run (record what would be rebuilt, build nothing).
The server is --server URL or $MODKIT_SERVER (default http://127.0.0.1:8080);
the bearer token for cancel and trigger is --token TOKEN or $MODKIT_TOKEN.
Exit status: 0 done, 1 the server refused or failed, 2 usage error.
Run 'modkit rebuilds SUBCOMMAND -h' for a subcommand's options.`

var rebuildsSynopsis = map[string]string{
	"list":    "rebuilds list [--state STATE]... [--type ID]... [--search-key KEY] [--page N] [--per-page N] [--json]",
	"show":    "rebuilds show [--json] ID",
	"cancel":  "rebuilds cancel [--json] ID",
	"trigger": "rebuilds trigger [--dry-run] [--depends-on ID] [--json] (NAME:STREAM[:VERSION[:CONTEXT]]... | --component NAME --branch BRANCH [--rev REV])",
}

func runRebuilds(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	const subs = "list, show, cancel or trigger"
	const usage = "usage: modkit rebuilds list|show|cancel|trigger [options]"
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		if len(args) == 0 {
			return usageError("rebuilds: no subcommand given (%s)\n%s\nRun 'modkit rebuilds -h' for help.", subs, usage)
		}
		fmt.Fprintf(stdout, "%s\n%s\n", usage, rebuildsAbout)
		return nil
	}
	sub, args := args[0], args[1:]
	synopsis, ok := rebuildsSynopsis[sub]
	if !ok && strings.HasPrefix(sub, "-") {
		return usageError("rebuilds: unknown option %s (options follow the subcommand)\n%s\nRun 'modkit rebuilds -h' for help.", sub, usage)
	}
	if !ok {
		return usageError("rebuilds: unknown subcommand %q (%s)\n%s\nRun 'modkit rebuilds -h' for help.", sub, subs, usage)
	}
	fs := newFlags("rebuilds "+sub, synopsis, rebuildsAbout, stdout)
	server := fs.String("server", envOr("MODKIT_SERVER", "http://127.0.0.1:8080"), "`URL` of the server (or $MODKIT_SERVER)")
	token := fs.String("token", "", "bearer `TOKEN` (or $MODKIT_TOKEN)")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	var states, types multiFlag
	var searchKey, component, branch, rev *string
	var pageN, perPage *int
	var dryRun *bool
	var dependsOn *int64
	switch sub {
	case "list":
		fs.Var(&states, "state", "event `STATE` name or number (repeatable): initialized, building, complete, failed, skipped, canceled")
		fs.Var(&types, "type", "event type `ID` (repeatable; 2 spec push, 0 module state change, 13 manual, ...)")
		searchKey = fs.String("search-key", "", "only events of `KEY` (rpms/NAME@BRANCH, NAME:STREAM)")
		pageN = fs.Int("page", 1, "page `N`")
		perPage = fs.Int("per-page", 20, "`N` events per page")
	case "trigger":
		dryRun = fs.Bool("dry-run", false, "record what would be rebuilt and build nothing")
		dependsOn = fs.Int64("depends-on", 0, "the event `ID` this one depends on; alone, rebuild again what it rebuilt directly")
		component = fs.String("component", "", "RPM component `NAME` whose branch changed")
		branch = fs.String("branch", "", "the component's `BRANCH`")
		rev = fs.String("rev", "", "the commit `REV` to report (optional)")
	}
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if *token == "" {
		*token = os.Getenv("MODKIT_TOKEN")
	}
	c, err := rebuilds.NewClient(*server, rebuilds.WithToken(*token), rebuilds.WithUserAgent("modkit-rebuilds"))
	if err != nil {
		return fs.usageError("--server %q: %v", *server, err)
	}
	var id int64
	switch sub {
	case "list":
		if len(pos) != 0 {
			return fs.usageError("takes no arguments (got %q)", pos[0])
		}
	case "show", "cancel":
		if len(pos) != 1 {
			return fs.usageError("want exactly one event ID, got %d arguments", len(pos))
		}
		if id, err = strconv.ParseInt(pos[0], 10, 64); err != nil || id <= 0 {
			return fs.usageError("%q is not an event ID (a positive number)", pos[0])
		}
	}
	var ev *rebuilds.EventInfo
	switch sub {
	case "list":
		o := &rebuilds.EventListOptions{States: states, SearchKey: *searchKey, Page: *pageN, PerPage: *perPage}
		for _, t := range types {
			n, err := strconv.Atoi(t)
			if err != nil {
				return fs.usageError("--type %q is not an event type id (a number)", t)
			}
			o.EventTypes = append(o.EventTypes, n)
		}
		items, meta, err := c.ListEvents(ctx, o)
		if err != nil {
			return rebuildsErr(err)
		}
		if *asJSON {
			return printJSON(stdout, map[string]any{"items": items, "meta": meta})
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATE\tTYPE\tKEY\tREQUESTER\tBUILDS\tCREATED")
		for _, e := range items {
			dry := ""
			if e.DryRun {
				dry = " (dry run)"
			}
			fmt.Fprintf(tw, "%d\t%s%s\t%s\t%s\t%s\t%d\t%s\n", e.ID, e.StateName, dry, e.EventTypeName, e.SearchKey, e.Requester, len(e.Builds), deref(e.TimeCreated))
		}
		tw.Flush()
		fmt.Fprintf(stdout, "page %d of %d (%d events)\n", meta.Page, max(meta.Pages, 1), meta.Total)
		return nil
	case "show":
		ev, err = c.GetEvent(ctx, id)
	case "cancel":
		ev, err = c.CancelEvent(ctx, id)
	case "trigger":
		req := &rebuilds.ManualRequest{Modules: pos, Component: *component, Branch: *branch, Rev: *rev, DryRun: *dryRun, DependsOnEvent: *dependsOn}
		if len(pos) > 0 && *component != "" {
			return fs.usageError("give modules or --component and --branch, not both")
		}
		if len(pos) == 0 && *component == "" && *dependsOn == 0 {
			return fs.usageError("name the modules to rebuild (NAME:STREAM), or --component NAME --branch BRANCH, or --depends-on ID")
		}
		ev, err = c.Trigger(ctx, req)
	}
	if err != nil {
		return rebuildsErr(err)
	}
	if *asJSON {
		return printJSON(stdout, ev)
	}
	showEvent(stdout, ev)
	return nil
}

func deref(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

// showEvent prints an event and its rebuilds with their reasons.
func showEvent(w io.Writer, e *rebuilds.EventInfo) {
	dry := ""
	if e.DryRun {
		dry = " (dry run)"
	}
	fmt.Fprintf(w, "event %d: %s%s\n", e.ID, e.StateName, dry)
	fmt.Fprintf(w, "  type:      %s (%d)\n  key:       %s\n  requester: %s\n  message:   %s\n  created:   %s\n  done:      %s\n",
		e.EventTypeName, e.EventTypeID, e.SearchKey, e.Requester, e.MessageID, deref(e.TimeCreated), deref(e.TimeDone))
	if e.StateReason != "" {
		fmt.Fprintf(w, "  reason:    %s\n", e.StateReason)
	}
	if len(e.DependsOnEvents) > 0 {
		fmt.Fprintf(w, "  depends on events: %s\n", joinIDs(e.DependsOnEvents))
	}
	if len(e.Builds) == 0 {
		fmt.Fprintln(w, "  no rebuilds")
		return
	}
	fmt.Fprintln(w, "rebuilds:")
	for _, b := range e.Builds {
		mb := ""
		if b.BuildID != nil {
			mb = fmt.Sprintf(", module build %d", *b.BuildID)
		}
		fmt.Fprintf(w, "  %d %s: %s (%s%s)\n", b.ID, b.Name, b.StateName, b.RebuildReason, mb)
		if b.RebuiltNVR != "" {
			fmt.Fprintf(w, "      %s -> %s\n", b.OriginalNVR, b.RebuiltNVR)
		}
		fmt.Fprintf(w, "      why:  %s\n      path: %s\n      rule: %s\n", b.StateReason, b.Path, b.Rule)
	}
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ", ")
}

// rebuildsErr turns an API error into exit status 1 with the server's
// message.
func rebuildsErr(err error) error {
	var ae *rebuilds.APIError
	if errors.As(err, &ae) {
		return &exitError{Code: 1, Msg: fmt.Sprintf("server: %s", ae.Message)}
	}
	return &exitError{Code: 1, Msg: err.Error()}
}
