package kojitest

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/modkit/modkit/internal/xmlrpcx"
)

// raw posts one call and returns the decoded result or fault.
func raw(t *testing.T, h *Hub, header http.Header, method string, params ...any) (any, error) {
	t.Helper()
	body, err := xmlrpcx.EncodeCall(method, params...)
	if err != nil {
		t.Fatal(err)
	}
	c := &xmlrpcx.Client{HTTPClient: h.Client()}
	resp, err := c.Do(t.Context(), &xmlrpcx.Request{URL: h.URL(), Body: body, Header: header})
	if err != nil {
		return nil, err
	}
	if resp.Header.Get("Koji-Version") != Version {
		t.Errorf("Koji-Version header = %q", resp.Header.Get("Koji-Version"))
	}
	return xmlrpcx.DecodeResponse(resp.Body)
}

func faultCode(err error) int {
	var f *xmlrpcx.Fault
	if errors.As(err, &f) {
		return f.Code
	}
	return 0
}

func TestCallnumChecks(t *testing.T) {
	t.Parallel()
	// checked: the call number reaches the hub's check. unchecked: the
	// request carries only a header this hub does not read, so a replayed
	// write runs again (the released-hub defect a client must avoid).
	checked := []struct {
		callnum  int
		method   string
		args     []any
		wantCode int
	}{
		{0, "getLoggedInUser", nil, 0},
		{1, "createTag", []any{"t1"}, 0},    // committed: stores 1
		{1, "createTag", []any{"t1"}, 1009}, // replay after commit
		{0, "getLoggedInUser", nil, 1008},   // went backwards
		{2, "getLoggedInUser", nil, 0},      // reads do not store
		{2, "getLoggedInUser", nil, 0},
		{3, "createTag", []any{"t1"}, 1000}, // failed call: not stored
		{3, "getLoggedInUser", nil, 0},
	}
	unchecked := []struct {
		callnum  int
		method   string
		args     []any
		wantCode int
	}{
		{1, "createTag", []any{"t1"}, 0},
		{1, "createTag", []any{"t2"}, 0}, // replayed callnum, runs again
		{0, "createTag", []any{"t3"}, 0}, // backwards, runs anyway
	}
	for _, tt := range []struct {
		name    string
		mode    CallnumMode
		headers []string
		checked bool
	}{
		{"released/Koji-Callnum", CallnumReleased, []string{"Koji-Callnum"}, true},
		{"released/both", CallnumReleased, []string{"Koji-Callnum", "Koji-Session-Callnum"}, true},
		{"released/Koji-Session-Callnum", CallnumReleased, []string{"Koji-Session-Callnum"}, false},
		{"released/none", CallnumReleased, nil, false},
		{"master/Koji-Session-Callnum", CallnumMaster, []string{"Koji-Session-Callnum"}, true},
		{"master/Koji-Callnum", CallnumMaster, []string{"Koji-Callnum"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := New(t, WithCallnumMode(tt.mode))
			v, err := raw(t, h, nil, "login", AdminUser, AdminPassword)
			if err != nil {
				t.Fatal(err)
			}
			sess := v.(map[string]any)
			hdr := func(n int) http.Header {
				hd := http.Header{"Koji-Session-Id": {strconv.FormatInt(sess["session-id"].(int64), 10)},
					"Koji-Session-Key": {sess["session-key"].(string)}}
				for _, name := range tt.headers {
					hd.Set(name, strconv.Itoa(n))
				}
				return hd
			}
			steps := unchecked
			if tt.checked {
				steps = checked
			}
			for i, s := range steps {
				_, err := raw(t, h, hdr(s.callnum), s.method, s.args...)
				if got := faultCode(err); got != s.wantCode {
					t.Errorf("step %d (%s, callnum %d): fault %d (%v), want %d", i, s.method, s.callnum, got, err, s.wantCode)
				}
			}
			bad := hdr(9)
			bad.Set("Koji-Session-Key", "1-wrong")
			if _, err := raw(t, h, bad, "getLoggedInUser"); faultCode(err) != 1002 {
				t.Errorf("wrong key = %v, want 1002", err)
			}
			if !tt.checked {
				for _, c := range h.Calls()[1:] {
					if c.SessionID != 0 && c.Callnum != NoCallnum {
						t.Errorf("call %s logged with callnum %d, want NoCallnum", c.Method, c.Callnum)
					}
				}
			}
		})
	}
}

