package productmd

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/modkit/modkit/internal/testenv"
)

// TestSamplesMatchProductmd reads real files of every header version
// (../shared/testdata) and checks that what we write from them is what
// productmd itself writes after loading them, field by field.
func TestSamplesMatchProductmd(t *testing.T) {
	t.Parallel()
	td := testenv.SharedDir(t, "testdata")
	cases := []struct {
		file, kind string
		v          any
	}{
		{"productmd/composeinfo-layered-legacy-v0.3.json", "composeinfo", &ComposeInfo{}},
		{"productmd/composeinfo-legacy-1.0.json", "composeinfo", &ComposeInfo{}},
		{"pungi/DP-1.0-20161013.t.4/compose/metadata/composeinfo.json", "composeinfo", &ComposeInfo{}},
		{"productmd/images-fedora20-v1.0.json", "images", &Images{}},
		{"productmd/images-fedora23-v1.1.json", "images", &Images{}},
		{"pungi/DP-1.0-20161013.t.4/compose/metadata/images.json", "images", &Images{}},
		{"productmd/treeinfo-fedora21-server-x86_64", "treeinfo", &TreeInfo{}},
		{"productmd/treeinfo-multivariants", "treeinfo", &TreeInfo{}},
		{"productmd/treeinfo-rhel8-beta-x86_64", "treeinfo", &TreeInfo{}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(td, c.file)
			if err := Load(path, c.v); err != nil {
				t.Fatal(err)
			}
			reps := oracle(t, c.kind, path)
			if len(reps) != 1 || reps[0].Verdict != "ok" {
				t.Fatalf("productmd: %+v", reps)
			}
			compareWithOracle(t, c.v, reps[0])
		})
	}
}

// compareWithOracle marshals v and compares it with productmd's re-dump.
func compareWithOracle(t *testing.T, v any, rep oracleReport) {
	t.Helper()
	switch x := v.(type) {
	case *TreeInfo:
		got, err := x.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(rep.Dump, string(got)); diff != "" {
			t.Errorf("treeinfo differs from productmd's (-productmd +ours):\n%s", diff)
		}
	case json.Marshaler:
		got, err := x.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(rep.Dump, asJSON(t, got)); diff != "" {
			t.Errorf("differs from productmd's (-productmd +ours):\n%s", diff)
		}
	}
}

// sampleCompose is a compose with a bit of everything.
func sampleCompose() Compose {
	return Compose{ID: "Mod-1.0-20260102.n.3", Type: ComposeNightly, Date: "20260102", Respin: 3}
}

func sampleComposeInfo() *ComposeInfo {
	server := &Variant{ID: "Server", UID: "Server", Name: "Server ☃", Type: VariantVariant, Arches: []string{"x86_64", "aarch64"}}
	for _, a := range server.Arches {
		server.SetPath("os_tree", a, "Server/"+a+"/os")
		server.SetPath("repository", a, "Server/"+a+"/os")
		server.SetPath("packages", a, "Server/"+a+"/os/Packages")
		server.SetPath("debug_tree", a, "Server/"+a+"/debug/tree")
		server.SetPath("source_tree", a, "Server/source/tree")
	}
	opt := &Variant{ID: "optional", UID: "Server-optional", Name: "optional", Type: VariantOptional, Arches: []string{"x86_64"}}
	opt.SetPath("os_tree", "x86_64", "Server-optional/x86_64/os")
	addon := &Variant{ID: "HA", UID: "Server-HA", Name: "High \"Availability\"", Type: VariantAddon, Arches: []string{"x86_64"}}
	lp := &Variant{ID: "Tools", UID: "Server-Tools", Name: "Tools", Type: VariantLayeredProduct, Arches: []string{"aarch64"},
		Release: &Release{Name: "Tools", Short: "tools", Version: "2"}}
	server.Variants = []*Variant{opt, addon, lp}
	modular := &Variant{ID: "Modular", UID: "Modular", Name: "Modular", Type: VariantVariant, Arches: []string{"x86_64"}}
	modular.SetPath("repository", "x86_64", "Modular/x86_64/os")
	return &ComposeInfo{
		Compose:  Compose{ID: "Mod-1.0-20260102.n.3", Type: ComposeNightly, Date: "20260102", Respin: 3, Label: "Beta-1.2", Final: false},
		Release:  Release{Name: "Modkit", Short: "Mod", Version: "1.0", Type: "ga"},
		Variants: []*Variant{server, modular},
	}
}

