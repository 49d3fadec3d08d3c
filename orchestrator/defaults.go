package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/resolver"
)

// SCMExporter is an optional interface of an [SCM]: it writes the tree of a
// commit into a directory. The service needs it to read default modules (a
// directory of modulemd-defaults files); the default git SCM implements it.
type SCMExporter interface {
	Export(ctx context.Context, repo, commit, dir string) error
}

// defaultModules reads the default streams of base module build base, as
// MBS's add_default_modules does: from the base module's
// xmd.mbs.default_modules_scm_url, else Options.DefaultModulesSCMURL, on the
// branch named after the base stream, else Options.RawhideBranch when the
// stream is Options.RawhideStream; every *.yaml file at the top, then those
// in overrides/, read strictly and merged as libmodulemd's
// update_from_defaults_directory.
func (s *Service) defaultModules(ctx context.Context, base *modulemd.Stream) (map[string]string, error) {
	url, _ := resolver.UsesDefaultModules(base)
	if url == "" {
		url = s.opts.DefaultModulesSCMURL
	}
	if url == "" {
		return nil, errors.New("the base module has no xmd.mbs.default_modules_scm_url and the service has no DefaultModulesSCMURL")
	}
	commit, err := s.scm.ResolveRef(ctx, url, base.Stream)
	if err != nil {
		rawhide := s.opts.RawhideBranch != "" && (s.opts.RawhideStream == "" || s.opts.RawhideStream == base.Stream)
		if !rawhide {
			return nil, fmt.Errorf("branch %s of %s: %w", base.Stream, url, err)
		}
		if commit, err = s.scm.ResolveRef(ctx, url, s.opts.RawhideBranch); err != nil {
			return nil, fmt.Errorf("branch %s (rawhide) of %s: %w", s.opts.RawhideBranch, url, err)
		}
	}
	ex, ok := s.scm.(SCMExporter)
	if !ok {
		return nil, fmt.Errorf("the service's SCM (%T) cannot export a tree (no Export method) to read %s", s.scm, url)
	}
	dir, err := os.MkdirTemp("", "modkit-defaults-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := ex.Export(ctx, url, commit, dir); err != nil {
		return nil, err
	}
	overrides := filepath.Join(dir, "overrides")
	if fi, err := os.Stat(overrides); err != nil || !fi.IsDir() {
		overrides = ""
	}
	idx := modulemd.NewIndex(nil)
	if err := idx.MergeDefaultsDirectory(dir, overrides, true); err != nil {
		return nil, fmt.Errorf("%s at %s: %w", url, commit, err)
	}
	defs := idx.DefaultStreams()
	s.log.Info("default modules read", "base", base.NSVC(), "repository", url, "commit", commit, "count", len(defs))
	return defs, nil
}
