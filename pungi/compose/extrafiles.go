package compose

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"

	"github.com/modkit/modkit/pungi/productmd"
)

// extraFiles is Pungi's extra_files phase: the configured files are
// copied into the os tree of each matching variant and arch, and listed
// (with size and md5, sha1 and sha256 checksums, Pungi's default
// media_checksums) in metadata/extra_files.json and in the tree's own
// extra_files.json.
func (r *run) extraFiles(jobs []*repoJob) error {
	r.extra = &productmd.ExtraFiles{Compose: r.res.Compose}
	n := 0
	for _, j := range jobs {
		if j.kind != "os" || j.variant.Type == "addon" {
			continue
		}
		var entries []ExtraFileEntry
		for _, rule := range r.cfg.ExtraFiles {
			re, err := compileVariantRE(rule.Variant)
			if err != nil || !re.MatchString(j.variant.UID()) {
				continue
			}
			entries = append(entries, rule.Files["*"]...)
			entries = append(entries, rule.Files[j.arch]...)
		}
		if len(entries) == 0 {
			continue
		}
		tree := filepath.Join(r.dir, "compose", filepath.FromSlash(j.rel))
		var copied []string // relative to the tree, slash-separated
		for _, e := range entries {
			files, err := copyExtra(e, tree)
			if err != nil {
				return err
			}
			for _, f := range files {
				if !slices.Contains(copied, f) {
					copied = append(copied, f)
				}
			}
		}
		slices.Sort(copied)
		for _, rel := range copied {
			if rel == "extra_files.json" {
				return fmt.Errorf("compose: extra_files: %s: extra_files.json is written by the compose itself", j.rel)
			}
			size, sums, err := checksums(filepath.Join(tree, filepath.FromSlash(rel)))
			if err != nil {
				return fmt.Errorf("compose: extra_files: %w", err)
			}
			if err := r.extra.Add(j.variant.UID(), j.arch, productmd.ExtraFile{File: j.rel + "/" + rel, Size: size, Checksums: sums}); err != nil {
				return err
			}
			n++
		}
		data, err := r.extra.MarshalTree(j.variant.UID(), j.arch, j.rel)
		if err != nil {
			return err
		}
		if err := writeFileAtomic(filepath.Join(tree, "extra_files.json"), data); err != nil {
			return fmt.Errorf("compose: %w", err)
		}
	}
	r.progress("extra_files", "%d extra files copied", n)
	return nil
}

// copyExtra copies one entry into tree and returns the files it placed
// there, relative to tree.
func copyExtra(e ExtraFileEntry, tree string) ([]string, error) {
	target := path.Clean("/" + filepath.ToSlash(e.Target))[1:]
	if e.File != "" {
		rel := path.Join(target, filepath.Base(e.File))
		if err := copyFile(e.File, filepath.Join(tree, filepath.FromSlash(rel))); err != nil {
			return nil, fmt.Errorf("compose: extra_files: %w", err)
		}
		return []string{rel}, nil
	}
	var out []string
	err := filepath.WalkDir(e.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file", p)
		}
		sub, err := filepath.Rel(e.Dir, p)
		if err != nil {
			return err
		}
		rel := path.Join(target, filepath.ToSlash(sub))
		out = append(out, rel)
		return copyFile(p, filepath.Join(tree, filepath.FromSlash(rel)))
	})
	if err != nil {
		return nil, fmt.Errorf("compose: extra_files: %w", err)
	}
	return out, nil
}

// copyFile copies a regular file (a copy, not a link: the tree must not
// change when the source does).
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if st, err := in.Stat(); err != nil {
		return err
	} else if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", src)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// checksums reads a file once for its size and md5, sha1 and sha256.
func checksums(p string) (int64, map[string]string, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	hs := map[string]hash.Hash{"md5": md5.New(), "sha1": sha1.New(), "sha256": sha256.New()}
	ws := make([]io.Writer, 0, len(hs))
	for _, h := range hs {
		ws = append(ws, h)
	}
	n, err := io.Copy(io.MultiWriter(ws...), f)
	if err != nil {
		return 0, nil, err
	}
	sums := map[string]string{}
	for k, h := range hs {
		sums[k] = hex.EncodeToString(h.Sum(nil))
	}
	return n, sums, nil
}