func TestHTTPLevel(t *testing.T) {
	t.Parallel()
	h := New(t)
	resp, err := h.Client().Get(h.URL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET = %d allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	for _, body := range []string{"", "syntax error"} {
		resp, err := h.Client().Post(h.URL(), "text/xml", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("POST %q = %d, want 400", body, resp.StatusCode)
		}
	}
}

func TestArgumentBinding(t *testing.T) {
	t.Parallel()
	h := New(t)
	tests := []struct {
		method string
		params []any
		want   int
		msg    string
	}{
		{"getTag", []any{"x", xmlrpcx.Kwargs{"bogus": 1}}, 1019, "get_tag() got an unexpected keyword argument 'bogus'"},
		{"getTag", nil, 1019, "missing 1 required positional argument"},
		{"getTag", []any{"x", false, nil, false, 1}, 1019, "takes at most 4 arguments"},
		{"getTag", []any{"x", xmlrpcx.Kwargs{"strict": true}}, 1000, "No such tagInfo: 'x'"},
		{"noSuchMethod", nil, 1000, "Invalid method: noSuchMethod"},
		{"createTag", []any{"x"}, 1004, "tag permission required (user not logged in)"},
		{"login", []any{AdminUser, "bad"}, 1002, "invalid username or password"},
	}
	for _, tt := range tests {
		_, err := raw(t, h, nil, tt.method, tt.params...)
		var f *xmlrpcx.Fault
		if !errors.As(err, &f) || f.Code != tt.want || !strings.Contains(f.Message, tt.msg) {
			t.Errorf("%s%v = %v, want fault %d %q", tt.method, tt.params, err, tt.want, tt.msg)
		}
	}
	got, err := raw(t, h, nil, "echo", "a", nil, int64(1)<<40)
	if diff := cmp.Diff([]any{"a", nil, int64(1) << 40}, got); err != nil || diff != "" {
		t.Errorf("echo = %v (-want +got):\n%s", err, diff)
	}
	nested, err := raw(t, h, nil, "multiCall", []any{map[string]any{"methodName": "multiCall", "params": []any{}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := xmlrpcx.FaultFromValue(nested.([]any)[0]); !ok {
		t.Errorf("nested multicall = %v, want a fault entry", nested)
	}
}

func TestNextRelease(t *testing.T) {
	t.Parallel()
	tests := []struct{ prev, want string }{
		{"", "1"}, {"7", "8"}, {"20250101.abcd1234", "20250102.abcd1234"}, {"1.fc42.3", "1.fc42.4"},
	}
	for _, tt := range tests {
		h := New(t)
		st := h.st
		if tt.prev != "" {
			cx := &callCtx{h: h, st: st, user: st.users[1]}
			if _, f := cx.newBuild("p", "1", tt.prev, nil, 1, 1); f != nil {
				t.Fatal(f)
			}
		}
		got, err := raw(t, h, nil, "getNextRelease", map[string]any{"name": "p", "version": "1"})
		if err != nil || got != tt.want {
			t.Errorf("after %q: %v, %v; want %q", tt.prev, got, err, tt.want)
		}
	}
	h := New(t)
	cx := &callCtx{h: h, st: h.st, user: h.st.users[1]}
	cx.newBuild("p", "1", "abc", nil, 1, 1)
	if _, err := raw(t, h, nil, "getNextRelease", map[string]any{"name": "p", "version": "1"}); faultCode(err) != 1005 {
		t.Errorf("unincrementable release = %v, want BuildError", err)
	}
}

func TestUploadProtocol(t *testing.T) {
	t.Parallel()
	h := New(t)
	resp, err := h.Client().Post(h.URL()+"?filename=f&filepath=d&offset=0&fileverify=adler32", "application/octet-stream", bytes.NewReader([]byte("x")))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := new(bytes.Buffer)
	buf.ReadFrom(resp.Body)
	if _, err := xmlrpcx.DecodeResponse(buf.Bytes()); faultCode(err) != 1004 {
		t.Errorf("anonymous upload = %v, want ActionNotAllowed", err)
	}
}
