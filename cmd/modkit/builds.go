package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/modkit/modkit/orchestrator/mbsapi"
)

func init() {
	register("builds", "submit, list, show, cancel or watch module builds on a build service (modkit serve or MBS)", runBuilds)
}

const buildsAbout = `
Talks to a module build service over its MBS-compatible REST API: the
server of 'modkit serve' or Fedora's MBS.

  builds submit [options] GIT_URL[?FILE]#REF   submit a module build (--file MODULE.yaml instead of a URL)
  builds list [--state STATE]... [--owner USER] [--name NAME] [--stream STREAM] [--nsvc N:S[:V[:C]]]
  builds show ID
  builds cancel ID
  builds watch ID          (exit status 0 when the build succeeds, 1 when it fails)

The server is --server URL or $MODKIT_SERVER (default http://127.0.0.1:8080);
the bearer token for submit and cancel is --token TOKEN or $MODKIT_TOKEN.
Run 'modkit builds SUBCOMMAND -h' for a subcommand's options.`

// buildsSynopsis is the usage line of each builds subcommand.
var buildsSynopsis = map[string]string{
	"submit": "builds submit [options] GIT_URL[?FILE]#REF | --file MODULE.yaml",
	"list":   "builds list [--state STATE]... [--owner USER] [--name NAME] [--stream STREAM] [--nsvc N:S[:V[:C]]] [--json]",
	"show":   "builds show [--json] ID",
	"cancel": "builds cancel [--json] ID",
	"watch":  "builds watch [--interval DURATION] ID",
}

