// Command koji-tag-report prints a koji tag's inheritance chain and the
// latest build of each package in it (inheritance included).
//
//	koji-tag-report -hub https://koji.fedoraproject.org/kojihub f42-build
//
// With -demo it starts an in-process test hub with sample data instead of
// contacting a real one.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "koji-tag-report:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("koji-tag-report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	hubURL := fs.String("hub", "https://koji.fedoraproject.org/kojihub", "koji hub URL")
	event := fs.Int64("event", 0, "report the tag as of this event (0 = now)")
	demo := fs.Bool("demo", false, "use an in-process demo hub")
	verbose := fs.Bool("v", false, "log hub calls")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: koji-tag-report [-hub URL] [-event N] [-demo] TAG")
	}
	tagName := fs.Arg(0)

	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	opts := []koji.Option{
		koji.WithLogger(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))),
		koji.WithUserAgent("koji-tag-report/1"),
		koji.WithHTTPClient(&http.Client{Timeout: time.Minute}),
	}
	url := *hubURL
	if *demo {
		hub, err := demoHub(ctx)
		if err != nil {
			return err
		}
		defer hub.Close()
		url = hub.URL()
		opts = append(opts, koji.WithHTTPClient(hub.Client()))
	}
	c, err := koji.NewClient(url, opts...)
	if err != nil {
		return err
	}
	return report(ctx, c, tagName, *event, stdout)
}

func report(ctx context.Context, c *koji.Client, tagName string, event int64, w io.Writer) error {
	tag, err := c.GetTag(ctx, koji.Name(tagName), &koji.GetTagOptions{Event: event})
	if err != nil {
		return err
	}
	chain, err := c.GetFullInheritance(ctx, koji.ID(tag.ID), &koji.FullInheritanceOptions{Event: event})
	if err != nil {
		return err
	}
	latest, err := c.GetLatestBuilds(ctx, koji.ID(tag.ID), &koji.LatestBuildsOptions{Event: event})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Tag %s (id %d, arches: %s)\n\nInheritance:\n", tag.Name, tag.ID, orNone(tag.Arches))
	fmt.Fprintf(w, "  %s\n", tag.Name)
	for _, l := range chain {
		extra := ""
		if l.MaxDepth != nil {
			extra += fmt.Sprintf(" maxdepth=%d", *l.MaxDepth)
		}
		if l.PkgFilter != "" {
			extra += " filter=" + l.PkgFilter
		}
		fmt.Fprintf(w, "  %s└─ %s (priority %d)%s\n", strings.Repeat("   ", l.CurrDepth-1), l.Name, l.Priority, extra)
	}
	fmt.Fprintf(w, "\nLatest builds (%d):\n", len(latest))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  NVR\tTAG\tOWNER")
	for _, b := range latest {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", b.NVR, b.TagName, b.OwnerName)
	}
	return tw.Flush()
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// demoHub starts a test hub with a small tag tree and a few builds.
func demoHub(ctx context.Context) (*kojitest.Hub, error) {
	hub := kojitest.NewServer(kojitest.WithBuilder(kojitest.AutoComplete))
	c, err := koji.NewClient(hub.URL(), koji.WithHTTPClient(hub.Client()),
		koji.WithAuth(koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword}))
	if err == nil {
		err = c.Login(ctx)
	}
	steps := []func() error{
		func() error {
			_, err := c.CreateTag(ctx, "f42", &koji.CreateTagOptions{Arches: []string{"x86_64", "aarch64"}})
			return err
		},
		func() error {
			_, err := c.CreateTag(ctx, "f42-updates", &koji.CreateTagOptions{Parent: "f42"})
			return err
		},
		func() error {
			_, err := c.CreateTag(ctx, "f42-build", &koji.CreateTagOptions{Parent: "f42-updates", Arches: []string{"x86_64"}})
			return err
		},
		func() error {
			return c.CreateTarget(ctx, "f42-candidate", koji.Name("f42-build"), koji.Name("f42-updates"))
		},
	}
	for _, pkg := range []string{"bash", "coreutils", "hello"} {
		steps = append(steps, func() error {
			return c.AddPackage(ctx, koji.Name("f42"), pkg, &koji.AddPackageOptions{Owner: kojitest.AdminUser})
		})
	}
	for _, src := range []string{"bash.git#1", "coreutils.git#1", "hello.git#1"} {
		steps = append(steps, func() error {
			id, err := c.Build(ctx, "git+https://src.example.org/rpms/"+src, "f42-candidate", nil)
			if err == nil {
				_, err = c.WaitTask(ctx, id, &koji.WaitOptions{Interval: time.Millisecond})
			}
			return err
		})
	}
	for _, step := range steps {
		if err != nil {
			break
		}
		err = step()
	}
	if err != nil {
		hub.Close()
		return nil, fmt.Errorf("demo hub: %w", err)
	}
	return hub, nil
}
