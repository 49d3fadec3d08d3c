package resolvertest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/modkit/modkit/resolver"
	"github.com/modkit/modkit/resolver/resolvertest"
)

func TestMemorySource(t *testing.T) {
	t.Parallel()
	resolvertest.Run(t, resolver.NewSource(resolvertest.Fixture()))
}

func TestGarbageMemorySource(t *testing.T) {
	t.Parallel()
	resolvertest.Run(t, resolver.NewSourceWithGarbage(resolvertest.Fixture(), resolvertest.FixtureGarbage()))
}

func TestIndexFileSource(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "modules.yaml")
	if err := os.WriteFile(path, resolvertest.FixtureYAML(), 0o644); err != nil {
		t.Fatal(err)
	}
	idx, err := resolver.LoadIndex(context.Background(), []string{path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	resolvertest.Run(t, resolver.NewIndexSource(idx))
}

// TestRepoDirSource lays out a repository whose repomd.xml names a gzipped
// modules.yaml under a hashed name, as createrepo_c and modifyrepo_c do.
func TestRepoDirSource(t *testing.T) {
	t.Parallel()
	repo := t.TempDir()
	if err := os.MkdirAll(filepath.Join(repo, "repodata"), 0o755); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(resolvertest.FixtureYAML())
	zw.Close()
	if err := os.WriteFile(filepath.Join(repo, "repodata", "0123abcd-modules.yaml.gz"), gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	repomd := `<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>1</revision>
  <data type="primary"><location href="repodata/primary.xml.gz"/></data>
  <data type="modules"><location href="repodata/0123abcd-modules.yaml.gz"/></data>
</repomd>
`
	if err := os.WriteFile(filepath.Join(repo, "repodata", "repomd.xml"), []byte(repomd), 0o644); err != nil {
		t.Fatal(err)
	}
	idx, err := resolver.LoadIndex(context.Background(), []string{repo}, nil)
	if err != nil {
		t.Fatal(err)
	}
	resolvertest.Run(t, resolver.NewIndexSource(idx))
}
