package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunDemo(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	if err := run(t.Context(), []string{"-demo", "f42-build"}, &out, &errOut); err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	for _, want := range []string{"Tag f42-build", "└─ f42-updates (priority 0)", "└─ f42 (priority 0)", "hello-1.0-1", "Latest builds (3)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if err := run(t.Context(), []string{"-demo", "nope"}, &out, &errOut); err == nil {
		t.Error("missing tag did not fail")
	}
	if err := run(t.Context(), nil, &out, &errOut); err == nil {
		t.Error("no argument did not fail")
	}
}