func sampleMetadata(t *testing.T) map[string]any {
	t.Helper()
	c := sampleCompose()
	rpms := &RPMs{Compose: c}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(rpms.Add("Server", "x86_64", "bash-0:4.4-1.x86_64", "Server/x86_64/os/Packages/b/bash-4.4-1.x86_64.rpm", "ABCDEF12", CategoryBinary, "bash-0:4.4-1.src"))
	must(rpms.Add("Server", "x86_64", "bash-debuginfo-1:4.4-1.x86_64", "Server/x86_64/debug/tree/Packages/b/bash-debuginfo-4.4-1.x86_64.rpm", "", CategoryDebug, "bash-0:4.4-1.src"))
	must(rpms.Add("Server", "x86_64", "bash-0:4.4-1.src", "Server/source/tree/Packages/b/bash-4.4-1.src.rpm", "", CategorySource, ""))
	mods := &Modules{Compose: c}
	must(mods.Add("Server", "x86_64", "nodejs:20:20260101:abcd1234", "module-nodejs-20", "Server/x86_64/os/repodata/x-modules.yaml.gz", CategoryBinary, []string{"nodejs-1:20.1-1.module+el.x86_64"}))
	must(mods.Add("Server", "aarch64", "perl:5.30", "DUMMY", "Server/aarch64/os/repodata/y-modules.yaml.gz", CategoryBinary, nil))
	imgs := &Images{Compose: c}
	must(imgs.Add("Server", "x86_64", Image{Path: "Server/x86_64/iso/b.iso", Mtime: 1700000000, Size: 123, VolumeID: "Mod-1", Type: "dvd",
		Format: "iso", Arch: "x86_64", DiscNumber: 1, DiscCount: 1, Checksums: map[string]string{"sha256": strings.Repeat("ab", 32)},
		ImplantMD5: strings.Repeat("0f", 16), Bootable: true, Subvariant: "Server"}))
	must(imgs.Add("Server", "x86_64", Image{Path: "Server/x86_64/images/a.qcow2", Mtime: 1, Size: 2, Type: "qcow2", Format: "qcow2",
		Arch: "x86_64", DiscNumber: 1, DiscCount: 1, Checksums: map[string]string{"md5": strings.Repeat("1", 32)}, Subvariant: "Cloud",
		Unified: true, AdditionalVariants: []string{"Modular"}}))
	ef := &ExtraFiles{Compose: c}
	must(ef.Add("Server", "x86_64", ExtraFile{File: "Server/x86_64/os/GPL", Size: 18092, Checksums: map[string]string{"sha256": strings.Repeat("c", 64)}}))
	tree := &TreeInfo{
		Release: TreeRelease{Name: "Modkit", Short: "Mod", Version: "1.0"},
		Tree:    Tree{Arch: "x86_64", BuildTimestamp: 1767312000, Platforms: []string{"x86_64", "xen"}},
		Variants: []*TreeVariant{{ID: "Server", UID: "Server", Name: "Server", Type: VariantVariant,
			Paths:    TreePaths{Packages: "Packages", Repository: "."},
			Variants: []*TreeVariant{{ID: "HA", UID: "Server-HA", Name: "HA", Type: VariantAddon, Paths: TreePaths{Packages: "addons/HA/Packages", Repository: "addons/HA"}}}}},
		Checksums: map[string]Checksum{"repodata/repomd.xml": {"sha256", strings.Repeat("d", 64)}},
		Images:    map[string]map[string]string{"x86_64": {"kernel": "images/pxeboot/vmlinuz"}},
		MainImage: "LiveOS/squashfs.img",
		DiscNum:   1, TotalDiscs: 1,
	}
	return map[string]any{"composeinfo.json": sampleComposeInfo(), "rpms.json": rpms, "modules.json": mods,
		"images.json": imgs, "extra_files.json": ef, ".treeinfo": tree}
}

