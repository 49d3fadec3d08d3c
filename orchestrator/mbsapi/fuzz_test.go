package mbsapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/modkit/modkit/orchestrator/mbsapi"
)

// FuzzParseTokens checks the token file parser never panics and that every
// accepted token maps to a user with a name.
func FuzzParseTokens(f *testing.F) {
	f.Add(tokens)
	f.Add("a b c,d\n\n# x\n")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := mbsapi.ParseTokens(strings.NewReader(s), "f")
		if err != nil {
			return
		}
		for k, u := range tok {
			if k == "" || u.Name == "" {
				t.Errorf("accepted token %q user %+v", k, u)
			}
		}
	})
}

// FuzzSubmit posts arbitrary bodies: the API answers with an error JSON or
// a 201, never a 500 or a panic.
func FuzzSubmit(f *testing.F) {
	f.Add(`{"modulemd": "document: modulemd\nversion: 2\ndata: {name: x, stream: y}\n"}`)
	f.Add(`{"scmurl": "https://src.example.com/modules/demo.git?#abc", "branch": "1"}`)
	f.Add(`{"buildrequire_overrides": {"platform": [1]}}`)
	f.Add(`[]`)
	fx := newFixture(f, false)
	f.Fuzz(func(t *testing.T, body string) {
		st, b := fx.do(t, call{method: "POST", path: "/module-build-service/2/module-builds/", token: "tok-alice", body: body})
		if st >= 500 || (st != http.StatusCreated && !strings.Contains(string(b), `"message"`)) {
			t.Errorf("status %d for %q: %s", st, body, b)
		}
	})
}
