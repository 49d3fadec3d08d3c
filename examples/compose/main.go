// Command compose composes module builds into a Pungi-style release tree:
// variant repositories with modules.yaml and productmd metadata.
//
//	go run ./examples/compose -config examples/compose/compose.yaml -arch x86_64
//
// The configuration names the local state directory of `modkit build` (as
// `make demo` leaves it in .state/demo) as the source of module builds; its
// finished builds are composed into the target directory, and the program
// prints the dnf command that reads the variant repository.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/sqlstore"
	"github.com/modkit/modkit/pungi/compose"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "compose:", err)
		os.Exit(1)
	}
}

func hostArch() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	}
	return runtime.GOARCH
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("compose", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "examples/compose/compose.yaml", "compose configuration")
	target := fs.String("target-dir", "", "where to write the compose (default: target_dir of the configuration)")
	arch := fs.String("arch", hostArch(), "the arch to compose")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := compose.LoadConfig(*config)
	if err != nil {
		return err
	}
	res, err := compose.Run(ctx, cfg, &compose.Options{
		TargetDir: *target,
		Arches:    []string{*arch},
		OpenStore: func(ctx context.Context, dir string) (orchestrator.Store, error) {
			return sqlstore.Open(ctx, filepath.Join(dir, "modkit.db"), nil)
		},
		Progress: func(p compose.Progress) { fmt.Fprintf(stderr, "%-10s %s\n", p.Phase, p.Msg) },
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s %s in %s\n", res.ID, res.Status, res.Dir)
	for _, r := range res.Repos {
		if r.Kind != "os" {
			continue
		}
		repo := filepath.Join(res.Dir, "compose", filepath.FromSlash(r.Path))
		fmt.Fprintf(stdout, "%s.%s: %s\n", r.Variant, r.Arch, strings.Join(res.Modules[r.Variant][r.Arch], " "))
		opt := ""
		if len(r.Platforms) == 1 {
			opt = " --setopt=module_platform_id=platform:" + r.Platforms[0]
		}
		fmt.Fprintf(stdout, "dnf --releasever=1 --setopt=reposdir=/dev/null --repofrompath=modules,%s --repo=modules%s module list\n", repo, opt)
	}
	return nil
}
