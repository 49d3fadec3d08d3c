package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/modkit/modkit/pungi/odcs"
)

func init() {
	register("odcs", "submit, list, show, renew or delete on-demand composes (modkit serve --odcs or ODCS)", runODCS)
}

const odcsAbout = `
Talks to an on-demand compose service over ODCS's REST API: the server of
'modkit serve --odcs-target-dir DIR' or ODCS itself.

  odcs submit --type TYPE [SOURCE...] [options]   ask for a compose (--watch waits for it)
  odcs get ID                                     show a compose
  odcs list [--state STATE]... [--owner USER] [--source-type TYPE] [--source SOURCE]
  odcs renew ID [--seconds-to-live N]             extend a compose's life (or regenerate it)
  odcs delete ID                                  cancel or remove a compose

TYPE is tag (SOURCE: a koji tag), module (SOURCE: N:S, N:S:V or N:S:V:C
specs), build (no SOURCE; --build NVR, repeatable) or repo (SOURCE: a
repository directory the server allows). With --watch, submit waits until
the compose is done and prints its .repo URL; exit status 0 when done, 1
when it failed.

The server is --server URL or $MODKIT_ODCS_SERVER (default
http://127.0.0.1:8080); the bearer token is --token TOKEN or $MODKIT_TOKEN.
Run 'modkit odcs SUBCOMMAND -h' for a subcommand's options.`

var odcsSynopsis = map[string]string{
	"submit": "odcs submit --type TYPE [SOURCE...] [--build NVR]... [--package NAME]... [--flag FLAG]... [--arch ARCH]... [--watch] [--json]",
	"get":    "odcs get [--json] ID",
	"list":   "odcs list [--state STATE]... [--owner USER] [--source-type TYPE] [--source SOURCE] [--json]",
	"renew":  "odcs renew [--seconds-to-live N] [--json] ID",
	"delete": "odcs delete [--json] ID",
}

const odcsUsage = "usage: modkit odcs submit|get|list|renew|delete [options]"

func runODCS(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		if len(args) == 0 {
			return usageError("odcs: no subcommand given (submit, get, list, renew or delete)\n" + odcsUsage + "\nRun 'modkit odcs -h' for help.")
		}
		fmt.Fprintf(stdout, "%s\n%s\n", odcsUsage, odcsAbout)
		return nil
	}
	sub, args := args[0], args[1:]
	synopsis, ok := odcsSynopsis[sub]
	if !ok && strings.HasPrefix(sub, "-") {
		return usageError("odcs: unknown option %s (options follow the subcommand)\n"+odcsUsage+"\nRun 'modkit odcs -h' for help.", sub)
	}
	if !ok {
		return usageError("odcs: unknown subcommand %q (submit, get, list, renew or delete)\n"+odcsUsage+"\nRun 'modkit odcs -h' for help.", sub)
	}
	fs := newFlags("odcs "+sub, synopsis, odcsAbout, stdout)
	server := fs.String("server", envOr("MODKIT_ODCS_SERVER", "http://127.0.0.1:8080"), "`URL` of the compose service (or $MODKIT_ODCS_SERVER)")
	token := fs.String("token", "", "bearer `TOKEN` (or $MODKIT_TOKEN)")
	asJSON := fs.Bool("json", false, "print the API's JSON")
	var typ, label, composeType *string
	var builds, packages, flags, arches, sigkeys, states multiFlag
	var ttl *int64
	var watch *bool
	var interval *time.Duration
	var owner, sourceType, source *string
	var page, perPage *int
	switch sub {
	case "submit":
		typ = fs.String("type", "", "source `TYPE`: tag, module, build or repo")
		fs.Var(&builds, "build", "koji build `NVR` (repeatable)")
		fs.Var(&packages, "package", "only binary package `NAME` (repeatable)")
		fs.Var(&flags, "flag", "`FLAG`: no_deps, no_inheritance, check_deps, include_done_modules or no_reuse (repeatable)")
		fs.Var(&arches, "arch", "`ARCH` to compose (repeatable; default: the server's)")
		fs.Var(&sigkeys, "sigkey", "signing key `ID` in order of preference (repeatable; \"\" allows unsigned)")
		ttl = fs.Int64("seconds-to-live", 0, "lifetime in `SECONDS` (default: the server's)")
		label = fs.String("label", "", "compose `LABEL`")
		composeType = fs.String("compose-type", "", "`TYPE`: test, nightly, ci, production or development")
		watch = fs.Bool("watch", false, "wait until the compose is done or failed")
		interval = fs.Duration("interval", 2*time.Second, "with --watch, poll every `DURATION`")
	case "list":
		fs.Var(&states, "state", "`STATE` name or number (repeatable)")
		owner = fs.String("owner", "", "only composes of `USER`")
		sourceType = fs.String("source-type", "", "source `TYPE`")
		source = fs.String("source", "", "`SOURCE` exactly")
		page = fs.Int("page", 1, "page `N`")
		perPage = fs.Int("per-page", 20, "`N` composes per page")
	case "renew":
		ttl = fs.Int64("seconds-to-live", 0, "new lifetime in `SECONDS` from now (default: the server's)")
	}
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if *token == "" {
		*token = os.Getenv("MODKIT_TOKEN")
	}
	c, err := odcs.NewClient(*server, odcs.WithToken(*token), odcs.WithUserAgent("modkit-odcs"))
	if err != nil {
		return fs.usageError("--server %q: %v", *server, err)
	}
	var id int64
	switch sub {
	case "submit":
		if *typ == "" {
			return fs.usageError("--type is required (tag, module, build or repo)")
		}
	case "list":
		if len(pos) != 0 {
			return fs.usageError("takes no arguments (got %q)", pos[0])
		}
	default:
		if len(pos) != 1 {
			return fs.usageError("want exactly one compose ID, got %d arguments", len(pos))
		}
		if id, err = strconv.ParseInt(pos[0], 10, 64); err != nil || id <= 0 {
			return fs.usageError("%q is not a compose ID (a positive number)", pos[0])
		}
	}
	printOne := func(cp *odcs.Compose) error {
		if *asJSON {
			return writeODCSJSON(stdout, cp)
		}
		showCompose(stdout, cp)
		return nil
	}
	switch sub {
	case "submit":
		req := &odcs.Request{Source: odcs.RequestSource{Type: *typ, Source: strings.Join(pos, " "), Builds: builds, Packages: packages},
			Flags: flags, Arches: arches, SecondsToLive: *ttl, Label: *label, ComposeType: *composeType}
		if len(sigkeys) > 0 {
			req.Source.Sigkeys = sigkeys
		}
		if err := req.Validate(); err != nil {
			return fs.usageError("%v", err)
		}
		cp, err := c.Submit(ctx, req)
		if err != nil {
			return odcsErr(err)
		}
		if !*watch {
			return printOne(cp)
		}
		wc, _ := odcs.NewClient(*server, odcs.WithToken(*token), odcs.WithPollInterval(*interval))
		if !*asJSON {
			fmt.Fprintf(stdout, "compose %d submitted\n", cp.ID)
		}
		final, err := wc.Wait(ctx, cp.ID, func(x *odcs.Compose) {
			if !*asJSON {
				fmt.Fprintf(stdout, "compose %d: %s", x.ID, x.State)
				if x.StateReason != "" {
					fmt.Fprintf(stdout, " (%s)", x.StateReason)
				}
				fmt.Fprintln(stdout)
			}
		})
		if final != nil {
			if err := printOne(final); err != nil {
				return err
			}
		}
		if err != nil {
			if errors.Is(err, odcs.ErrComposeFailed) {
				return &exitError{Code: 1}
			}
			return odcsErr(err)
		}
		return nil
	case "get":
		cp, err := c.Get(ctx, id)
		if err != nil {
			return odcsErr(err)
		}
		return printOne(cp)
	case "renew":
		cp, err := c.Renew(ctx, id, &odcs.RenewRequest{SecondsToLive: *ttl})
		if err != nil {
			return odcsErr(err)
		}
		return printOne(cp)
	case "delete":
		msg, err := c.Delete(ctx, id)
		if err != nil {
			return odcsErr(err)
		}
		if *asJSON {
			return writeODCSJSON(stdout, map[string]any{"status": 202, "message": msg})
		}
		fmt.Fprintln(stdout, msg)
		return nil
	case "list":
		items, meta, err := c.List(ctx, &odcs.ListOptions{States: states, Owner: *owner, SourceType: *sourceType, Source: *source, Page: *page, PerPage: *perPage})
		if err != nil {
			return odcsErr(err)
		}
		if *asJSON {
			return writeODCSJSON(stdout, map[string]any{"items": items, "meta": meta})
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATE\tTYPE\tOWNER\tEXPIRES\tSOURCE")
		for _, cp := range items {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", cp.ID, cp.State, cp.SourceType, cp.Owner, cp.TimeToExpire.Format(time.RFC3339), cp.Source+strings.Join(cp.Builds, " "))
		}
		tw.Flush()
		fmt.Fprintf(stdout, "page %d of %d (%d composes)\n", meta.Page, max(meta.Pages, 1), meta.Total)
		return nil
	}
	return nil
}

func writeODCSJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func showCompose(w io.Writer, c *odcs.Compose) {
	fmt.Fprintf(w, "Compose %d: %s (%s)\n", c.ID, c.State, c.StateReason)
	fmt.Fprintf(w, "  type:     %s\n", c.SourceType)
	if c.Source != "" {
		fmt.Fprintf(w, "  source:   %s\n", c.Source)
	}
	if len(c.Builds) > 0 {
		fmt.Fprintf(w, "  builds:   %s\n", strings.Join(c.Builds, " "))
	}
	if len(c.Packages) > 0 {
		fmt.Fprintf(w, "  packages: %s\n", strings.Join(c.Packages, " "))
	}
	fmt.Fprintf(w, "  owner:    %s\n  arches:   %s\n", c.Owner, strings.Join(c.Arches, " "))
	if f := c.Flags.Names(); len(f) > 0 {
		fmt.Fprintf(w, "  flags:    %s\n", strings.Join(f, " "))
	}
	if c.KojiEvent != 0 {
		fmt.Fprintf(w, "  koji event: %d\n", c.KojiEvent)
	}
	if c.ReusedID != 0 {
		fmt.Fprintf(w, "  reuses:   compose %d\n", c.ReusedID)
	}
	fmt.Fprintf(w, "  expires:  %s\n", c.TimeToExpire.Format(time.RFC3339))
	if c.State == odcs.StateDone && c.ResultRepofile != "" {
		fmt.Fprintf(w, "  repo:     %s\n  repofile: %s\n", c.ResultRepo, c.ResultRepofile)
	}
}

func odcsErr(err error) error {
	var e *odcs.Error
	if errors.As(err, &e) {
		msg := fmt.Sprintf("%s (HTTP %d %s)", e.Message, e.Status, e.Err)
		if e.Status == 401 {
			msg += "; give --token TOKEN or set MODKIT_TOKEN (a token of the server's --tokens file)"
		}
		return &exitError{Code: 1, Msg: msg}
	}
	return &exitError{Code: 1, Msg: err.Error()}
}
