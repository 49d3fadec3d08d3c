package compose

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/modkit/modkit/pungi/productmd"
)

// TestComposeExtraFiles checks Pungi's extra_files phase: files and
// directories copied into the os tree per variant and arch, listed in
// metadata/extra_files.json (loaded by productmd) and in the tree's own
// extra_files.json.
func TestComposeExtraFiles(t *testing.T) {
	t.Parallel()
	arch := hostArch()
	dir := t.TempDir()
	repos, _ := fixtureRepos(t, dir, arch)
	os.MkdirAll(filepath.Join(dir, "extra", "keys"), 0o755)
	files := map[string]string{"extra/GPL": "the licence\n", "extra/keys/RPM-GPG-KEY-test": "a key\n", "extra/README": "read me\n"}
	for p, c := range files {
		os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644)
	}
	os.WriteFile(filepath.Join(dir, "variants.xml"), []byte(strings.ReplaceAll(variantsXML, "%ARCH%", arch)), 0o644)
	cfg := writeConfig(t, dir, `release: {name: Extra, short: EX, version: "1"}
variants_file: variants.xml
target_dir: out
extra_files:
  - variant: ^Modular$
    files:
      "*": [{file: extra/GPL}, {dir: extra/keys, target: keys}]
      `+arch+`: [{file: extra/README, target: docs}]
  - variant: ^Other$
    files: {"*": [{file: extra/README}]}
repos: [`+strings.Join(repos, ", ")+`]
`)
	res, err := Run(context.Background(), cfg, &Options{NoLatestLink: true})
	if err != nil {
		t.Fatal(err)
	}
	tree := "Modular/" + arch + "/os"
	comp := filepath.Join(res.Dir, "compose")
	want := map[string]string{"GPL": "extra/GPL", "keys/RPM-GPG-KEY-test": "extra/keys/RPM-GPG-KEY-test", "docs/README": "extra/README"}
	var ef productmd.ExtraFiles
	if err := productmd.Load(filepath.Join(comp, "metadata", "extra_files.json"), &ef); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range ef.ExtraFiles["Modular"][arch] {
		rel := strings.TrimPrefix(f.File, tree+"/")
		data, err := os.ReadFile(filepath.Join(comp, filepath.FromSlash(f.File)))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if f.Size != int64(len(data)) || f.Checksums["sha256"] != hex.EncodeToString(sum[:]) || len(f.Checksums["md5"]) != 32 || len(f.Checksums["sha1"]) != 40 {
			t.Errorf("%s: size %d, checksums %v", f.File, f.Size, f.Checksums)
		}
		for src, content := range files {
			if content == string(data) {
				got[rel] = src
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("extra files in the tree (-want +got):\n%s", diff)
	}
	// The tree's own list: paths relative to the tree, sorted.
	var treeList struct {
		Header map[string]string `json:"header"`
		Data   []struct {
			File string `json:"file"`
			Size int64  `json:"size"`
		} `json:"data"`
	}
	b, err := os.ReadFile(filepath.Join(comp, filepath.FromSlash(tree), "extra_files.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &treeList); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range treeList.Data {
		names = append(names, d.File)
	}
	if treeList.Header["version"] != "1.0" || !cmp.Equal(names, []string{"GPL", "docs/README", "keys/RPM-GPG-KEY-test"}) {
		t.Errorf("tree extra_files.json:\n%s", b)
	}
	// productmd loads the metadata (and re-dumps what we wrote).
	for _, rep := range productmdOracle(t, filepath.Join(comp, "metadata", "extra_files.json")) {
		if rep["verdict"] != "ok" {
			t.Errorf("productmd rejects %s: %v", rep["file"], rep["error"])
			continue
		}
		var v any
		json.Unmarshal(mustRead(t, filepath.Join(comp, "metadata", "extra_files.json")), &v)
		if diff := cmp.Diff(rep["dump"], v); diff != "" {
			t.Errorf("productmd's re-dump differs (-productmd +ours):\n%s", diff)
		}
	}
	// A target outside the tree is refused with its position.
	_, err = ParseConfig(filepath.Join(dir, "bad.yaml"), []byte("release: {name: B, short: B, version: \"1\"}\nvariants_file: v.xml\nrepos: [r]\nextra_files:\n  - variant: .*\n    files: {\"*\": [{file: x, target: ../up}]}\n"))
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Line != 6 || !strings.Contains(ce.Msg, "relative path inside the tree") {
		t.Errorf("target ../up: %v", err)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