// TestWrittenFilesLoadInProductmd writes one file of each kind and checks
// productmd loads it and re-dumps the same data, and that our decoder reads
// back what we wrote.
func TestWrittenFilesLoadInProductmd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	meta := filepath.Join(dir, "compose", "metadata")
	if err := os.MkdirAll(meta, 0o755); err != nil {
		t.Fatal(err)
	}
	files := sampleMetadata(t)
	for name, v := range files {
		if err := Save(filepath.Join(meta, name), v); err != nil {
			t.Fatal(err)
		}
	}
	reps := oracle(t, "", dir)
	if len(reps) != len(files) {
		t.Fatalf("productmd checked %d files, want %d: %+v", len(reps), len(files), reps)
	}
	for _, rep := range reps {
		name := filepath.Base(rep.File)
		t.Run(name, func(t *testing.T) {
			if rep.Verdict != "ok" {
				t.Fatalf("productmd rejects our %s: %s", name, rep.Error)
			}
			if rep.HeaderVersion != FormatVersion {
				t.Errorf("header version %s", rep.HeaderVersion)
			}
			v := files[name]
			compareWithOracle(t, v, rep)
			// Read back and write again: identical bytes.
			first, _ := os.ReadFile(rep.File)
			var back any
			switch v.(type) {
			case *ComposeInfo:
				back = &ComposeInfo{}
			case *RPMs:
				back = &RPMs{}
			case *Modules:
				back = &Modules{}
			case *Images:
				back = &Images{}
			case *ExtraFiles:
				back = &ExtraFiles{}
			case *TreeInfo:
				back = &TreeInfo{}
			}
			if err := Load(rep.File, back); err != nil {
				t.Fatal(err)
			}
			again := filepath.Join(t.TempDir(), name)
			if err := Save(again, back); err != nil {
				t.Fatal(err)
			}
			second, _ := os.ReadFile(again)
			if diff := cmp.Diff(string(first), string(second)); diff != "" {
				t.Errorf("write, read, write differs:\n%s", diff)
			}
		})
	}
}

