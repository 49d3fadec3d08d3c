package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"bundled example", nil, 0, `OK webapp:main: 2 build(s)
  webapp:main:2820200101000000:58bede09 (2 batches, 2 buildrequires)
  webapp:main:2920200101000000:313b2aea (2 batches, 2 buildrequires)
`},
		{"conflict", []string{"testdata/conflict.yaml", "testdata/repo"}, 1, `FAIL webapp:main cannot be built:
  block 0: npm:6 requires nodejs:[12]; this block buildrequires nodejs:10
`},
		{"usage", []string{"testdata/module.yaml"}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errOut bytes.Buffer
			code := check(context.Background(), tt.args, &out, &errOut)
			if code != tt.code {
				t.Errorf("exit status %d, want %d (stderr %q)", code, tt.code, errOut.String())
			}
			if diff := cmp.Diff(tt.out, out.String()); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}
