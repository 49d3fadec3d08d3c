package pungi

import (
	"compress/gzip"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestReadPackages(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "repodata"), 0o755); err != nil {
		t.Fatal(err)
	}
	repomd := `<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo"><data type="primary"><location href="repodata/p-primary.xml.gz"/></data></repomd>`
	primary := `<?xml version="1.0" encoding="UTF-8"?>
<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="2">
<package type="rpm"><name>hello</name><arch>noarch</arch><version epoch="0" ver="1.0" rel="1"/><summary>s</summary></package>
<package type="rpm"><name>bye</name><arch>x86_64</arch><version epoch="2" ver="3" rel="4.fc39"/></package>
</metadata>`
	if err := os.WriteFile(filepath.Join(dir, "repodata", "repomd.xml"), []byte(repomd), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "repodata", "p-primary.xml.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	zw.Write([]byte(primary))
	zw.Close()
	f.Close()
	got, err := ReadPackages(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"hello-0:1.0-1.noarch", "bye-2:3-4.fc39.x86_64"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := ReadPackages(t.TempDir()); err == nil {
		t.Error("a directory without repodata must fail")
	}
}
