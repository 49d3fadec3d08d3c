package productmd_test

import (
	"fmt"

	"github.com/modkit/modkit/pungi/productmd"
)

func ExampleComposeIDFor() {
	id, _ := productmd.ComposeIDFor(productmd.Release{Short: "Fedora", Version: "27"}, nil, "20170829", productmd.ComposeNightly, 0)
	fmt.Println(id)
	// Output: Fedora-27-20170829.n.0
}

func ExampleModules_Add() {
	m := &productmd.Modules{Compose: productmd.Compose{ID: "Mod-1-20260101.n.0", Type: productmd.ComposeNightly, Date: "20260101"}}
	_ = m.Add("Modular", "x86_64", "nodejs:20:20260101120000:abcd1234", "module-nodejs-20-20260101120000-abcd1234",
		"Modular/x86_64/os/repodata/0f-modules.yaml.gz", productmd.CategoryBinary, []string{"nodejs-1:20.1-1.x86_64"})
	out, err := m.MarshalJSON()
	fmt.Println(len(out) > 0, err)
	// Output: true <nil>
}

func ExampleComposeInfo_UnmarshalJSON() {
	var ci productmd.ComposeInfo
	err := ci.UnmarshalJSON([]byte(`{"header": {"type": "productmd.composeinfo", "version": "1.2"},
	  "payload": {"compose": {"id": "X-1-20260101.t.0", "type": "test", "date": "20260101", "respin": 0},
	              "release": {"name": "X", "short": "X", "version": "1", "type": "ga", "internal": false},
	              "variants": {"Server-x": {"id": "x", "uid": "Server-x", "name": "x", "type": "variant", "arches": ["x86_64"], "paths": {}}}}}`))
	fmt.Println(err)
	// Output: productmd: invalid productmd.composeinfo: payload.variants.Server-x: key does not match the variant's id "x" or uid "Server-x"
}
