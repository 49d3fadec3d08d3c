package bodhi

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeSaveResult(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		in      string
		aliases []string
		caveats int
		wantErr bool
	}{
		{"single", `{"alias":"FEDORA-MODULAR-2026-0123456789","updateid":"FEDORA-MODULAR-2026-0123456789","caveats":[{"name":"x","description":"y"}]}`, []string{"FEDORA-MODULAR-2026-0123456789"}, 1, false},
		{"multi", `{"updates":[{"alias":"A"},{"alias":"B"}],"caveats":[]}`, []string{"A", "B"}, 0, false},
		{"neither", `{"caveats":[]}`, nil, 0, true},
		{"garbage", `[1,2]`, nil, 0, true},
	} {
		res, err := decodeSaveResult([]byte(tc.in))
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err = %v", tc.name, err)
			continue
		}
		if err != nil {
			continue
		}
		var got []string
		for _, u := range res.Updates {
			got = append(got, u.Alias)
		}
		if diff := cmp.Diff(tc.aliases, got); diff != "" || len(res.Caveats) != tc.caveats {
			t.Errorf("%s: aliases (-want +got):\n%s caveats %d", tc.name, diff, len(res.Caveats))
		}
	}
}

func TestDecodePage(t *testing.T) {
	t.Parallel()
	p, err := decodePage[Release]([]byte(`{"releases":[{"name":"F27M"}],"page":2,"pages":3,"rows_per_page":1,"total":3}`), "releases")
	if err != nil {
		t.Fatal(err)
	}
	want := &Page[Release]{Items: []Release{{Name: "F27M"}}, Page: 2, Pages: 3, RowsPerPage: 1, Total: 3}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := decodePage[Release]([]byte(`{"updates":[]}`), "releases"); err == nil {
		t.Error("missing key: no error")
	}
}

func TestNewError(t *testing.T) {
	t.Parallel()
	e := newError("POST", "/updates/", 400, []byte(`{"status":"error","errors":[{"location":"body","name":"builds","description":"Build does not exist: x"}]}`))
	if e.Field("builds") == nil || e.Error() != "bodhi: POST /updates/: 400 Bad Request: body builds: Build does not exist: x" {
		t.Errorf("error = %q", e.Error())
	}
	e = newError("GET", "/x", 502, []byte("<html>bad gateway</html>"))
	if len(e.Errors) != 0 || e.Body != "<html>bad gateway</html>" {
		t.Errorf("non-JSON: %+v", e)
	}
}

func TestTime(t *testing.T) {
	t.Parallel()
	var v struct{ A, B, C, D Time }
	if err := json.Unmarshal([]byte(`{"A":"2026-01-02 03:04:05","B":null,"C":"2026-01-02","D":"2026-01-02T03:04:05Z"}`), &v); err != nil {
		t.Fatal(err)
	}
	if !v.A.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) || !v.B.IsZero() || v.C.Day() != 2 || !v.D.Equal(v.A.Time) {
		t.Errorf("%+v", v)
	}
	out, _ := json.Marshal(v)
	if string(out) != `{"A":"2026-01-02 03:04:05","B":null,"C":"2026-01-02 00:00:00","D":"2026-01-02 03:04:05"}` {
		t.Errorf("marshal = %s", out)
	}
	if err := json.Unmarshal([]byte(`{"A":"yesterday"}`), &v); err == nil {
		t.Error("bad time: no error")
	}
}

// FuzzDecode feeds arbitrary answers to every decoder the client uses: it
// must return an error or a value, never panic.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"alias":"FEDORA-2026-0123456789","builds":[{"nvr":"a-1-1","type":"rpm"}],"date_submitted":"2026-01-01 00:00:00","release":{"name":"F27"}}`))
	f.Add([]byte(`{"updates":[{"alias":"A"}],"page":1,"pages":1,"rows_per_page":20,"total":1}`))
	f.Add([]byte(`{"status":"error","errors":[{"location":"body","name":"csrf_token","description":"CSRF tokens do not match"}]}`))
	f.Add([]byte(`{"update":{"alias":"x","request":null,"comments":[{"timestamp":"2026-01-01"}]},"can_edit":true}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = decodeSaveResult(data)
		_, _ = decodePage[Update](data, "updates")
		_, _ = decodePage[Comment](data, "comments")
		_ = newError("GET", "/", 400, data)
		var d UpdateDetail
		_ = json.Unmarshal(data, &d)
		var c Compose
		_ = json.Unmarshal(data, &c)
	})
}
