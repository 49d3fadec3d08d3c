package pungi_test

import (
	"fmt"

	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/pungi"
)

// FillArtifacts turns the RPMs of a build into the final modulemd's
// artifacts, leaving out filtered packages.
func ExampleFillArtifacts() {
	s := &modulemd.Stream{Name: "hello", Stream: "1", Filter: []string{"hello-libs-devel"}}
	rpms := []pungi.RPM{
		{Name: "hello", Version: "1.0", Release: "1.module+el9+1+abcd1234", Arch: "noarch", License: "MIT"},
		{Name: "hello", Version: "1.0", Release: "1.module+el9+1+abcd1234", Arch: "src", License: "MIT"},
		{Name: "hello-libs-devel", Version: "1.0", Release: "1.module+el9+1+abcd1234", Arch: "noarch", License: "MIT"},
	}
	pungi.FillArtifacts(s, rpms)
	fmt.Println(s.Artifacts.RPMs)
	fmt.Println(s.License.Content)
	// Output:
	// [hello-0:1.0-1.module+el9+1+abcd1234.noarch hello-0:1.0-1.module+el9+1+abcd1234.src]
	// [MIT]
}
