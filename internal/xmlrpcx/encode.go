package xmlrpcx

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kolo/xmlrpc"
)

// Kwargs are keyword arguments in koji's convention: encoded as a trailing
// struct whose first member is `__starstar` = true. Pass a Kwargs value as the
// last parameter of [EncodeCall]. A nil value inside Kwargs is sent as
// `<nil/>`; to leave an argument at its default, omit the key.
type Kwargs map[string]any

// StarStar is the member name koji uses to mark a keyword-argument struct.
const StarStar = "__starstar"

// Marshaler is implemented by types that convert themselves to a value tree
// (nil, bool, integers, floats, string, time.Time, slices, string-keyed maps,
// Kwargs) before encoding.
type Marshaler interface {
	MarshalXMLRPC() (any, error)
}

// Markers that our normaliser emits through kolo's Base64 type, which is the
// only kolo output that user data can never produce (user strings always
// become <string>). They are rewritten after encoding.
const (
	nilMark = "nil"
	i8Mark  = "i8:"
)

var (
	nilEncoded = []byte("<value><base64>" + nilMark + "</base64></value>")
	i8Prefix   = []byte("<value><base64>" + i8Mark)
	i8Suffix   = []byte("</base64></value>")
)

// EncodeCall encodes an XML-RPC methodCall document. See the package
// documentation for how values are mapped.
func EncodeCall(method string, params ...any) ([]byte, error) {
	if method == "" || strings.ContainsAny(method, "<>&") {
		return nil, fmt.Errorf("xmlrpcx: invalid method name %q", method)
	}
	norm := make([]any, len(params))
	for i, p := range params {
		v, err := normalize(p, 0)
		if err != nil {
			return nil, fmt.Errorf("xmlrpcx: encode %s param %d: %w", method, i+1, err)
		}
		norm[i] = v
	}
	b, err := xmlrpc.EncodeMethodCall(method, norm...)
	if err != nil {
		return nil, fmt.Errorf("xmlrpcx: encode %s: %w", method, err)
	}
	return rewriteMarks(b), nil
}

// EncodeResponse encodes a successful methodResponse carrying v.
func EncodeResponse(v any) ([]byte, error) {
	val, err := encodeValue(v)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0"?>` + "\n<methodResponse><params><param>")
	b.Write(val)
	b.WriteString("</param></params></methodResponse>\n")
	return b.Bytes(), nil
}

// EncodeFault encodes a fault methodResponse.
func EncodeFault(code int, message string) []byte {
	val, err := encodeValue(map[string]any{"faultCode": code, "faultString": message})
	if err != nil { // cannot happen for these types
		panic(err)
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0"?>` + "\n<methodResponse><fault>")
	b.Write(val)
	b.WriteString("</fault></methodResponse>\n")
	return b.Bytes()
}

// encodeValue encodes one value as <value>…</value>.
func encodeValue(v any) ([]byte, error) {
	b, err := EncodeCall("v", v)
	if err != nil {
		return nil, err
	}
	start := bytes.Index(b, []byte("<param>"))
	end := bytes.LastIndex(b, []byte("</param>"))
	if start < 0 || end < start {
		return nil, errors.New("xmlrpcx: internal encoding error")
	}
	return b[start+len("<param>") : end], nil
}

func rewriteMarks(b []byte) []byte {
	b = bytes.ReplaceAll(b, nilEncoded, []byte("<value><nil/></value>"))
	if !bytes.Contains(b, i8Prefix) {
		return b
	}
	var out bytes.Buffer
	out.Grow(len(b))
	for {
		i := bytes.Index(b, i8Prefix)
		if i < 0 {
			out.Write(b)
			return out.Bytes()
		}
		out.Write(b[:i])
		b = b[i+len(i8Prefix):]
		j := bytes.Index(b, i8Suffix)
		out.WriteString("<value><i8>")
		out.Write(b[:j])
		out.WriteString("</i8></value>")
		b = b[j+len(i8Suffix):]
	}
}

var timeType = reflect.TypeFor[time.Time]()

const maxDepth = 100

// normalize converts v into values kolo encodes the way koji expects.
func normalize(v any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("value nested too deeply")
	}
	if v == nil {
		return xmlrpc.Base64(nilMark), nil
	}
	switch x := v.(type) {
	case Marshaler:
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Pointer && rv.IsNil() {
			return xmlrpc.Base64(nilMark), nil
		}
		m, err := x.MarshalXMLRPC()
		if err != nil {
			return nil, err
		}
		return normalize(m, depth+1)
	case Kwargs:
		keys := make([]string, 0, len(x)+1)
		vals := make([]any, 0, len(x)+1)
		keys = append(keys, StarStar)
		vals = append(vals, true)
		for _, k := range sortedKeys(x) {
			if k == StarStar {
				continue
			}
			nv, err := normalize(x[k], depth+1)
			if err != nil {
				return nil, fmt.Errorf("kwarg %s: %w", k, err)
			}
			keys = append(keys, k)
			vals = append(vals, nv)
		}
		return makeStruct(keys, vals), nil
	case string:
		return x, nil
	case bool:
		return x, nil
	case time.Time:
		return float64(x.UnixMicro()) / 1e6, nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return xmlrpc.Base64(nilMark), nil
		}
		return normalize(rv.Elem().Interface(), depth+1)
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return encodeInt(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := rv.Uint()
		if u > math.MaxInt64 {
			return nil, fmt.Errorf("integer %d does not fit in i8", u)
		}
		return encodeInt(int64(u)), nil
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("cannot encode %v", f)
		}
		return f, nil
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return []any{}, nil
		}
		out := make([]any, rv.Len())
		for i := range out {
			nv, err := normalize(rv.Index(i).Interface(), depth+1)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = nv
		}
		return out, nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("map key type %s is not a string", rv.Type().Key())
		}
		keys := make([]string, 0, rv.Len())
		for _, k := range rv.MapKeys() {
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		vals := make([]any, len(keys))
		for i, k := range keys {
			nv, err := normalize(rv.MapIndex(reflect.ValueOf(k).Convert(rv.Type().Key())).Interface(), depth+1)
			if err != nil {
				return nil, fmt.Errorf("member %s: %w", k, err)
			}
			vals[i] = nv
		}
		return makeStruct(keys, vals), nil
	case reflect.Struct:
		if rv.Type() == timeType {
			return normalize(rv.Interface().(time.Time), depth)
		}
		return normalizeStruct(rv, depth)
	}
	return nil, fmt.Errorf("unsupported type %T", v)
}

