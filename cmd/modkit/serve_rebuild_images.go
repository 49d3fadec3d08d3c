package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/modkit/modkit/orchestrator/rebuilds"
	"github.com/modkit/modkit/pungi/odcs"
)

// rebuildImageFlags are serve's settings of container image rebuilds.
type rebuildImageFlags struct {
	mode, odcsURL *string
	poll          *time.Duration
	arches        multiFlag
}

func (f *rebuildFlags) addImageFlags(fs *flag.FlagSet) {
	f.img = &rebuildImageFlags{
		mode:    fs.String("rebuild-images", "off", "`MODE` of container image rebuilds from Bodhi updates (Freshmaker's flows; needs --rebuilds and the koji hub of --koji-*): off, dry-run (record what would be rebuilt) or on"),
		odcsURL: fs.String("rebuild-images-odcs", "", "ODCS `URL` of the fast flow's composes of an update's builds (token from $MODKIT_ODCS_TOKEN; default: none, so updates are rebuilt only once stable)"),
		poll:    fs.Duration("rebuild-images-poll", time.Minute, "`DURATION` between two checks of running image rebuilds (with --bus, --rebuild-topic '#.buildsys.task.state.change' ends them at once)"),
	}
	fs.Var(&f.img.arches, "rebuild-images-arch", "`ARCH` of the fast flow's composes (repeatable; default: the ODCS server's)")
}

// imageOptions returns the rebuild service's image settings: nil when
// image rebuilds are off.
func (f rebuildFlags) imageOptions(ctx context.Context, kf *kojiFlags) (*rebuilds.ImageOptions, error) {
	if f.img == nil || *f.img.mode == "off" {
		return nil, nil
	}
	if *f.img.mode != "dry-run" && *f.img.mode != "on" {
		return nil, usageError("serve: --rebuild-images must be off, dry-run or on, not %q", *f.img.mode)
	}
	ks, err := kf.settings()
	if err != nil {
		return nil, usageError("serve: --rebuild-images reads image builds from koji: %v", err)
	}
	c, err := ks.client()
	if err != nil {
		return nil, usageError("serve: --rebuild-images: %v", err)
	}
	build := *f.img.mode == "on"
	if build {
		if err := c.Login(ctx); err != nil {
			return nil, &exitError{Code: 1, Msg: fmt.Sprintf("log in to koji hub %s: %v", ks["server"], err)}
		}
	}
	ki := rebuilds.NewKojiImages(c)
	io := &rebuilds.ImageOptions{Source: ki, Builder: ki, Build: build}
	if u := *f.img.odcsURL; u != "" {
		var opts []odcs.Option
		if tok := os.Getenv("MODKIT_ODCS_TOKEN"); tok != "" {
			opts = append(opts, odcs.WithToken(tok))
		}
		oc, err := odcs.NewClient(u, opts...)
		if err != nil {
			return nil, usageError("serve: --rebuild-images-odcs: %v", err)
		}
		io.Composer = &odcs.BuildComposer{Client: oc, Arches: f.img.arches, Label: "modkit-rebuilds"}
	}
	return io, nil
}

// pollImages checks the running image rebuilds every interval until ctx
// ends (the task messages of a bus end them sooner).
func pollImages(ctx context.Context, rs *rebuilds.Service, every time.Duration, logger *slog.Logger) {
	if every <= 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := rs.PollImages(ctx); err != nil && ctx.Err() == nil {
				logger.Warn("rebuilds: checking image rebuilds failed", "error", err)
			}
		}
	}
}
