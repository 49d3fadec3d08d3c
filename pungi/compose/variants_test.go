package compose

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/modkit/modkit/internal/testenv"
)

func TestParseVariantsPungiSample(t *testing.T) {
	t.Parallel()
	p := testenv.SharedDir(t, "testdata", "pungi", "variants-dummy.xml")
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vf, _, err := ParseVariants(p, f)
	if err != nil {
		t.Fatal(err)
	}
	var uids []string
	for _, v := range vf.All() {
		uids = append(uids, v.UID()+"/"+v.Type)
	}
	want := []string{"Live/variant", "Everything/variant", "Client/variant", "Server/variant", "Server-ResilientStorage/addon",
		"Server-Gluster/layered-product", "Server-optional/optional", "Foo-Tools/variant", "Bar-Tools/variant"}
	if diff := cmp.Diff(want, uids); diff != "" {
		t.Errorf("variants (-want +got):\n%s", diff)
	}
	srv := vf.Variants[3]
	if !srv.HasOptional || srv.Variants[1].Release == nil || srv.Variants[1].Release.Version != "2.3" {
		t.Errorf("Server: %+v", srv)
	}
	if vf.Variants[0].IsEmpty != true || vf.Variants[4].ProductmdID() != "FooTools" {
		t.Errorf("is_empty / productmd id wrong")
	}
	client := vf.Variants[2]
	if len(client.Groups) != 5 || *client.Groups[3].UserVisible || client.Environments[1].DisplayOrder != "1000" {
		t.Errorf("Client groups/environments: %+v %+v", client.Groups, client.Environments)
	}
}

func TestParseVariantsModules(t *testing.T) {
	t.Parallel()
	x := `<variants>
  <variant id="Modular" name="Modular" type="variant">
    <arches><arch>x86_64</arch></arches>
    <modules>
      <module>nodejs:8</module>
      <module>postgresql:10:20180131165407:6c81f848</module>
      <module glob="true">perl*:5.*</module>
      <module>old-stream-20180101000000</module>
      <module>*</module>
      <kojitag>f28-modular-updates</kojitag>
    </modules>
  </variant>
</variants>`
	vf, warns, err := ParseVariants("v.xml", strings.NewReader(x))
	if err != nil {
		t.Fatal(err)
	}
	var specs []string
	for _, s := range vf.Variants[0].Modules {
		specs = append(specs, s.String())
	}
	if diff := cmp.Diff([]string{"nodejs:8", "postgresql:10:20180131165407:6c81f848", "perl*:5.*", "old:stream:20180101000000", "*"}, specs); diff != "" {
		t.Errorf("specs (-want +got):\n%s", diff)
	}
	if !vf.Variants[0].Modules[2].Glob || vf.Variants[0].KojiTags[0] != "f28-modular-updates" {
		t.Errorf("glob/kojitag")
	}
	if len(warns) != 1 || warns[0].Line != 8 || !strings.Contains(warns[0].Msg, "deprecated") {
		t.Errorf("warnings: %+v", warns)
	}
}

func TestParseVariantsErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, xml string
		want      []string // "line:col: text"
	}{
		{"syntax", "<variants>\n  <variant id=\"A\"\n</variants>", []string{"3:"}},
		{"missing attributes", "<variants>\n  <variant id=\"A\">\n    <arches><arch>x86_64</arch></arches>\n  </variant>\n</variants>",
			[]string{"2:3: <variant> has no name attribute", "2:3: <variant> has no type attribute"}},
		{"no arches and bad type", "<variants>\n<variant id=\"A\" name=\"A\" type=\"module\"/>\n</variants>",
			[]string{`2:1: variant "A": type "module" is not one of`, `2:1: variant "A" has no <arches>`}},
		{"white space in arch", "<variants>\n<variant id=\"A\" name=\"A\" type=\"variant\">\n<arches><arch>x86 64</arch></arches></variant></variants>",
			[]string{`3:9: <arch> "x86 64" contains white space`}},
		{"bad module", "<variants><variant id=\"A\" name=\"A\" type=\"variant\"><arches><arch>x86_64</arch></arches>\n<modules>\n  <module>a:b:notanumber</module>\n</modules></variant></variants>",
			[]string{`3:3: module "a:b:notanumber": version "notanumber" is not a number`}},
		{"dangling ref", "<variants><variant id=\"A\" name=\"A\" type=\"variant\"><arches><arch>x86_64</arch></arches>\n<variants><ref id=\"Nope\"/></variants></variant></variants>",
			[]string{`2:11: <ref id="Nope"> refers to no top-level variant`}},
		{"child arch not in parent", "<variants><variant id=\"A\" name=\"A\" type=\"variant\"><arches><arch>x86_64</arch></arches>\n<variants>\n<variant id=\"o\" name=\"o\" type=\"optional\"><arches><arch>s390x</arch></arches></variant></variants></variant></variants>",
			[]string{`3:1: variant "A-o": arch s390x is not an arch of its parent "A"`}},
		{"unreferenced addon", "<variants>\n<variant id=\"X\" name=\"X\" type=\"addon\"><arches><arch>x86_64</arch></arches></variant></variants>",
			[]string{`2:1: top-level variant "X" has type addon but no variant refers to it`}},
		{"duplicate", "<variants>\n<variant id=\"A\" name=\"A\" type=\"variant\"><arches><arch>x86_64</arch></arches></variant>\n<variant id=\"A\" name=\"A\" type=\"variant\"><arches><arch>x86_64</arch></arches></variant></variants>",
			[]string{`3:1: variant "A" is defined twice (first at line 2)`}},
	}
	for _, c := range cases {
		_, _, err := ParseVariants("v.xml", strings.NewReader(c.xml))
		var ve *VariantsError
		if !errors.As(err, &ve) {
			t.Errorf("%s: got %v", c.name, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), "v.xml:"+w) {
				t.Errorf("%s: error lacks %q:\n%v", c.name, w, err)
			}
		}
	}
}

func FuzzParseVariants(f *testing.F) {
	f.Add([]byte(variantsXML))
	f.Add([]byte(`<variants><variant id="A" name="A" type="variant"><arches><arch>x</arch></arches><variants><ref id="B"/></variants></variant><variant id="B" name="B" type="addon"><arches><arch>x</arch></arches><variants><ref id="A"/></variants></variant></variants>`))
	if b, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "testdata", "pungi", "variants-dummy.xml")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		vf, _, err := ParseVariants("fuzz.xml", strings.NewReader(string(data)))
		if err != nil {
			var ve *VariantsError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("error is not a *VariantsError with problems: %v", err)
			}
			return
		}
		for _, v := range vf.All() {
			if v.UID() == "" || len(v.Arches) == 0 {
				t.Fatalf("accepted a variant without id or arches: %+v", v)
			}
		}
	})
}

func FuzzParseModuleSpec(f *testing.F) {
	for _, s := range []string{"a:b", "a:b:1:c", "*", "a-b-20180101000000", "a:b:c", "::", "a:b:1:c:d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, _, err := ParseModuleSpec(s)
		if err != nil {
			return
		}
		again, _, err := ParseModuleSpec(spec.String())
		if err != nil || again.String() != spec.String() {
			t.Fatalf("%q -> %q -> %q, %v", s, spec.String(), again.String(), err)
		}
	})
}
