package resolver

import (
	"strconv"
	"strings"
	"testing"

	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/modulemd"
)

// st builds a stream from "name:stream:version:context"; deps are
// "br:name=s1,s2;req:name=s1" style strings, one per dependency block.
func st(nsvc string, blocks ...string) *modulemd.Stream {
	n, err := modulemd.ParseNSVCA(nsvc)
	if err != nil {
		panic(err)
	}
	s := &modulemd.Stream{MDVersionNumber: 2, Name: n.Name, Stream: n.Stream, Version: n.Version, Context: n.Context,
		Summary: "s", Description: "d", License: modulemd.License{Module: []string{"MIT"}}}
	for _, b := range blocks {
		d := modulemd.Dependency{BuildRequires: map[string][]string{}, Requires: map[string][]string{}}
		for _, part := range strings.Split(b, ";") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			kind, spec, _ := strings.Cut(part, ":")
			name, list, _ := strings.Cut(spec, "=")
			streams := []string{}
			if list != "" {
				streams = strings.Split(list, ",")
			}
			if kind == "br" {
				d.BuildRequires[name] = streams
			} else {
				d.Requires[name] = streams
			}
		}
		s.Dependencies = append(s.Dependencies, d)
	}
	return s
}

// against records in xmd.mbs that s was built against the given builds.
func against(s *modulemd.Stream, deps ...*modulemd.Stream) *modulemd.Stream {
	br := map[string]any{}
	for _, d := range deps {
		br[d.Name] = map[string]any{"stream": d.Stream, "version": itoa(d.Version), "context": d.Context}
	}
	mbs := map[string]any{"buildrequires": br, "mse": true, "commit": "ref-" + s.Name + "-" + s.Stream}
	s.XMD = modulemd.MustXMD(map[string]any{"mbs": mbs})
	return s
}

// platform builds a base module stream with optional virtual streams.
func platform(stream string, version uint64, virtual ...string) *modulemd.Stream {
	s := st("platform:" + stream + ":" + itoa(version) + ":00000000")
	mbs := map[string]any{"mse": true, "koji_tag": "module-" + stream + "-build", "commit": "virtual"}
	if len(virtual) > 0 {
		l := make([]any, len(virtual))
		for i, v := range virtual {
			l[i] = v
		}
		mbs["virtual_streams"] = l
	}
	s.XMD = modulemd.MustXMD(map[string]any{"mbs": mbs})
	return s
}

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }

// sharedDir returns ../shared from the repository root, skipping (or
// failing under MODKIT_REQUIRE_TOOLS=1) when it is absent.
func sharedDir(t *testing.T) string {
	t.Helper()
	return testenv.SharedDir(t)
}

// need skips the test, or fails it when MODKIT_REQUIRE_TOOLS=1.
func need(t *testing.T, why string) {
	t.Helper()
	testenv.SkipOrFatal(t, "%s", why)
}

// editXMD changes s.XMD through a decoded copy of its top-level mapping.
func editXMD(s *modulemd.Stream, f func(m map[string]any)) {
	m := s.XMD.Map()
	f(m)
	s.XMD = modulemd.MustXMD(m)
}
