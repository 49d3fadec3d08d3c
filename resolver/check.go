package resolver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/modkit/modkit/modulemd"
)

// CheckOptions adjust [Check]; nil means defaults.
type CheckOptions struct {
	Expand *ExpandOptions
	Load   *LoadOptions
}

// Plan is what [Check] found: one planned build per expansion.
type Plan struct {
	// Module is name:stream of the checked module.
	Module string          `json:"module"`
	Builds []*PlannedBuild `json:"builds"`
}

// PlannedBuild is one expanded module build and its component batches.
type PlannedBuild struct {
	NSVC           string     `json:"nsvc"`
	Context        string     `json:"context"`
	Version        uint64     `json:"version"`
	BuildContext   string     `json:"build_context"`
	RuntimeContext string     `json:"runtime_context"`
	Static         bool       `json:"static,omitempty"`
	BuildRequires  []string   `json:"buildrequires"`
	Batches        [][]string `json:"batches"`
	// Expansion is the full result, with the expanded module.
	Expansion *Expansion `json:"-"`
}

// ModuleDocument picks the module definition from documents read from one
// file: a stream (v1 is upgraded) or a packager document (v2 becomes a
// stream; v3 gives one stream per build configuration, each with its static
// context). Defaults and other documents are ignored; anything else than
// exactly one stream or packager document is an error.
func ModuleDocument(docs []modulemd.Document) ([]*modulemd.Stream, error) {
	var picked []modulemd.Document
	for _, d := range docs {
		if d.Kind() == modulemd.KindStream || d.Kind() == modulemd.KindPackager {
			picked = append(picked, d)
		}
	}
	if len(picked) != 1 {
		return nil, fmt.Errorf("%w: expected one module stream or packager document, found %d", ErrInput, len(picked))
	}
	switch d := picked[0].(type) {
	case *modulemd.Stream:
		return []*modulemd.Stream{d}, nil
	case *modulemd.Packager:
		if d.MDVersionNumber == 2 {
			s, err := d.ToStream()
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrInput, err)
			}
			return []*modulemd.Stream{s}, nil
		}
		idx, err := d.ToIndex()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInput, err)
		}
		var out []*modulemd.Stream
		for _, s := range idx.Streams() {
			c := s.Clone()
			c.StaticContext = c.Context != ""
			out = append(out, c)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: unsupported document %T", ErrInput, picked[0])
}

// Check is the CI check of a module definition: it reads the module file
// (validating it), loads the indexes to build against (files, compressed
// files or repository directories, see [LoadIndex]), expands the module and
// plans the component batches of every expansion. Invalid input returns the
// validation errors; an unsatisfiable module a [*ConflictError].
func Check(ctx context.Context, modulePath string, against []string, opts *CheckOptions) (*Plan, error) {
	if opts == nil {
		opts = &CheckOptions{}
	}
	docs, err := modulemd.ReadFile(modulePath)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, d := range docs {
		if err := modulemd.Validate(d); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	streams, err := ModuleDocument(docs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", modulePath, err)
	}
	idx, err := LoadIndex(ctx, against, opts.Load)
	if err != nil {
		return nil, err
	}
	return CheckStreams(ctx, NewIndexSource(idx), streams, opts.Expand)
}

// CheckStreams expands every stream against src and plans its batches.
func CheckStreams(ctx context.Context, src Source, streams []*modulemd.Stream, opts *ExpandOptions) (*Plan, error) {
	if len(streams) == 0 {
		return nil, fmt.Errorf("%w: no module", ErrInput)
	}
	p := &Plan{Module: streams[0].Name + ":" + streams[0].Stream}
	for _, s := range streams {
		if _, err := Batches(s); err != nil {
			return nil, err
		}
		exps, err := Expand(ctx, src, s, opts)
		if err != nil {
			return nil, err
		}
		for _, e := range exps {
			batches, err := Batches(e.Stream)
			if err != nil {
				return nil, err
			}
			pb := &PlannedBuild{NSVC: e.NSVC(), Context: e.Context, Version: e.Stream.Version,
				BuildContext: e.BuildContext, RuntimeContext: e.RuntimeContext, Static: e.Static,
				Batches: batches, Expansion: e}
			for _, b := range e.BuildRequires {
				pb.BuildRequires = append(pb.BuildRequires, b.NSVC())
			}
			p.Builds = append(p.Builds, pb)
		}
	}
	return p, nil
}

// WriteText writes the plan for people: each build, what it builds
// against and its batches.
func (p *Plan) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d build(s)\n", p.Module, len(p.Builds))
	for _, pb := range p.Builds {
		fmt.Fprintf(&b, "\n%s\n", pb.NSVC)
		static := ""
		if pb.Static {
			static = " (static)"
		}
		fmt.Fprintf(&b, "  context: %s%s\n  build_context: %s\n  runtime_context: %s\n", pb.Context, static, pb.BuildContext, pb.RuntimeContext)
		fmt.Fprintf(&b, "  buildrequires:\n")
		for _, br := range pb.BuildRequires {
			fmt.Fprintf(&b, "    %s\n", br)
		}
		if len(pb.Batches) == 0 {
			fmt.Fprintf(&b, "  no components\n")
		}
		for i, batch := range pb.Batches {
			fmt.Fprintf(&b, "  batch %d: %s\n", i+1, strings.Join(batch, " "))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
