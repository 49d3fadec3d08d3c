package odcs

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// BuildComposer asks an ODCS service for a compose of exactly some koji
// builds and waits for it: what a container rebuild needs to see an
// update's RPMs before they reach a tag (Freshmaker's fast flow). Its
// ComposeBuilds method has the shape of orchestrator/rebuilds' Composer.
type BuildComposer struct {
	// Client is the ODCS client; required.
	Client *Client
	// Arches to compose; nil means the server's.
	Arches []string
	// Sigkeys in order of preference; nil means the server's default.
	Sigkeys []string
	// SecondsToLive of the compose; 0 means the server's default.
	SecondsToLive int64
	// Label is written on the compose (empty: none).
	Label string
	// Progress, when set, is called on each state change of the compose.
	Progress func(*Compose)
}

// ComposeBuilds submits a build compose of nvrs (no dependencies added:
// the image's own repositories provide the rest), waits until it is done
// and returns the URL of its .repo file.
func (b *BuildComposer) ComposeBuilds(ctx context.Context, nvrs []string) (string, error) {
	if b == nil || b.Client == nil {
		return "", errors.New("odcs: BuildComposer has no Client")
	}
	if len(nvrs) == 0 {
		return "", errors.New("odcs: a build compose needs at least one build")
	}
	builds := slices.Clone(nvrs)
	slices.Sort(builds) // identical requests are reused by the server
	builds = slices.Compact(builds)
	req := &Request{
		Source:        RequestSource{Type: "build", Builds: builds, Sigkeys: b.Sigkeys},
		Flags:         []string{"no_deps"},
		Arches:        b.Arches,
		SecondsToLive: b.SecondsToLive,
		Label:         b.Label,
	}
	sub, err := b.Client.Submit(ctx, req)
	if err != nil {
		return "", fmt.Errorf("odcs: compose of %d builds: %w", len(builds), err)
	}
	done, err := b.Client.Wait(ctx, sub.ID, b.Progress)
	if err != nil {
		return "", err
	}
	if done.ResultRepofile == "" {
		return "", fmt.Errorf("odcs: compose %d is done but has no .repo file", done.ID)
	}
	return done.ResultRepofile, nil
}
