package xmlrpcx

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeResponse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		want    any
		wantErr error
	}{
		{"int", `<?xml version='1.0'?><methodResponse><params><param><value><int>1</int></value></param></params></methodResponse>`, int64(1), nil},
		{"i8", `<methodResponse><params><param><value><i8>2147483648</i8></value></param></params></methodResponse>`, int64(2147483648), nil},
		{"nil", `<methodResponse><params><param><value><nil/></value></param></params></methodResponse>`, nil, nil},
		// kolo cannot decode an untyped value into an interface; koji never sends one.
		{"untyped string (kolo limit)", `<methodResponse><params><param><value>abc</value></param></params></methodResponse>`, nil, ErrMalformed},
		{"multicall shape", `<methodResponse><params><param><value><array><data>
<value><array><data><value><int>1</int></value></data></array></value>
<value><struct><member><name>faultCode</name><value><int>1000</int></value></member><member><name>faultString</name><value><string>boom</string></value></member></struct></value>
</data></array></value></param></params></methodResponse>`,
			[]any{[]any{int64(1)}, map[string]any{"faultCode": int64(1000), "faultString": "boom"}}, nil},
		{"fault", `<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>1019</int></value></member><member><name>faultString</name><value><string>bad &lt;arg&gt;</string></value></member></struct></value></fault></methodResponse>`,
			nil, &Fault{Code: 1019, Message: "bad <arg>"}},
		{"not xml-rpc", `hello`, nil, ErrMalformed},
		{"truncated", `<methodResponse><params><param><value><int>1`, nil, ErrMalformed},
		{"empty params", `<methodResponse><params></params></methodResponse>`, nil, ErrMalformed},
		{"bad int", `<methodResponse><params><param><value><int>x</int></value></param></params></methodResponse>`, nil, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodeResponse([]byte(tt.body))
			if tt.wantErr != nil {
				var f *Fault
				if wf, ok := tt.wantErr.(*Fault); ok {
					if !errors.As(err, &f) {
						t.Fatalf("error = %v, want fault", err)
					}
					if diff := cmp.Diff(wf, f); diff != "" {
						t.Errorf("fault mismatch (-want +got):\n%s", diff)
					}
					return
				}
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DecodeResponse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFaultFromValue(t *testing.T) {
	t.Parallel()
	f, ok := FaultFromValue(map[string]any{"faultCode": int64(1000), "faultString": "x", "traceback": []any{"a", "b"}})
	if !ok {
		t.Fatal("not a fault")
	}
	if diff := cmp.Diff(&Fault{Code: 1000, Message: "x", Traceback: []string{"a", "b"}}, f); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	for _, v := range []any{nil, []any{int64(1)}, map[string]any{"faultString": "x"}} {
		if _, ok := FaultFromValue(v); ok {
			t.Errorf("FaultFromValue(%v) = ok, want not a fault", v)
		}
	}
}

func TestDecodeCall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		body       string
		wantMethod string
		wantParams []any
		wantErr    bool
	}{
		{"empty param dropped like the hub", `<?xml version='1.0'?><methodCall><methodName>echo</methodName><params>
<param><value><string>a</string></value></param>
<param></param>
<param><value><boolean>1</boolean></value></param></params></methodCall>`, "echo", []any{"a", true}, false},
		{"no params", `<methodCall><methodName>getAPIVersion</methodName></methodCall>`, "getAPIVersion", nil, false},
		{"kwargs", `<methodCall><methodName>getTag</methodName><params><param><value><string>x</string></value></param><param><value><struct><member><name>__starstar</name><value><boolean>1</boolean></value></member><member><name>strict</name><value><boolean>1</boolean></value></member></struct></value></param></params></methodCall>`,
			"getTag", []any{"x", map[string]any{"__starstar": true, "strict": true}}, false},
		{"garbage", `syntax error`, "", nil, true},
		{"empty", ``, "", nil, true},
		{"bad value", `<methodCall><methodName>x</methodName><params><param><value><int>z</int></value></param></params></methodCall>`, "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			method, params, err := DecodeCall([]byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, wantErr %v", err, tt.wantErr)
			}
			if method != tt.wantMethod {
				t.Errorf("method = %q, want %q", method, tt.wantMethod)
			}
			if diff := cmp.Diff(tt.wantParams, params); diff != "" {
				t.Errorf("params mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitKwargs(t *testing.T) {
	t.Parallel()
	args, kw := SplitKwargs([]any{"a", map[string]any{"__starstar": true, "x": int64(1)}})
	if diff := cmp.Diff([]any{"a"}, args); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"x": int64(1)}, kw); diff != "" {
		t.Errorf("kwargs (-want +got):\n%s", diff)
	}
	args, kw = SplitKwargs([]any{"a", map[string]any{"x": int64(1)}})
	if len(args) != 2 || kw != nil {
		t.Errorf("plain struct treated as kwargs: %v %v", args, kw)
	}
}

func FuzzDecodeResponse(f *testing.F) {
	seeds := []string{
		`<methodResponse><params><param><value><int>1</int></value></param></params></methodResponse>`,
		`<methodResponse><params><param><value><struct><member><name>a</name><value><array><data><value><nil/></value><value><i8>9</i8></value></data></array></value></member></struct></value></param></params></methodResponse>`,
		`<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>1</int></value></member></struct></value></fault></methodResponse>`,
		`<methodResponse><params><param><value><double>1.5</double></value></param></params></methodResponse>`,
		`<methodResponse><params><param><value><boolean>2</boolean></value></param></params></methodResponse>`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := DecodeResponse(body)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode and decode to the same tree.
		doc, err := EncodeResponse(v)
		if err != nil {
			t.Fatalf("EncodeResponse(%#v): %v", v, err)
		}
		v2, err := DecodeResponse(doc)
		if err != nil {
			t.Fatalf("DecodeResponse(EncodeResponse(v)): %v\n%s", err, doc)
		}
		if diff := cmp.Diff(v, v2); diff != "" {
			t.Fatalf("unstable round trip (-first +second):\n%s", diff)
		}
		var out struct {
			A string  `xmlrpc:"a"`
			B []int64 `xmlrpc:"b"`
		}
		_ = Unmarshal(v, &out) // must not panic
		_, _ = Canonicalize(body)
	})
}
