package xmlrpcx

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func canonString(t *testing.T, doc string) string {
	t.Helper()
	b, err := Canonicalize([]byte(doc))
	if err != nil {
		t.Fatalf("Canonicalize(%q): %v", doc, err)
	}
	return string(b)
}

type taggedStruct struct {
	Name    string `xmlrpc:"name"`
	Skipped string
	Empty   int  `xmlrpc:"empty,omitempty"`
	Ptr     *int `xmlrpc:"ptr"`
}

type selfMarshal struct{ v int }

func (s selfMarshal) MarshalXMLRPC() (any, error) { return map[string]any{"v": s.v}, nil }

func TestEncodeCall(t *testing.T) {
	t.Parallel()
	seven := 7
	tests := []struct {
		name   string
		params []any
		want   string // params content, before canonicalisation
	}{
		{"no params", nil, ``},
		{"nil is <nil/>", []any{"a", nil, true},
			`<param><value><string>a</string></value></param><param><value><nil/></value></param><param><value><boolean>1</boolean></value></param>`},
		{"typed nil pointer is <nil/>", []any{(*int)(nil)}, `<param><value><nil/></value></param>`},
		{"int32 range stays int", []any{math.MaxInt32, math.MinInt32}, `<param><value><int>2147483647</int></value></param><param><value><int>-2147483648</int></value></param>`},
		{"larger ints are i8", []any{int64(1) << 31, int64(-1)<<31 - 1, uint64(1) << 40},
			`<param><value><i8>2147483648</i8></value></param><param><value><i8>-2147483649</i8></value></param><param><value><i8>1099511627776</i8></value></param>`},
		{"kwargs", []any{"x", Kwargs{"strict": true, "event": nil, "b": 1}},
			`<param><value><string>x</string></value></param><param><value><struct>` +
				`<member><name>__starstar</name><value><boolean>1</boolean></value></member>` +
				`<member><name>b</name><value><int>1</int></value></member>` +
				`<member><name>event</name><value><nil/></value></member>` +
				`<member><name>strict</name><value><boolean>1</boolean></value></member></struct></value></param>`},
		{"map names escaped", []any{map[string]string{"a<b": "&", "-": "x", "delete link": "y", "c,omitempty": ""}},
			`<param><value><struct><member><name>-</name><value><string>x</string></value></member>` +
				`<member><name>a&lt;b</name><value><string>&amp;</string></value></member>` +
				`<member><name>c,omitempty</name><value><string></string></value></member>` +
				`<member><name>delete link</name><value><string>y</string></value></member></struct></value></param>`},
		{"nested slices and maps", []any{[]any{[]int{1}, map[string]any{"k": []string{}}, nil}},
			`<param><value><array><data><value><array><data><value><int>1</int></value></data></array></value>` +
				`<value><struct><member><name>k</name><value><array><data></data></array></value></member></struct></value>` +
				`<value><nil/></value></data></array></value></param>`},
		{"time is epoch seconds", []any{time.Date(2025, 1, 1, 0, 0, 0, 500000000, time.UTC)},
			`<param><value><double>1735689600.5</double></value></param>`},
		{"tagged struct", []any{taggedStruct{Name: "n", Skipped: "s"}, &taggedStruct{Name: "m", Empty: 2, Ptr: &seven}},
			`<param><value><struct><member><name>name</name><value><string>n</string></value></member>` +
				`<member><name>ptr</name><value><nil/></value></member></struct></value></param>` +
				`<param><value><struct><member><name>name</name><value><string>m</string></value></member>` +
				`<member><name>empty</name><value><int>2</int></value></member>` +
				`<member><name>ptr</name><value><int>7</int></value></member></struct></value></param>`},
		{"marshaler", []any{selfMarshal{3}}, `<param><value><struct><member><name>v</name><value><int>3</int></value></member></struct></value></param>`},
		{"strings that look like markers stay strings", []any{"nil", "i8:5"},
			`<param><value><string>nil</string></value></param><param><value><string>i8:5</string></value></param>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := EncodeCall("m", tt.params...)
			if err != nil {
				t.Fatalf("EncodeCall: %v", err)
			}
			want := `<methodCall><methodName>m</methodName><params>` + tt.want + `</params></methodCall>`
			if diff := cmp.Diff(canonString(t, want), canonString(t, string(got))); diff != "" {
				t.Errorf("EncodeCall mismatch (-want +got):\n%s\nraw: %s", diff, got)
			}
			// The escaped names and markers must survive a decode.
			method, params, err := DecodeCall(got)
			if err != nil || method != "m" || len(params) != len(tt.params) {
				t.Errorf("DecodeCall(EncodeCall) = %q, %d params, %v; want m, %d params", method, len(params), err, len(tt.params))
			}
		})
	}
}

func TestEncodeCallErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		method string
		params []any
		want   string
	}{
		{"bad method", "a<b", nil, "invalid method"},
		{"int map key", "m", []any{map[int]int{1: 1}}, "map key"},
		{"func", "m", []any{func() {}}, "unsupported type"},
		{"NaN", "m", []any{math.NaN()}, "cannot encode"},
		{"huge uint", "m", []any{uint64(math.MaxUint64)}, "does not fit"},
		{"kwarg error", "m", []any{Kwargs{"x": make(chan int)}}, "kwarg x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := EncodeCall(tt.method, tt.params...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("EncodeCall() error = %v, want containing %q", err, tt.want)
			}
		})
	}
	deep := any(1)
	for range maxDepth + 5 {
		deep = []any{deep}
	}
	if _, err := EncodeCall("m", deep); err == nil {
		t.Error("EncodeCall(deeply nested) succeeded, want error")
	}
}

func TestEncodeResponseRoundTrip(t *testing.T) {
	t.Parallel()
	in := map[string]any{
		"s": "x", "i": int64(3), "big": int64(1) << 40, "f": 1.5, "b": true, "n": nil,
		"a": []any{int64(1), "two", nil}, "m": map[string]any{"k": "v"},
	}
	doc, err := EncodeResponse(in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeResponse(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"s": "x", "i": int64(3), "big": int64(1) << 40, "f": 1.5, "b": true,
		"a": []any{int64(1), "two", nil}, "m": map[string]any{"k": "v"},
	}
	// kolo leaves nil members out of decoded maps' values as nil.
	want["n"] = nil
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(doc), "<i8>1099511627776</i8>") || !strings.Contains(string(doc), "<nil/>") {
		t.Errorf("EncodeResponse did not emit i8 and nil: %s", doc)
	}
}