func runBuilds(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		if len(args) == 0 {
			return usageError("builds: no subcommand given (submit, list, show, cancel or watch)\nusage: modkit builds submit|list|show|cancel|watch [options]\nRun 'modkit builds -h' for help.")
		}
		fmt.Fprintf(stdout, "usage: modkit builds submit|list|show|cancel|watch [options]\n%s\n", buildsAbout)
		return nil
	}
	sub, args := args[0], args[1:]
	synopsis, ok := buildsSynopsis[sub]
	if !ok && strings.HasPrefix(sub, "-") {
		return usageError("builds: unknown option %s (options follow the subcommand)\nusage: modkit builds submit|list|show|cancel|watch [options]\nRun 'modkit builds -h' for help.", sub)
	}
	if !ok {
		return usageError("builds: unknown subcommand %q (submit, list, show, cancel or watch)\nusage: modkit builds submit|list|show|cancel|watch [options]\nRun 'modkit builds -h' for help.", sub)
	}
	fs := newFlags("builds "+sub, synopsis, buildsAbout, stdout)
	server := fs.String("server", envOr("MODKIT_SERVER", "http://127.0.0.1:8080"), "`URL` of the build service (or $MODKIT_SERVER)")
	token := fs.String("token", "", "bearer `TOKEN` (or $MODKIT_TOKEN)")
	var asJSON *bool
	if sub != "watch" {
		asJSON = fs.Bool("json", false, "print the API's JSON")
	}
	var states multiFlag
	var owner, name, stream, nsvc *string
	var pageN, perPage *int
	var interval *time.Duration
	var kojiWeb *string
	var sf *submitFlags
	var debug *bool
	switch sub {
	case "submit":
		sf = addSubmitFlags(fs)
		interval = fs.Duration("interval", 2*time.Second, "with --watch, poll every `DURATION`")
	case "list":
		fs.Var(&states, "state", "`STATE` name or number (repeatable)")
		owner = fs.String("owner", "", "only builds of `USER`")
		name = fs.String("name", "", "module `NAME`")
		stream = fs.String("stream", "", "module `STREAM`")
		nsvc = fs.String("nsvc", "", "`N:S[:V[:C]]`")
		pageN = fs.Int("page", 1, "page `N`")
		perPage = fs.Int("per-page", 20, "`N` builds per page")
	case "show":
		debug = fs.Bool("debug", false, "include the builder's debug messages (every koji call of the koji builder)")
		kojiWeb = fs.String("koji-web", os.Getenv("MODKIT_KOJI_WEB"), "koji web UI `URL` for task links (default $MODKIT_KOJI_WEB)")
	case "cancel":
	case "watch":
		interval = fs.Duration("interval", 2*time.Second, "poll every `DURATION`")
	}
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if *token == "" {
		*token = os.Getenv("MODKIT_TOKEN")
	}
	c, err := mbsapi.NewClient(*server, mbsapi.WithToken(*token), mbsapi.WithUserAgent("modkit-builds"))
	if err != nil {
		return fs.usageError("--server %q: %v", *server, err)
	}
	var id int64
	switch sub {
	case "submit":
		req, err := sf.request(fs, pos)
		if err != nil {
			return err
		}
		return submitBuild(ctx, c, *server, req, sf.watch, *interval, *asJSON, *token == "", stdout)
	case "list":
		if len(pos) != 0 {
			return fs.usageError("takes no arguments (got %q)", pos[0])
		}
	default:
		if len(pos) != 1 {
			return fs.usageError("want exactly one module build ID, got %d arguments", len(pos))
		}
		id, err = strconv.ParseInt(pos[0], 10, 64)
		if err != nil || id <= 0 {
			return fs.usageError("%q is not a module build ID (a positive number)", pos[0])
		}
	}
	switch sub {
	case "list":
		f := url.Values{}
		for k, v := range map[string]string{"owner": *owner, "name": *name, "stream": *stream, "nsvc": *nsvc} {
			if v != "" {
				f.Set(k, v)
			}
		}
		items, meta, err := c.ListModuleBuilds(ctx, &mbsapi.ListOptions{States: states, Filters: f, Page: *pageN, PerPage: *perPage})
		if err != nil {
			return clientErr(err)
		}
		if *asJSON {
			return printJSON(stdout, map[string]any{"items": items, "meta": meta})
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATE\tNSVC\tOWNER\tSUBMITTED")
		for _, mb := range items {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", mb.ID, mb.StateName, mb.NSVC(), mb.Owner, mb.TimeSubmitted)
		}
		tw.Flush()
		fmt.Fprintf(stdout, "page %d of %d (%d builds)\n", meta.Page, max(meta.Pages, 1), meta.Total)
		return nil
	case "show":
		mb, err := c.GetModuleBuild(ctx, id)
		if err != nil {
			return clientErr(err)
		}
		if *asJSON {
			return printJSON(stdout, mb)
		}
		list := c.ModuleBuildMessages
		if *debug {
			list = c.ModuleBuildDebugMessages
		}
		msgs, _, err := list(ctx, id, 1, 50)
		if err != nil {
			return clientErr(err)
		}
		showBuild(stdout, mb, msgs, *kojiWeb)
		return nil
	case "cancel":
		mb, err := c.CancelModuleBuild(ctx, id)
		if err != nil {
			return clientErr(err)
		}
		if *asJSON {
			return printJSON(stdout, mb)
		}
		fmt.Fprintf(stdout, "module build %d (%s): %s: %s\n", mb.ID, mb.NSVC(), mb.StateName, mb.StateReason)
		return nil
	case "watch":
		return watchBuild(ctx, c, id, *interval, stdout)
	}
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// clientErr turns an API error into exit status 1 with the server's message.
func clientErr(err error) error {
	var ae *mbsapi.APIError
	if errors.As(err, &ae) {
		msg := fmt.Sprintf("%s (HTTP %d %s)", ae.Message, ae.StatusCode, ae.Err)
		if ae.StatusCode == 401 {
			msg += "; give --token TOKEN or set MODKIT_TOKEN (a token of the server's --tokens file)"
		}
		return &exitError{Code: 1, Msg: msg}
	}
	return &exitError{Code: 1, Msg: err.Error()}
}

// showBuild prints one build, its components (with their koji task ids
// and, given the koji web URL, links) and its messages.
func showBuild(w io.Writer, mb *mbsapi.ModuleBuild, msgs []mbsapi.Message, kojiWeb string) {
	fmt.Fprintf(w, "Module build %d: %s\n", mb.ID, mb.NSVC())
	fmt.Fprintf(w, "  state:      %s", mb.StateName)
	if mb.StateReason != "" {
		fmt.Fprintf(w, " (%s)", mb.StateReason)
	}
	fmt.Fprintln(w)
	for _, kv := range [][2]string{
		{"owner", mb.Owner}, {"scmurl", mb.SCMURL}, {"strategy", mb.RebuildStrategy},
		{"submitted", mb.TimeSubmitted}, {"completed", mb.TimeCompleted}, {"repository", mb.Repository},
	} {
		if kv[1] != "" {
			fmt.Fprintf(w, "  %-11s %s\n", kv[0]+":", kv[1])
		}
	}
	if rpms := mb.Tasks["rpms"]; len(rpms) > 0 {
		fmt.Fprintln(w, "Components:")
		names := make([]string, 0, len(rpms))
		for n := range rpms {
			names = append(names, n)
		}
		sort.Strings(names)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, n := range names {
			t := rpms[n]
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", n, taskState(t.State), taskColumn(t.TaskID, kojiWeb), t.NVR, t.StateReason)
		}
		tw.Flush()
	}
	if len(msgs) > 0 {
		fmt.Fprintln(w, "Messages (oldest first):")
		for i := len(msgs) - 1; i >= 0; i-- {
			fmt.Fprintf(w, "  %s  %s\n", msgs[i].TimeCreated, msgs[i].Message)
		}
	}
}

var kojiStates = []string{"BUILDING", "COMPLETE", "DELETED", "FAILED", "CANCELED"}

func taskState(s *int) string {
	if s == nil {
		return "WAITING"
	}
	if *s >= 0 && *s < len(kojiStates) {
		return kojiStates[*s]
	}
	return strconv.Itoa(*s)
}

// watchBuild prints every state change of a build and its components until
// it finishes.
func watchBuild(ctx context.Context, c *mbsapi.Client, id int64, interval time.Duration, w io.Writer) error {
	lastState := ""
	lastComp := map[string]string{}
	for {
		mb, err := c.GetModuleBuild(ctx, id)
		if err != nil {
			return clientErr(err)
		}
		if mb.StateName != lastState {
			fmt.Fprintf(w, "%s  %s: %s", time.Now().Format("15:04:05"), mb.NSVC(), mb.StateName)
			if mb.StateReason != "" {
				fmt.Fprintf(w, " (%s)", mb.StateReason)
			}
			fmt.Fprintln(w)
			lastState = mb.StateName
		}
		names := make([]string, 0, len(mb.Tasks["rpms"]))
		for n := range mb.Tasks["rpms"] {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			t := mb.Tasks["rpms"][n]
			st := taskState(t.State)
			if lastComp[n] != st {
				lastComp[n] = st
				if st == "WAITING" {
					continue
				}
				line := fmt.Sprintf("%s    %s: %s", time.Now().Format("15:04:05"), n, st)
				if t.NVR != "" {
					line += " " + t.NVR
				}
				if t.StateReason != "" {
					line += " (" + t.StateReason + ")"
				}
				fmt.Fprintln(w, line)
			}
		}
		switch mb.StateName {
		case "ready", "garbage":
			return nil
		case "done":
			if mb.Scratch {
				return nil
			}
		case "failed":
			return &exitError{Code: 1, Msg: fmt.Sprintf("module build %d failed: %s", mb.ID, mb.StateReason)}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}

var _ flag.Value = (*multiFlag)(nil)

// taskColumn shows a component's task id: "task 123" for a koji task, with
// its web page when kojiWeb is set; other builders' ids as they are.
func taskColumn(id any, kojiWeb string) string {
	var s string
	switch v := id.(type) {
	case nil:
		return "-"
	case float64:
		s = strconv.FormatInt(int64(v), 10)
	case string:
		s = v
	default:
		s = fmt.Sprint(v)
	}
	if s == "" {
		return "-"
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		if kojiWeb != "" {
			return fmt.Sprintf("task %d %s/taskinfo?taskID=%d", n, strings.TrimSuffix(kojiWeb, "/"), n)
		}
		return "task " + s
	}
	return s
}
