package compose_test

import (
	"fmt"
	"strings"

	"github.com/modkit/modkit/pungi/compose"
)

func ExampleParseVariants() {
	vf, _, err := compose.ParseVariants("variants.xml", strings.NewReader(`<variants>
  <variant id="Modular" name="Modular" type="variant">
    <arches><arch>x86_64</arch><arch>aarch64</arch></arches>
    <modules>
      <module>nodejs:20</module>
      <kojitag>f39-modular-updates</kojitag>
    </modules>
  </variant>
</variants>`))
	if err != nil {
		fmt.Println(err)
		return
	}
	v := vf.Variants[0]
	fmt.Println(v.UID(), v.Arches, v.Modules[0], v.KojiTags)
	// Output: Modular [x86_64 aarch64] nodejs:20 [f39-modular-updates]
}

func ExampleParseVariants_errors() {
	_, _, err := compose.ParseVariants("variants.xml", strings.NewReader(`<variants>
  <variant id="Modular" name="Modular" type="variant">
    <arches><arch>x86_64</arch></arches>
    <modules><module>nodejs:twenty:x</module></modules>
  </variant>
</variants>`))
	fmt.Println(err)
	// Output: variants.xml:4:14: module "nodejs:twenty:x": version "x" is not a number
}

func ExampleParseModuleSpec() {
	for _, s := range []string{"perl:5.30", "perl:5.30:3020200101000000:abcd1234", "*"} {
		spec, _, _ := compose.ParseModuleSpec(s)
		fmt.Printf("%q name=%s stream=%s version=%s context=%s all=%v\n", s, spec.Name, spec.Stream, spec.Version, spec.Context, spec.All)
	}
	// Output:
	// "perl:5.30" name=perl stream=5.30 version= context= all=false
	// "perl:5.30:3020200101000000:abcd1234" name=perl stream=5.30 version=3020200101000000 context=abcd1234 all=false
	// "*" name= stream= version= context= all=true
}

func ExampleParseConfig() {
	_, err := compose.ParseConfig("compose.yaml", []byte(`release: {name: Fedora, short: Fedora, version: "39"}
variants_file: variants.xml
compose_type: production
koji: {url: "https://koji.example.org/kojihub"}
`))
	fmt.Println(err)
	// Output: compose.yaml:3:15: a production compose needs a label (label: RC-1.0) or no_label: true, as Pungi requires
}
