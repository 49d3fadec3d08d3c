package compose

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/pungi/productmd"
)

// gpgKey makes a throwaway signing key in its own GnuPG home and returns
// the home and koji's sigkey for it (the last 8 hex digits of the key id).
func gpgKey(t testing.TB, name string) (home, sigkey string) {
	t.Helper()
	home, err := os.MkdirTemp("", "modkit-gpg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	os.Chmod(home, 0o700)
	if out, err := exec.Command("gpg", "--batch", "--homedir", home, "--passphrase", "", "--quick-gen-key", name+" <"+name+"@example.org>", "rsa2048", "sign", "never").CombinedOutput(); err != nil {
		t.Fatalf("gpg: %v\n%s", err, out)
	}
	out, err := exec.Command("gpg", "--batch", "--homedir", home, "--list-keys", "--with-colons").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if f := strings.Split(l, ":"); f[0] == "pub" && len(f) > 4 {
			return home, strings.ToLower(f[4][len(f[4])-8:])
		}
	}
	t.Fatalf("no key in %s", out)
	return "", ""
}

// signedCopy signs a copy of rpm with the key of home and returns the copy.
func signedCopy(t testing.TB, rpm, home, sigkey string) string {
	t.Helper()
	data, err := os.ReadFile(rpm)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), filepath.Base(rpm))
	os.WriteFile(dst, data, 0o644)
	gpg, _ := exec.LookPath("gpg")
	cmd := exec.Command("rpmsign", "--define", "__gpg "+gpg, "--define", "_gpg_name "+sigkey, "--define", "_gpg_path "+home, "--addsign", dst)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rpmsign: %v\n%s", err, out)
	}
	return dst
}

// sigHeader rips the signature header out of an RPM file, as koji's
// rip_rpm_sighdr does (the hub's addRPMSig takes it, base64-encoded).
func sigHeader(t testing.TB, rpm string) []byte {
	t.Helper()
	data, err := os.ReadFile(rpm)
	if err != nil {
		t.Fatal(err)
	}
	il, dl := int(binary.BigEndian.Uint32(data[96+8:])), int(binary.BigEndian.Uint32(data[96+12:]))
	n := 16 + 16*il + dl
	n += (8 - n%8) % 8
	return data[96 : 96+n]
}

// rpmKeyID is the key id rpm reports for a package's signature ("" when
// unsigned).
func rpmKeyID(t testing.TB, rpm string) string {
	t.Helper()
	out, err := exec.Command("rpm", "-qp", "--nosignature", "--qf", "%{RSAHEADER:pgpsig}", rpm).Output()
	if err != nil {
		t.Fatalf("rpm -qp %s: %v", rpm, err)
	}
	s := strings.TrimSpace(string(out))
	if i := strings.Index(s, "Key ID "); i >= 0 {
		id := s[i+len("Key ID "):]
		return id[len(id)-8:]
	}
	return ""
}

func fileSum(t testing.TB, p string) [32]byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(data)
}

// TestComposeSigkeys composes a module whose RPMs koji has signed with
// some keys: the first of the configured keys the hub has a signed copy
// for is what lands in Packages/ and rpms.json; a key recorded without a
// signed copy on disk gives way to the next; "" allows unsigned copies;
// and without any allowed copy the compose fails naming every RPM.
func TestComposeSigkeys(t *testing.T) {
	t.Parallel()
	testenv_RequireRPM(t)
	testenv.RequireTools(t, "gpg", "rpmsign", "rpm")
	testSigkeys(t, newKojiFixture(t), "")
}

// TestComposeSigkeysRealKoji is TestComposeSigkeys against a real koji hub
// (KOJI_HUB_URL, KOJI_TOPDIR, KOJI_ADMIN, KOJI_ADMIN_PASSWORD): the hub
// records the signatures (addRPMSig) and writes the signed copies
// (writeSignedRPM) itself.
func TestComposeSigkeysRealKoji(t *testing.T) {
	t.Parallel()
	testenv_RequireRPM(t)
	testenv.RequireTools(t, "gpg", "rpmsign", "rpm")
	f, sfx := realKojiFixture(t)
	testSigkeys(t, f, sfx)
}

