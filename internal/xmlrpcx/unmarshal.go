package xmlrpcx

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// UnmarshalError reports a value tree that does not fit the destination.
type UnmarshalError struct {
	Path string // e.g. "build.extra" or "[3].id"
	Msg  string
}

// Error implements error.
func (e *UnmarshalError) Error() string {
	if e.Path == "" {
		return "xmlrpcx: unmarshal: " + e.Msg
	}
	return "xmlrpcx: unmarshal " + e.Path + ": " + e.Msg
}

// Unmarshal stores the value tree src (as returned by [DecodeResponse]) in the
// value pointed to by dst.
//
// Struct fields are filled from members named by their `xmlrpc` tag. A tag may
// list several names, "start_ts,start_time": the first member that is present
// and not nil wins. Untagged fields are left alone. nil leaves the destination
// at its zero value (nil for pointers, slices, maps and interfaces).
//
// Conversions: integers fill any integer or float kind; integral floats fill
// integers; booleans also accept 0/1 integers; time.Time accepts epoch seconds
// (int or double) and koji's time strings ("2006-01-02 15:04:05.999999-07:00"
// and variants); interfaces receive the tree as is.
func Unmarshal(src any, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("xmlrpcx: Unmarshal needs a non-nil pointer")
	}
	return unmarshalValue(src, rv.Elem(), "", 0)
}

var anyType = reflect.TypeFor[any]()

func unmarshalValue(src any, dst reflect.Value, path string, depth int) error {
	if depth > maxDepth {
		return &UnmarshalError{path, "nested too deeply"}
	}
	if src == nil {
		dst.SetZero()
		return nil
	}
	if dst.Kind() == reflect.Interface {
		if dst.NumMethod() == 0 {
			dst.Set(reflect.ValueOf(src))
			return nil
		}
		return &UnmarshalError{path, "cannot fill interface " + dst.Type().String()}
	}
	if dst.Type() == timeType {
		t, err := ParseTime(src)
		if err != nil {
			return &UnmarshalError{path, err.Error()}
		}
		dst.Set(reflect.ValueOf(t))
		return nil
	}
	mismatch := func() error {
		return &UnmarshalError{path, fmt.Sprintf("cannot store %T in %s", src, dst.Type())}
	}
	switch dst.Kind() {
	case reflect.Pointer:
		p := reflect.New(dst.Type().Elem())
		if err := unmarshalValue(src, p.Elem(), path, depth+1); err != nil {
			return err
		}
		dst.Set(p)
		return nil
	case reflect.String:
		s, ok := src.(string)
		if !ok {
			return mismatch()
		}
		dst.SetString(s)
	case reflect.Bool:
		switch x := src.(type) {
		case bool:
			dst.SetBool(x)
		case int64:
			dst.SetBool(x != 0)
		default:
			return mismatch()
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var i int64
		switch x := src.(type) {
		case int64:
			i = x
		case float64:
			if x != math.Trunc(x) || math.Abs(x) > 1<<62 {
				return mismatch()
			}
			i = int64(x)
		default:
			return mismatch()
		}
		if dst.OverflowInt(i) {
			return &UnmarshalError{path, fmt.Sprintf("%d overflows %s", i, dst.Type())}
		}
		dst.SetInt(i)
	case reflect.Float32, reflect.Float64:
		switch x := src.(type) {
		case float64:
			dst.SetFloat(x)
		case int64:
			dst.SetFloat(float64(x))
		default:
			return mismatch()
		}
	case reflect.Slice:
		arr, ok := src.([]any)
		if !ok {
			return mismatch()
		}
		out := reflect.MakeSlice(dst.Type(), len(arr), len(arr))
		for i, e := range arr {
			if err := unmarshalValue(e, out.Index(i), path+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
				return err
			}
		}
		dst.Set(out)
	case reflect.Map:
		m, ok := src.(map[string]any)
		if !ok || dst.Type().Key().Kind() != reflect.String {
			return mismatch()
		}
		out := reflect.MakeMapWithSize(dst.Type(), len(m))
		for k, e := range m {
			ev := reflect.New(dst.Type().Elem()).Elem()
			if err := unmarshalValue(e, ev, joinPath(path, k), depth+1); err != nil {
				return err
			}
			out.SetMapIndex(reflect.ValueOf(k).Convert(dst.Type().Key()), ev)
		}
		dst.Set(out)
	case reflect.Struct:
		m, ok := src.(map[string]any)
		if !ok {
			return mismatch()
		}
		return unmarshalStruct(m, dst, path, depth)
	default:
		return mismatch()
	}
	return nil
}

func unmarshalStruct(m map[string]any, dst reflect.Value, path string, depth int) error {
	t := dst.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("xmlrpc")
		if !ok || tag == "-" || !f.IsExported() {
			continue
		}
		if f.Anonymous && tag == ",inline" {
			if err := unmarshalStruct(m, dst.Field(i), path, depth+1); err != nil {
				return err
			}
			continue
		}
		for _, name := range strings.Split(tag, ",") {
			v, present := m[name]
			if !present || v == nil {
				continue
			}
			if err := unmarshalValue(v, dst.Field(i), joinPath(path, name), depth+1); err != nil {
				return err
			}
			break
		}
	}
	return nil
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// Koji's datetime strings: Python isoformat(' '), with optional fraction
// and zone.
var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
	"20060102T15:04:05",
	"2006-01-02",
}

// ParseTime converts koji's time representations to a UTC time: epoch
// seconds (int64 or float64) or a time string. Strings without a zone are
// taken as UTC.
func ParseTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case int64:
		return time.Unix(x, 0).UTC(), nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) > 1e15 {
			return time.Time{}, fmt.Errorf("invalid epoch time %v", x)
		}
		sec, frac := math.Modf(x)
		return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1e3).UTC(), nil
	case string:
		s := strings.TrimSpace(x)
		for _, l := range timeLayouts {
			if t, err := time.Parse(l, s); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("unrecognised time %q", x)
	}
	return time.Time{}, fmt.Errorf("cannot convert %T to a time", v)
}