func encodeInt(i int64) any {
	if i < math.MinInt32 || i > math.MaxInt32 {
		return xmlrpc.Base64(i8Mark + strconv.FormatInt(i, 10))
	}
	return i
}

// normalizeStruct encodes exported fields with an `xmlrpc:"name[,omitempty]"`
// tag, in declaration order. Untagged fields are skipped.
func normalizeStruct(rv reflect.Value, depth int) (any, error) {
	t := rv.Type()
	var keys []string
	var vals []any
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("xmlrpc")
		if !ok || tag == "-" || !f.IsExported() {
			continue
		}
		name, opt, _ := strings.Cut(tag, ",")
		fv := rv.Field(i)
		if opt == "omitempty" && fv.IsZero() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		nv, err := normalize(fv.Interface(), depth+1)
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", name, err)
		}
		keys = append(keys, name)
		vals = append(vals, nv)
	}
	return makeStruct(keys, vals), nil
}

// makeStruct builds a struct value whose fields kolo encodes as members named
// keys, in order. Member names are XML-escaped here because kolo writes them
// verbatim.
func makeStruct(keys []string, vals []any) any {
	sig := strings.Join(keys, "\x00")
	var st reflect.Type
	if cached, ok := structTypes.Load(sig); ok {
		st = cached.(reflect.Type)
	} else {
		fields := make([]reflect.StructField, len(keys))
		for i, k := range keys {
			fields[i] = reflect.StructField{
				Name: "F" + strconv.Itoa(i),
				Type: reflect.TypeFor[any](),
				Tag:  reflect.StructTag("xmlrpc:" + strconv.Quote(escapeName(k))),
			}
		}
		st = reflect.StructOf(fields)
		if structCount.Add(1) <= maxCachedStructs {
			structTypes.Store(sig, st)
		}
	}
	sv := reflect.New(st).Elem()
	for i, v := range vals {
		sv.Field(i).Set(reflect.ValueOf(&v).Elem())
	}
	return sv.Interface()
}

// structTypes caches the struct types built by makeStruct, keyed by their
// member names; the cache is bounded so that arbitrary keys cannot grow it
// without limit.
var (
	structTypes sync.Map
	structCount atomic.Int64
)

const maxCachedStructs = 4096

// escapeName escapes a member name for XML and for kolo's tag handling
// (a name "-" or one ending in ",omitempty" would otherwise be misread).
func escapeName(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	e := b.String()
	e = strings.ReplaceAll(e, ",", "&#44;")
	if e == "-" {
		e = "&#45;"
	}
	return e
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
