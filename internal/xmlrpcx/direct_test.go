package xmlrpcx

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type directRow struct {
	ID    int64          `xmlrpc:"id"`
	Name  string         `xmlrpc:"name"`
	Epoch any            `xmlrpc:"epoch"`
	Ok    bool           `xmlrpc:"ok"`
	Extra map[string]any `xmlrpc:"extra"`
}

// TestDecodeResponseDirect checks that the direct decoding of an answer
// gives what DecodeResponse and Unmarshal give, and that it refuses
// faults, answers of another shape and types it cannot decode alike.
func TestDecodeResponseDirect(t *testing.T) {
	t.Parallel()
	body := []byte(`<?xml version="1.0"?><methodResponse><params><param><value><array><data>` +
		`<value><array><data><value><array><data><value><struct>` +
		`<member><name>id</name><value><int>7</int></value></member>` +
		`<member><name>name</name><value><string>a&amp;b</string></value></member>` +
		`<member><name>epoch</name><value><nil/></value></member>` +
		`<member><name>ok</name><value><boolean>1</boolean></value></member>` +
		`<member><name>skipped</name><value><struct><member><name>x</name><value><i8>1</i8></value></member></struct></value></member>` +
		`<member><name>extra</name><value><struct><member><name>k</name><value><int>2</int></value></member></struct></value></member>` +
		`</struct></value><value><struct>` +
		`<member><name>id</name><value><int>8</int></value></member>` +
		`<member><name>epoch</name><value><int>3</int></value></member>` +
		`<member><name>extra</name><value><nil/></value></member>` +
		`</struct></value></data></array></value></data></array></value>` +
		`</data></array></value></param></params></methodResponse>`)
	var direct [][][]directRow
	if err := DecodeResponseDirect(body, &direct); err != nil {
		t.Fatal(err)
	}
	tree, err := DecodeResponse(body)
	if err != nil {
		t.Fatal(err)
	}
	var viaTree [][][]directRow
	if err := Unmarshal(tree, &viaTree); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(viaTree, direct); diff != "" {
		t.Errorf("direct decoding differs from the value tree's (-tree +direct):\n%s", diff)
	}
	fault := []byte(`<?xml version="1.0"?><methodResponse><fault><value><struct><member><name>faultCode</name><value><int>1000</int></value></member><member><name>faultString</name><value><string>no</string></value></member></struct></value></fault></methodResponse>`)
	if err := DecodeResponseDirect(fault, &direct); err == nil {
		t.Error("a fault was decoded directly")
	}
	var wrong [][]directRow
	if err := DecodeResponseDirect(body, &wrong); err == nil {
		t.Error("an answer of another shape was decoded directly")
	}
	for _, v := range []any{new([]struct {
		T time.Time `xmlrpc:"t"`
	}), new([]struct {
		P *int `xmlrpc:"p"`
	}), new([]struct {
		N int64 `xmlrpc:"build_id,id"`
	}), new([]struct{ u uint })} {
		if DirectDecodable(reflect.TypeOf(v).Elem()) {
			t.Errorf("%T is direct-decodable", v)
		}
		if err := DecodeResponseDirect(body, v); err == nil {
			t.Errorf("%T decoded directly", v)
		}
	}
}

func FuzzDecodeResponseDirect(f *testing.F) {
	f.Add([]byte(`<methodResponse><params><param><value><array><data><value><array><data><value><struct><member><name>id</name><value><int>1</int></value></member></struct></value></data></array></value></data></array></value></param></params></methodResponse>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var out [][]directRow
		_ = DecodeResponseDirect(body, &out)
	})
}