func testSigkeys(t *testing.T, f *kojiFixture, sfx string) {
	ctx := context.Background()
	arch := hostArch()
	name := "signed" + sfx
	m := fixtureModule{name, "1", 20260201000000, "5e000001", map[string]string{name: "1.0"}}
	f.importModule(t, m, []string{arch})
	bin, src := buildRPM(t, f.rpms, name, "1.0", m.release())

	homeA, keyA := gpgKey(t, "alpha")
	homeB, keyB := gpgKey(t, "beta")
	homeD, keyD := gpgKey(t, "delta")
	ids := map[string]int64{}
	for _, a := range []string{"noarch", "src"} {
		var r koji.RPM
		if err := f.client.Call(ctx, "getRPM", &r, name+"-1.0-"+m.release()+"."+a); err != nil || r.ID == 0 {
			t.Fatalf("getRPM %s.%s: %v", name, a, err)
		}
		ids[a] = r.ID
	}
	// The binary RPM is signed with A, B and D (D's signed copy is never
	// written), the source RPM with A only.
	sign := func(file string, id int64, home, key string, write bool) string {
		s := signedCopy(t, file, home, key)
		if err := f.client.Call(ctx, "addRPMSig", nil, id, base64.StdEncoding.EncodeToString(sigHeader(t, s))); err != nil {
			t.Fatalf("addRPMSig %s: %v", key, err)
		}
		if write {
			if err := f.client.Call(ctx, "writeSignedRPM", nil, id, key); err != nil {
				t.Fatalf("writeSignedRPM %s: %v", key, err)
			}
		}
		return s
	}
	binA := sign(bin, ids["noarch"], homeA, keyA, true)
	binB := sign(bin, ids["noarch"], homeB, keyB, true)
	sign(bin, ids["noarch"], homeD, keyD, false)
	srcA := sign(src, ids["src"], homeA, keyA, true)

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "variants.xml"), []byte(`<variants><variant id="Signed" name="Signed" type="variant"><arches><arch>`+arch+
		`</arch></arches><modules><module>`+name+`:1</module></modules></variant></variants>`), 0o644)
	binName, srcName := filepath.Base(bin), filepath.Base(src)
	cases := []struct {
		name     string
		sigkeys  string
		wantBin  string // key of the binary RPM's copy; "" unsigned
		wantSrc  string
		wantFile map[string]string // file name → signed copy it must equal
		missing  []string          // RPMs the compose must name
	}{
		{"preferred key first", yamlList(keyB, keyA), keyB, keyA, map[string]string{binName: binB, srcName: srcA}, nil},
		{"key order respected", yamlList(keyA, keyB), keyA, keyA, map[string]string{binName: binA, srcName: srcA}, nil},
		{"recorded key without a signed copy gives way", yamlList(strings.ToUpper(keyD), keyA), keyA, keyA, map[string]string{binName: binA}, nil},
		{"unsigned allowed after the keys", strings.TrimSuffix(yamlList(keyB), "]") + ", null]", keyB, "", map[string]string{binName: binB, srcName: src}, nil},
		{"no key the hub has", "[0badc0de]", "", "", nil, []string{name + "-0:1.0-" + m.release() + ".noarch", name + "-0:1.0-" + m.release() + ".src"}},
		{"only B: the source RPM is missing", yamlList(keyB), "", "", nil, []string{name + "-0:1.0-" + m.release() + ".src"}},
	}
	for i, c := range cases {
		cfg := writeConfig(t, dir, `release: {name: Signed, short: Signed, version: "`+string(rune('1'+i))+`"}
variants_file: variants.xml
sigkeys: `+c.sigkeys+`
koji: {url: `+f.url()+`, topurl: `+f.topURL+`}
target_dir: out
`)
		res, err := Run(ctx, cfg, &Options{Koji: f.client, NoLatestLink: true})
		if c.missing != nil {
			var se *SigkeyError
			if !errors.As(err, &se) {
				t.Errorf("%s: error %v, want a *SigkeyError", c.name, err)
				continue
			}
			if diff := cmp.Diff(c.missing, se.RPMs); diff != "" {
				t.Errorf("%s: RPMs named (-want +got):\n%s", c.name, diff)
			}
			if st, _ := os.ReadFile(filepath.Join(res.Dir, "STATUS")); strings.TrimSpace(string(st)) != StatusDoomed {
				t.Errorf("%s: STATUS %q", c.name, st)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		comp := filepath.Join(res.Dir, "compose")
		pkgs := map[string]string{
			binName: filepath.Join(comp, "Signed", arch, "os", "Packages", "s", binName),
			srcName: filepath.Join(comp, "Signed", "source", "tree", "Packages", "s", srcName),
		}
		for name, want := range c.wantFile {
			if fileSum(t, pkgs[name]) != fileSum(t, want) {
				t.Errorf("%s: Packages/%s is not the expected copy %s", c.name, name, want)
			}
		}
		if got := rpmKeyID(t, pkgs[binName]); got != c.wantBin {
			t.Errorf("%s: binary RPM signed with %q, want %q", c.name, got, c.wantBin)
		}
		if got := rpmKeyID(t, pkgs[srcName]); got != c.wantSrc {
			t.Errorf("%s: source RPM signed with %q, want %q", c.name, got, c.wantSrc)
		}
		var rj productmd.RPMs
		if err := productmd.Load(filepath.Join(comp, "metadata", "rpms.json"), &rj); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, srpms := range rj.RPMs["Signed"][arch] {
			for nevra, e := range srpms {
				got[nevra] = e.Sigkey
			}
		}
		want := map[string]string{name + "-0:1.0-" + m.release() + ".noarch": c.wantBin, name + "-0:1.0-" + m.release() + ".src": c.wantSrc}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: rpms.json sigkeys (-want +got):\n%s", c.name, diff)
		}
	}
}

// yamlList writes keys as a YAML flow list of quoted strings: a key id of
// digits only (gpg makes them at random) would otherwise be a number.
func yamlList(keys ...string) string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = strconv.Quote(k)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
