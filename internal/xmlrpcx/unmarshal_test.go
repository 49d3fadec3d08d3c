package xmlrpcx

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type inner struct {
	N int `xmlrpc:"n"`
}

type outer struct {
	ID       int64          `xmlrpc:"id"`
	Name     string         `xmlrpc:"name"`
	Epoch    *int           `xmlrpc:"epoch"`
	TaskID   *int64         `xmlrpc:"task_id"`
	Locked   bool           `xmlrpc:"locked"`
	Size     float64        `xmlrpc:"size"`
	Start    time.Time      `xmlrpc:"start_ts,start_time"`
	Done     time.Time      `xmlrpc:"completion_ts,completion_time"`
	Extra    map[string]any `xmlrpc:"extra"`
	Any      any            `xmlrpc:"result"`
	Inner    *inner         `xmlrpc:"inner"`
	List     []inner        `xmlrpc:"list"`
	Untagged string
}

func TestUnmarshal(t *testing.T) {
	t.Parallel()
	zero := 0
	src := map[string]any{
		"id": int64(1) << 33, "name": "foo", "epoch": int64(0), "task_id": nil, "locked": int64(1),
		"size": int64(3), "start_ts": 1735689600.25, "start_time": "ignored",
		"completion_ts": nil, "completion_time": "2025-01-01 01:00:00+00:00",
		"extra": map[string]any{"typeinfo": map[string]any{}}, "result": []any{"x"},
		"inner": map[string]any{"n": 2.0}, "list": []any{map[string]any{"n": int64(3)}}, "Untagged": "nope",
	}
	var got outer
	if err := Unmarshal(src, &got); err != nil {
		t.Fatal(err)
	}
	want := outer{
		ID: 1 << 33, Name: "foo", Epoch: &zero, Locked: true, Size: 3,
		Start: time.Date(2025, 1, 1, 0, 0, 0, 250000000, time.UTC),
		Done:  time.Date(2025, 1, 1, 1, 0, 0, 0, time.UTC),
		Extra: map[string]any{"typeinfo": map[string]any{}}, Any: []any{"x"},
		Inner: &inner{N: 2}, List: []inner{{N: 3}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Unmarshal mismatch (-want +got):\n%s", diff)
	}
}

func TestUnmarshalErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  any
		dst  any
		path string
	}{
		{"string into int", map[string]any{"id": "x"}, &outer{}, "id"},
		{"fraction into int", map[string]any{"id": 1.5}, &outer{}, "id"},
		{"overflow", map[string]any{"n": int64(1) << 40}, &struct {
			N int32 `xmlrpc:"n"`
		}{}, "n"},
		{"bad time", map[string]any{"start_ts": "yesterday"}, &outer{}, "start_ts"},
		{"nested path", map[string]any{"list": []any{map[string]any{"n": "x"}}}, &outer{}, "list[0].n"},
		{"array into struct", []any{}, &outer{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Unmarshal(tt.src, tt.dst)
			var ue *UnmarshalError
			if !errors.As(err, &ue) {
				t.Fatalf("error = %v, want *UnmarshalError", err)
			}
			if ue.Path != tt.path {
				t.Errorf("path = %q, want %q", ue.Path, tt.path)
			}
		})
	}
	if err := Unmarshal(1, outer{}); err == nil {
		t.Error("Unmarshal into non-pointer succeeded")
	}
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   any
		want time.Time
	}{
		{"2026-11-21 21:14:51.635933+00:00", time.Date(2026, 11, 21, 21, 14, 51, 635933000, time.UTC)},
		{"2025-01-01 01:00:00+00:00", time.Date(2025, 1, 1, 1, 0, 0, 0, time.UTC)},
		{"2025-01-01 03:00:00+02:00", time.Date(2025, 1, 1, 1, 0, 0, 0, time.UTC)},
		{"2025-01-01 01:00:00", time.Date(2025, 1, 1, 1, 0, 0, 0, time.UTC)},
		{int64(1735693200), time.Date(2025, 1, 1, 1, 0, 0, 0, time.UTC)},
		{1795296428.879285, time.Date(2026, 11, 21, 21, 27, 8, 879285000, time.UTC)},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in)
		if err != nil {
			t.Errorf("ParseTime(%v): %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) {
			t.Errorf("ParseTime(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	for _, bad := range []any{"soon", true, 1e300} {
		if _, err := ParseTime(bad); err == nil {
			t.Errorf("ParseTime(%v) succeeded", bad)
		}
	}
}

func TestCanonicalize(t *testing.T) {
	t.Parallel()
	a := `<?xml version='1.0'?>
<methodCall><methodName>x</methodName><params>
<param><value><struct><member><name>b</name><value><i4>1</i4></value></member>
<member><name>a</name><value>txt</value></member></struct></value></param>
<param><value/></param><param><value><double>1.50</double></value></param></params></methodCall>`
	b := `<methodCall><methodName>x</methodName><params><param><value><struct><member><name>a</name><value><string>txt</string></value></member><member><name>b</name><value><int>1</int></value></member></struct></value></param><param><value><string></string></value></param><param><value><double>1.5</double></value></param></params></methodCall>`
	if diff := cmp.Diff(canonString(t, a), canonString(t, b)); diff != "" {
		t.Errorf("equivalent documents differ (-a +b):\n%s", diff)
	}
	n := `<methodCall><methodName>x</methodName><params><param><value><nil/></value></param></params></methodCall>`
	e := `<methodCall><methodName>x</methodName><params><param><value/></param></params></methodCall>`
	if canonString(t, n) == canonString(t, e) {
		t.Error("<nil/> and <value/> canonicalise to the same text")
	}
	i8 := `<methodResponse><params><param><value><i8>5</i8></value></param></params></methodResponse>`
	i4 := `<methodResponse><params><param><value><int>5</int></value></param></params></methodResponse>`
	if canonString(t, i8) == canonString(t, i4) {
		t.Error("<i8> and <int> canonicalise to the same text")
	}
	for _, bad := range []string{"", "<a>", "</a>"} {
		if _, err := Canonicalize([]byte(bad)); err == nil {
			t.Errorf("Canonicalize(%q) succeeded", bad)
		}
	}
}
