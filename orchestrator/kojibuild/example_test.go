package kojibuild_test

import (
	"fmt"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/kojibuild"
)

func ExampleNamesOf() {
	mb := &orchestrator.ModuleBuild{Name: "nodejs", Stream: "20", Version: "4020240101000000", Context: "abcd1234"}
	n := kojibuild.NamesOf(mb)
	fmt.Println(n.Tag)
	fmt.Println(n.BuildTag)
	fmt.Println(n.Target)
	// Output:
	// module-nodejs-20-4020240101000000-abcd1234
	// module-nodejs-20-4020240101000000-abcd1234-build
	// module-nodejs-20-4020240101000000-abcd1234
}

func ExampleNew() {
	kc, err := koji.NewClient("https://koji.example.org/kojihub", koji.WithAuth(koji.CertificateAuth{}))
	if err != nil {
		panic(err)
	}
	b, err := kojibuild.New(&kojibuild.Options{Client: kc, Arches: []string{"x86_64", "aarch64"},
		CandidateTag: "{}-modular-updates-candidate"})
	if err != nil {
		panic(err)
	}
	fmt.Println(b.TaskURL("12345"))
	// Output: https://koji.example.org/koji/taskinfo?taskID=12345
}
