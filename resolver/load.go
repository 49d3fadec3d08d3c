package resolver

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/modkit/modkit/modulemd"
)

// LoadOptions adjust [LoadIndex]; nil means defaults.
type LoadOptions struct {
	// Strict refuses keys the modulemd format does not define.
	Strict bool
	// Lenient keeps the documents that loaded when others in a file fail,
	// instead of failing the whole load.
	Lenient bool
}

// LoadIndex reads module metadata from paths and merges it into one index
// (later paths do not override earlier ones; libmodulemd merge rules at equal
// priority). Each path is a modules.yaml file, compressed or not (gzip, xz,
// bzip2, zstd), or a repository directory: with repodata/repomd.xml the
// "modules" entry it names is read, otherwise the first of modules.yaml,
// modules.yaml.gz, .xz, .bz2, .zst found in it.
func LoadIndex(ctx context.Context, paths []string, opts *LoadOptions) (*modulemd.Index, error) {
	if opts == nil {
		opts = &LoadOptions{}
	}
	m := modulemd.NewMerger()
	var errs []error
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		file, err := metadataFile(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		idx, err := modulemd.ReadIndexFile(file, &modulemd.LoadOptions{Strict: opts.Strict})
		if err != nil {
			errs = append(errs, err)
			if !opts.Lenient {
				continue
			}
		}
		if err := m.Add(idx, 0); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 && !opts.Lenient {
		return nil, errors.Join(errs...)
	}
	idx, err := m.Resolve(nil)
	if err != nil {
		errs = append(errs, err)
	}
	return idx, errors.Join(errs...)
}

// metadataFile finds the modules.yaml of path.
func metadataFile(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return path, nil
	}
	repomd := filepath.Join(path, "repodata", "repomd.xml")
	if data, err := os.ReadFile(repomd); err == nil {
		var doc struct {
			Data []struct {
				Type     string `xml:"type,attr"`
				Location struct {
					Href string `xml:"href,attr"`
				} `xml:"location"`
			} `xml:"data"`
		}
		if err := xml.Unmarshal(data, &doc); err != nil {
			return "", fmt.Errorf("%s: %w", repomd, err)
		}
		for _, d := range doc.Data {
			if d.Type == "modules" && d.Location.Href != "" {
				return filepath.Join(path, filepath.FromSlash(d.Location.Href)), nil
			}
		}
		return "", fmt.Errorf("%s: no \"modules\" metadata in this repository", repomd)
	}
	for _, name := range []string{"modules.yaml", "modules.yaml.gz", "modules.yaml.xz", "modules.yaml.bz2", "modules.yaml.zst"} {
		f := filepath.Join(path, name)
		if _, err := os.Stat(f); err == nil {
			return f, nil
		}
	}
	return "", fmt.Errorf("%s: neither repodata/repomd.xml nor modules.yaml found", path)
}

// NewIndexSource returns a Source over the streams of idx.
func NewIndexSource(idx *modulemd.Index) Source {
	return NewSource(idx.Streams())
}
