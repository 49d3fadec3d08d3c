package odcs_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/modkit/modkit/pungi/odcs"
)

// FuzzDecodeRequest checks that any body gives a request that validates
// or a *RequestError, never a panic, and that a decoded request survives
// a JSON round trip.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{"source": {"type": "tag", "source": "f40-build", "packages": ["bash"]}, "arches": ["x86_64"], "flags": ["no_deps"]}`,
		`{"source": {"type": "module", "source": "app:1 lib:2:3:abc"}, "seconds-to-live": 60}`,
		`{"source": {"type": "build", "builds": ["a-1-1"], "sigkeys": [""]}}`,
		`{"source": {"type": "repo", "source": "/srv/repo"}, "results": ["iso"]}`,
		`[]`, `{"source": 1}`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := odcs.DecodeRequest(bytes.NewReader(data))
		if err != nil {
			var re *odcs.RequestError
			if !errors.As(err, &re) || len(re.Problems) == 0 {
				t.Fatalf("error %v is not a *RequestError with problems", err)
			}
			return
		}
		if err := req.Validate(); err != nil {
			t.Fatalf("decoded request does not validate: %v", err)
		}
		b, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := odcs.DecodeRequest(bytes.NewReader(b)); err != nil {
			t.Fatalf("re-encoded request %s: %v", b, err)
		}
	})
}

// FuzzComposeJSON checks that compose JSON reads without panicking and
// re-encodes stably.
func FuzzComposeJSON(f *testing.F) {
	f.Add([]byte(`{"id": 1, "state": 2, "source_type": 2, "arches": "x86_64 aarch64", "flags": ["no_deps"], "time_done": "2026-01-02T03:04:05Z"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c odcs.Compose
		if json.Unmarshal(data, &c) != nil {
			return
		}
		b, err := json.Marshal(&c)
		if err != nil {
			t.Fatal(err)
		}
		var c2 odcs.Compose
		if err := json.Unmarshal(b, &c2); err != nil {
			t.Fatal(err)
		}
		b2, _ := json.Marshal(&c2)
		if !bytes.Equal(b, b2) {
			t.Fatalf("unstable:\n%s\n%s", b, b2)
		}
	})
}
