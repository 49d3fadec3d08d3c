// Command bodhi-updates lists a user's modular updates in Bodhi and their
// test status: status, pending request, karma against the stable
// threshold, and gating.
//
//	bodhi-updates -url https://bodhi.fedoraproject.org/ -user alice -release F27M
//
// With -demo it starts an in-process koji hub and Bodhi (kojitest and
// bodhitest) holding a few module updates instead of contacting a server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/modkit/modkit/bodhi"
	"github.com/modkit/modkit/bodhi/bodhitest"
	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bodhi-updates:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bodhi-updates", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "https://bodhi.fedoraproject.org/", "Bodhi URL")
	user := fs.String("user", "", "submitter (required unless -demo)")
	release := fs.String("release", "", "release name, e.g. F27M (default: all)")
	status := fs.String("status", "", "comma-separated statuses, e.g. pending,testing (default: all)")
	demo := fs.Bool("demo", false, "use an in-process demo koji hub and Bodhi")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || (*user == "" && !*demo) {
		return errors.New("usage: bodhi-updates [-url URL] -user NAME [-release R] [-status S,...] [-demo]")
	}
	if *demo {
		u, stop, err := startDemo(ctx)
		if err != nil {
			return err
		}
		defer stop()
		*url = u
		if *user == "" {
			*user = bodhitest.PackagerUser
		}
	}
	c, err := bodhi.NewClient(*url)
	if err != nil {
		return err
	}
	opts := &bodhi.UpdateListOptions{User: []string{*user}, ContentType: bodhi.ContentModule}
	if *release != "" {
		opts.Releases = []string{*release}
	}
	if *status != "" {
		opts.Status = strings.Split(*status, ",")
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ALIAS\tRELEASE\tSTATUS\tREQUEST\tKARMA\tGATING\tMODULES")
	n := 0
	for u, err := range c.Updates(ctx, opts) {
		if err != nil {
			return err
		}
		n++
		rel, req, gating := "", "-", "-"
		if u.Release != nil {
			rel = u.Release.Name
		}
		if u.Request != nil {
			req = *u.Request
		}
		if u.TestGatingStatus != nil {
			gating = *u.TestGatingStatus
		}
		karma := fmt.Sprint(u.Karma)
		if u.StableKarma != nil {
			karma += "/" + fmt.Sprint(*u.StableKarma)
		}
		var mods []string
		for _, b := range u.Builds {
			mods = append(mods, b.NVR)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.Alias, rel, u.Status, req, karma, gating, strings.Join(mods, " "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d modular update(s) of %s\n", n, *user)
	return nil
}

// startDemo runs a kojitest hub and a bodhitest server with a modular
// release and three updates (one obsoleted by a newer build).
func startDemo(ctx context.Context) (string, func(), error) {
	hub := kojitest.NewServer()
	kc, err := koji.NewClient(hub.URL(), koji.WithAuth(koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword}))
	if err != nil {
		hub.Close()
		return "", nil, err
	}
	bs := bodhitest.New(kc)
	stop := func() { bs.Close(); hub.Close() }
	if err := seed(ctx, kc, bs); err != nil {
		stop()
		return "", nil, fmt.Errorf("demo: %w", err)
	}
	return bs.URL, stop, nil
}

func seed(ctx context.Context, kc *koji.Client, bs *bodhitest.Server) error {
	if err := kc.Login(ctx); err != nil {
		return err
	}
	if err := kc.AddBType(ctx, "module"); err != nil {
		return err
	}
	if err := kc.GrantCGAccess(ctx, koji.Name(kojitest.AdminUser), "module-build-service", true); err != nil {
		return err
	}
	tags := map[string]string{}
	for _, s := range []string{"", "override", "signing-pending", "updates", "updates-candidate", "updates-pending", "updates-testing", "updates-testing-pending"} {
		name := "f27-modular"
		if s != "" {
			name += "-" + s
		}
		if _, err := kc.CreateTag(ctx, name, nil); err != nil {
			return err
		}
		tags[s] = name
	}
	admin, err := bodhi.NewClient(bs.URL, bodhi.WithSessionCookie(bs.Cookie(bodhitest.AdminUser)))
	if err != nil {
		return err
	}
	if _, err := admin.SaveRelease(ctx, &bodhi.ReleaseInput{Name: "F27M", LongName: "Fedora 27 Modular", Version: "27",
		Branch: "f27m", IDPrefix: "FEDORA-MODULAR", DistTag: tags[""], StableTag: tags["updates"], TestingTag: tags["updates-testing"],
		CandidateTag: tags["updates-candidate"], PendingSigningTag: tags["signing-pending"], PendingTestingTag: tags["updates-testing-pending"],
		PendingStableTag: tags["updates-pending"], OverrideTag: tags["override"], State: "current"}); err != nil {
		return err
	}
	pkgr, err := bodhi.NewClient(bs.URL, bodhi.WithSessionCookie(bs.Cookie(bodhitest.PackagerUser)))
	if err != nil {
		return err
	}
	for i, m := range []struct {
		name, stream string
		version      uint64
	}{{"nodejs", "8", 20171101000000}, {"nodejs", "8", 20171201000000}, {"perl", "5.26", 20171105000000}} {
		md := fmt.Sprintf("document: modulemd\nversion: 2\ndata:\n  name: %s\n  stream: \"%s\"\n  version: %d\n  context: 6c81f848\n  summary: demo\n  description: demo module\n  license:\n    module: [MIT]\n", m.name, m.stream, m.version)
		b, err := kc.ImportModuleBuild(ctx, &koji.ModuleImport{Name: m.name, Stream: m.stream, Version: m.version, Context: "6c81f848",
			Owner: kojitest.AdminUser, Start: time.Unix(1509494400, 0), End: time.Unix(1509498000, 0), Modulemd: md}, fmt.Sprintf("mbs/%d", i), nil)
		if err != nil {
			return err
		}
		if i != 1 { // the second nodejs build shares the first one's package entry
			if err := kc.AddPackage(ctx, koji.Name(tags["updates-candidate"]), m.name, &koji.AddPackageOptions{Owner: kojitest.AdminUser}); err != nil {
				return err
			}
		}
		if err := kc.TagBuildBypass(ctx, koji.Name(tags["updates-candidate"]), koji.ID(b.ID), false); err != nil {
			return err
		}
		if _, err := pkgr.SaveUpdate(ctx, &bodhi.UpdateInput{Builds: []string{b.NVR}, Notes: "Update " + m.name + " " + m.stream + ".", Type: "enhancement"}); err != nil {
			return err
		}
	}
	return nil
}
