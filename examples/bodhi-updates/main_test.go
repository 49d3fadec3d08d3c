package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestDemo(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"-demo"}, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	got := out.String()
	for _, want := range []string{"FEDORA-MODULAR-", "nodejs-8-20171201000000.6c81f848", "obsolete", "3 modular update(s) of packager1"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"-demo", "-status", "pending"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "obsolete") || !strings.Contains(out.String(), "2 modular update(s)") {
		t.Errorf("-status pending:\n%s", out.String())
	}
}
