package localbuild_test

import (
	"fmt"

	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/localbuild"
)

// A local builder is the Builder of a module build service; the service
// (orchestrator.NewService with a Store) drives it.
func ExampleNew() {
	b, err := localbuild.New(&localbuild.Options{Dir: "/var/tmp/modkit-builds", Jobs: 2})
	if err != nil {
		fmt.Println(err) // names the packages to install when a program is missing
		return
	}
	var _ orchestrator.Builder = b
	fmt.Println("building for", b.Arch())
}
