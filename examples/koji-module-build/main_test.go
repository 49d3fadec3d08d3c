package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"

	"github.com/modkit/modkit/internal/testenv"
)

func TestDemo(t *testing.T) {
	testenv.RequireTools(t, "rpmbuild")
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"-demo", "-state", t.TempDir()}, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	for _, re := range []string{
		`(?m)^libfoo\s+COMPLETE\s+task \d+\s+libfoo-1\.0-1\.module\+f40\+\d+\+[0-9a-f]{8} http://127\.0\.0\.1:\d+/koji/taskinfo\?taskID=\d+$`,
		`(?m)^demo:1:\d+:[0-9a-f]+: ready, koji tag module-demo-1-\d+-[0-9a-f]+, content-generator build \d+$`,
	} {
		if !regexp.MustCompile(re).MatchString(out.String()) {
			t.Errorf("output lacks %s:\n%s", re, out.String())
		}
	}
}