// TestOutputIsProductmdBytes checks the exact bytes productmd writes:
// sorted keys, four spaces, ", "-free item separators, ASCII escapes.
func TestOutputIsProductmdBytes(t *testing.T) {
	t.Parallel()
	ci := &ComposeInfo{
		Compose:  Compose{ID: "X-1-20260102.0", Type: ComposeProduction, Date: "20260102"},
		Release:  Release{Name: "X é \U0001F600 <&>", Short: "X", Version: "1"},
		Variants: []*Variant{{ID: "A", UID: "A", Name: "A\n\"b\"", Type: VariantVariant, Arches: []string{"x86_64"}}},
	}
	got, err := ci.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{
    "header": {
        "type": "productmd.composeinfo",
        "version": "1.2"
    },
    "payload": {
        "compose": {
            "date": "20260102",
            "id": "X-1-20260102.0",
            "respin": 0,
            "type": "production"
        },
        "release": {
            "internal": false,
            "name": "X \u00e9 \ud83d\ude00 <&>",
            "short": "X",
            "type": "ga",
            "version": "1"
        },
        "variants": {
            "A": {
                "arches": [
                    "x86_64"
                ],
                "id": "A",
                "name": "A\n\"b\"",
                "paths": {},
                "type": "variant",
                "uid": "A"
            }
        }
    }
}`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Error(diff)
	}
}

// TestValidation lists productmd's rules; each bad document is rejected by
// us with the field named, and by productmd too.
func TestValidation(t *testing.T) {
	t.Parallel()
	const head = `{"header": {"type": "productmd.%s", "version": "1.2"}, "payload": {"compose": %s, %s}}`
	goodCompose := `{"id": "F-1-20260101.n.0", "type": "nightly", "date": "20260101", "respin": 0}`
	rel := `"release": {"name": "F", "short": "F", "version": "1", "type": "ga", "internal": false}`
	variant := func(body string) string {
		return `"variants": {` + body + `}, ` + rel
	}
	cases := []struct {
		name, kind, doc, field string
	}{
		{"compose id without date", "composeinfo", fmtDoc(head, "composeinfo", `{"id": "F-1", "type": "nightly", "date": "20260101", "respin": 0}`, variant("")), "payload.compose.id"},
		{"bad date", "composeinfo", fmtDoc(head, "composeinfo", `{"id": "F-1-20260101.n.0", "type": "nightly", "date": "2026-01-01", "respin": 0}`, variant("")), "payload.compose.date"},
		{"bad compose type", "composeinfo", fmtDoc(head, "composeinfo", `{"id": "F-1-20260101.n.0", "type": "weekly", "date": "20260101", "respin": 0}`, variant("")), "payload.compose.type"},
		{"bad label", "composeinfo", fmtDoc(head, "composeinfo", `{"id": "F-1-20260101.n.0", "type": "nightly", "date": "20260101", "respin": 0, "label": "Gamma-1.0"}`, variant("")), "payload.compose.label"},
		{"respin string", "composeinfo", fmtDoc(head, "composeinfo", `{"id": "F-1-20260101.n.0", "type": "nightly", "date": "20260101", "respin": "0"}`, variant("")), "respin"},
		{"bad release version", "composeinfo", fmtDoc(head, "composeinfo", goodCompose, `"variants": {}, "release": {"name": "F", "short": "F", "version": "1..2", "type": "ga"}`), "payload.release.version"},
		{"bad release type", "composeinfo", fmtDoc(head, "composeinfo", goodCompose, `"variants": {}, "release": {"name": "F", "short": "F", "version": "1", "type": "beta"}`), "payload.release.type"},
		{"variant id with dash", "composeinfo", fmtDoc(head, "composeinfo", goodCompose, variant(`"A-B": {"id": "A-B", "uid": "A-B", "name": "x", "type": "variant", "arches": ["x86_64"], "paths": {}}`)), "payload.variants.A-B"},
		{"variant without arches", "composeinfo", fmtDoc(head, "composeinfo", goodCompose, variant(`"A": {"id": "A", "uid": "A", "name": "x", "type": "variant", "arches": [], "paths": {}}`)), "payload.variants.A.arches"},
		{"variant blank name", "composeinfo", fmtDoc(head, "composeinfo", goodCompose, variant(`"A": {"id": "A", "uid": "A", "name": "", "type": "variant", "arches": ["x86_64"], "paths": {}}`)), "payload.variants.A.name"},
		{"variant bad type", "composeinfo", fmtDoc(head, "composeinfo", goodCompose, variant(`"A": {"id": "A", "uid": "A", "name": "a", "type": "module", "arches": ["x86_64"], "paths": {}}`)), "payload.variants.A.type"},
		{"child uid", "composeinfo", fmtDoc(head, "composeinfo", goodCompose, variant(`"A": {"id": "A", "uid": "A", "name": "a", "type": "variant", "arches": ["x86_64"], "paths": {}, "variants": ["B"]}, "A-B": {"id": "B", "uid": "A-C", "name": "b", "type": "addon", "arches": ["x86_64"], "paths": {}}`)), "payload.variants.A-C.uid"},
		{"child arch", "composeinfo", fmtDoc(head, "composeinfo", goodCompose, variant(`"A": {"id": "A", "uid": "A", "name": "a", "type": "variant", "arches": ["x86_64"], "paths": {}, "variants": ["B"]}, "A-B": {"id": "B", "uid": "A-B", "name": "b", "type": "addon", "arches": ["s390x"], "paths": {}}`)), "payload.variants.A-B.arches"},
		{"wrong header type", "composeinfo", `{"header": {"type": "productmd.rpms", "version": "1.2"}, "payload": {}}`, "header.type"},
		{"bad header version", "composeinfo", `{"header": {"type": "productmd.composeinfo", "version": "1"}, "payload": {}}`, "header.version"},
		{"image type", "images", fmtDoc(head, "images", goodCompose, `"images": {"A": {"x86_64": [{"path": "a.iso", "mtime": 1, "size": 1, "volume_id": null, "type": "floppy", "format": "iso", "arch": "x86_64", "disc_number": 1, "disc_count": 1, "checksums": {"md5": "00000000000000000000000000000000"}, "implant_md5": null, "bootable": false, "subvariant": ""}]}}`), ".type"},
		{"image implant", "images", fmtDoc(head, "images", goodCompose, `"images": {"A": {"x86_64": [{"path": "a.iso", "mtime": 1, "size": 1, "volume_id": null, "type": "dvd", "format": "iso", "arch": "x86_64", "disc_number": 1, "disc_count": 1, "checksums": {"md5": "00000000000000000000000000000000"}, "implant_md5": "XYZ", "bootable": false, "subvariant": ""}]}}`), ".implant_md5"},
		{"image no checksums", "images", fmtDoc(head, "images", goodCompose, `"images": {"A": {"x86_64": [{"path": "a.iso", "mtime": 1, "size": 1, "volume_id": null, "type": "dvd", "format": "iso", "arch": "x86_64", "disc_number": 1, "disc_count": 1, "checksums": {}, "implant_md5": null, "bootable": false, "subvariant": ""}]}}`), ".checksums"},
		{"image src arch in 1.2", "images", fmtDoc(head, "images", goodCompose, `"images": {"A": {"src": [{"path": "a.iso", "mtime": 1, "size": 1, "volume_id": null, "type": "dvd", "format": "iso", "arch": "src", "disc_number": 1, "disc_count": 1, "checksums": {"md5": "00000000000000000000000000000000"}, "implant_md5": null, "bootable": false, "subvariant": ""}]}}`), "payload.images.A.src"},
		{"image duplicate identity", "images", fmtDoc(head, "images", goodCompose, `"images": {"A": {"x86_64": [
			{"path": "a.iso", "mtime": 1, "size": 1, "volume_id": null, "type": "dvd", "format": "iso", "arch": "x86_64", "disc_number": 1, "disc_count": 1, "checksums": {"md5": "00000000000000000000000000000000"}, "implant_md5": null, "bootable": false, "subvariant": ""},
			{"path": "b.iso", "mtime": 1, "size": 1, "volume_id": null, "type": "dvd", "format": "iso", "arch": "x86_64", "disc_number": 1, "disc_count": 1, "checksums": {"md5": "11111111111111111111111111111111"}, "implant_md5": null, "bootable": false, "subvariant": ""}]}}`), "payload.images.A.x86_64.b.iso"},
	}
	dir := t.TempDir()
	var paths []string
	for i, c := range cases {
		var v json.Unmarshaler
		switch c.kind {
		case "composeinfo":
			v = &ComposeInfo{}
		case "images":
			v = &Images{}
		}
		err := v.UnmarshalJSON([]byte(c.doc))
		if err == nil {
			t.Errorf("%s: accepted", c.name)
		} else if !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: error does not name %s: %v", c.name, c.field, err)
		}
		p := filepath.Join(dir, c.kind+"-"+string(rune('a'+i))+".json")
		if err := os.WriteFile(p, []byte(c.doc), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	// productmd agrees that each one is invalid.
	for i, rep := range oracle(t, "", paths...) {
		if rep.Verdict == "ok" {
			t.Errorf("%s: productmd accepts what we reject", cases[i].name)
		}
	}
}

func fmtDoc(head, kind, compose, rest string) string {
	return strings.NewReplacer().Replace(sprintf(head, kind, compose, rest))
}

// TestWriterRules checks the rules productmd applies when data is added,
// which our Add methods and encoders apply as well.
func TestWriterRules(t *testing.T) {
	t.Parallel()
	c := sampleCompose()
	r := &RPMs{Compose: c}
	for _, tc := range []struct {
		name                                     string
		arch, nevra, path, category, srpm, field string
	}{
		{"no epoch", "x86_64", "bash-4.4-1.x86_64", "p", CategoryBinary, "bash-4.4-1.src", "missing epoch"},
		{"source arch", "src", "bash-0:4.4-1.src", "p", CategorySource, "", "source arch"},
		{"unknown arch", "pdp11", "bash-0:4.4-1.pdp11", "p", CategoryBinary, "bash-0:4.4-1.src", "not an RPM arch"},
		{"absolute path", "x86_64", "bash-0:4.4-1.x86_64", "/p", CategoryBinary, "bash-0:4.4-1.src", "relative"},
		{"bad category", "x86_64", "bash-0:4.4-1.x86_64", "p", "doc", "bash-0:4.4-1.src", "category"},
		{"binary without srpm", "x86_64", "bash-0:4.4-1.x86_64", "p", CategoryBinary, "", "missing source RPM"},
		{"source category binary arch", "x86_64", "bash-0:4.4-1.x86_64", "p", CategorySource, "", "does not fit"},
	} {
		err := r.Add("Server", tc.arch, tc.nevra, tc.path, "", tc.category, tc.srpm)
		var ve *ValidationError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("rpms %s: %v", tc.name, err)
		}
	}
	m := &Modules{Compose: c}
	if err := m.Add("Server", "x86_64", "nostream", "tag", "p", CategoryBinary, nil); err == nil {
		t.Error("module uid without stream accepted")
	}
	if err := m.Add("Server", "x86_64", "a:b", "", "p", CategoryBinary, nil); err == nil || !strings.Contains(err.Error(), "koji_tag") {
		t.Errorf("empty koji tag: %v", err)
	}
	e := &ExtraFiles{Compose: c}
	if err := e.Add("Server", "x86_64", ExtraFile{File: "/abs", Checksums: map[string]string{"sha256": "00"}}); err == nil ||
		!strings.Contains(err.Error(), "relative") || !strings.Contains(err.Error(), "hex digest") {
		t.Errorf("extra file: %v", err)
	}
	ci := sampleComposeInfo()
	ci.Compose.Type = "weekly"
	ci.Variants[0].Arches = nil
	err := ci.Validate()
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) < 3 {
		t.Errorf("want every problem at once, got %v", err)
	}
	if _, err := ci.MarshalJSON(); err == nil {
		t.Error("MarshalJSON wrote an invalid document")
	}
}

func TestComposeIDs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		release       Release
		base          *BaseProduct
		date, typ, id string
		respin        int
	}{
		{Release{Short: "Fedora", Version: "27"}, nil, "20170829", ComposeNightly, "Fedora-27-20170829.n.0", 0},
		{Release{Short: "Fedora", Version: "27"}, nil, "20171105", ComposeProduction, "Fedora-27-20171105.0", 0},
		{Release{Short: "DP", Version: "1.0"}, nil, "20161013", ComposeTest, "DP-1.0-20161013.t.4", 4},
		{Release{Short: "Fedora", Version: "27", Type: "updates"}, nil, "20180412", ComposeProduction, "Fedora-27-updates-20180412.0", 0},
		{Release{Short: "MYPRODUCT", Version: "2.1", IsLayered: true}, &BaseProduct{Short: "RHEL", Version: "7"}, "20161110", ComposeTest, "MYPRODUCT-2.1-RHEL-7-20161110.t.0", 0},
		{Release{Short: "X", Version: "1"}, nil, "20260101", ComposeCI, "X-1-20260101.ci.2", 2},
		{Release{Short: "X", Version: "1"}, nil, "20260101", ComposeDevelopment, "X-1-20260101.d.0", 0},
	} {
		id, err := ComposeIDFor(tc.release, tc.base, tc.date, tc.typ, tc.respin)
		if err != nil || id != tc.id {
			t.Errorf("ComposeIDFor = %q, %v; want %q", id, err, tc.id)
		}
		d, ty, r, err := ParseComposeID(id)
		if tc.typ == ComposeDevelopment {
			continue // productmd's parser does not know ".d"
		}
		if err != nil || d != tc.date || ty != tc.typ || r != tc.respin {
			t.Errorf("ParseComposeID(%q) = %s %s %d %v", id, d, ty, r, err)
		}
	}
	if _, _, _, err := ParseComposeID("X-1-20260101.weekly.0"); err == nil {
		t.Error("unknown type suffix accepted")
	}
	if _, err := ComposeIDFor(Release{Short: "X", Version: "1"}, nil, "2026", ComposeTest, 0); err == nil {
		t.Error("bad date accepted")
	}
	a := Compose{Date: "20260101", Type: ComposeTest, Respin: 9}
	b := Compose{Date: "20260101", Type: ComposeNightly, Respin: 0}
	if a.Compare(&b) >= 0 {
		t.Error("test composes sort before nightly ones of the same date")
	}
	if CompareLabels("Beta-1.10", "Beta-1.9") <= 0 || CompareLabels("RC-1.0", "Beta-9.9") <= 0 {
		t.Error("label order")
	}
}

func TestSyntaxErrorPosition(t *testing.T) {
	t.Parallel()
	var ci ComposeInfo
	err := ci.UnmarshalJSON([]byte("{\n  \"header\": {\n    \"version\": 1.2,\n"))
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line == 0 {
		t.Fatalf("got %v", err)
	}
	err = ci.UnmarshalJSON([]byte("{\n  \"header\": {\"version\": \"1.2\", \"type\": \"productmd.composeinfo\"},\n  \"payload\": {\"compose\": {\"id\": 5}}}"))
	if !errors.As(err, &se) || se.Line != 3 {
		t.Fatalf("got %v", err)
	}
	var ti TreeInfo
	err = ti.UnmarshalText([]byte("[header]\nversion = 1.2\nversion = 1.1\n"))
	if !errors.As(err, &se) || se.Line != 3 {
		t.Fatalf("treeinfo: got %v", err)
	}
	if err := ci.UnmarshalJSON([]byte(`{"header": {"type": "productmd.composeinfo", "version": "2.0"}, "payload": {}}`)); !errors.Is(err, ErrUnsupportedVersion) {
		t.Fatalf("2.0: %v", err)
	}
}
