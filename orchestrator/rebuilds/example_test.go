package rebuilds_test

import (
	"fmt"

	"github.com/modkit/modkit/orchestrator/rebuilds"
)

// Rules in Freshmaker's shape: rebuild modules named web* anywhere, but
// never the private streams, and nothing the module-ready handler finds
// unless its stream is 1.
func ExampleParseRules() {
	rules, err := rebuilds.ParseRules(
		[]byte(`{"global": {"module": {"name": "web"}}, "UpdateDBOnModuleBuild": {"module": {"stream": "1$"}}}`),
		[]byte(`{"global": {"module": {"stream": ".*-private"}}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range []struct{ handler, name, stream string }{
		{rebuilds.HandlerGitRPMSpecChange, "webserver", "2"},
		{rebuilds.HandlerGitRPMSpecChange, "webserver", "2-private"},
		{rebuilds.HandlerModuleReady, "webapp", "2"},
		{rebuilds.HandlerModuleReady, "database", "1"},
	} {
		ok, why := rules.Decide(c.handler, rebuilds.ArtifactModule, map[string]string{"name": c.name, "stream": c.stream})
		fmt.Println(c.name+":"+c.stream, ok, why)
	}
	_, err = rebuilds.ParseRules([]byte(`{"global": {"module": {"name": "web("}}}`), nil)
	fmt.Println(err)
	// Output:
	// webserver:2 true allowed by allowlist global.module {"name":"web"}
	// webserver:2-private false blocked by blocklist global.module {"stream":".*-private"}
	// webapp:2 false not in allowlist global+UpdateDBOnModuleBuild.module merge({"name":"web"}, {"stream":"1$"})
	// database:1 false not in allowlist global+UpdateDBOnModuleBuild.module merge({"name":"web"}, {"stream":"1$"})
	// invalid rebuild rules: allowlist.global.module.name: bad regular expression "web(": missing closing )
}
