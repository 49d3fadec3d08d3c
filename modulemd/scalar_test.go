package modulemd

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseUint64(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    uint64
		wantErr string // substring of the message; "" = no error
	}{
		{"0", 0, ""},
		{"42", 42, ""},
		{"+10", 10, ""},
		{" 5", 5, ""}, // strtoull skips leading white space
		{"20180816123422", 20180816123422, ""},
		{"18446744073709551615", 18446744073709551615, ""},
		{"007", 7, ""},
		{"-1", 0, "negative"},
		{"-0", 0, "negative"},
		{"18446744073709551616", 0, "larger than 18446744073709551615"},
		{"99999999999999999999999", 0, "larger than"},
		{"0x10", 0, "not a valid integer"},
		{"1e3", 0, "not a valid integer"},
		{"1.5", 0, "not a valid integer"},
		{"5 ", 0, "not a valid integer"},
		{"", 0, "not a valid integer"},
		{"+", 0, "not a valid integer"},
		{"++1", 0, "not a valid integer"},
		{"abc", 0, "not a valid integer"},
	}
	for _, tt := range tests {
		got, msg := parseUint64(tt.in)
		if tt.wantErr == "" {
			if msg != "" || got != tt.want {
				t.Errorf("parseUint64(%q) = %d, %q; want %d, no error", tt.in, got, msg, tt.want)
			}
			continue
		}
		if !strings.Contains(msg, tt.wantErr) {
			t.Errorf("parseUint64(%q) error = %q; want it to contain %q", tt.in, msg, tt.wantErr)
		}
	}
}

func TestParseInt64(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    int64
		wrapped bool
		wantErr string
	}{
		{"0", 0, false, ""},
		{"10", 10, false, ""},
		{"-1", -1, false, ""},
		{"+3", 3, false, ""},
		{"9223372036854775807", 9223372036854775807, false, ""},
		{"-9223372036854775808", -9223372036854775808, false, ""},
		{"2147483648", 2147483648, false, ""}, // libmodulemd truncates to int; we do not
		{"18446744073709551615", -1, true, ""},
		{"9223372036854775808", 0, false, "larger than 9223372036854775807"},
		{"18446744073709551614", 0, false, "larger than"},
		{"-9223372036854775809", 0, false, "smaller than -9223372036854775808"},
		{"-99999999999999999999", 0, false, "smaller than"},
		{"1.0", 0, false, "not a valid integer"},
		{"", 0, false, "not a valid integer"},
		{"-", 0, false, "not a valid integer"},
		{"ten", 0, false, "not a valid integer"},
	}
	for _, tt := range tests {
		got, wrapped, msg := parseInt64(tt.in)
		if tt.wantErr == "" {
			if msg != "" || got != tt.want || wrapped != tt.wrapped {
				t.Errorf("parseInt64(%q) = %d, %v, %q; want %d, %v, no error", tt.in, got, wrapped, msg, tt.want, tt.wrapped)
			}
			continue
		}
		if !strings.Contains(msg, tt.wantErr) {
			t.Errorf("parseInt64(%q) error = %q; want it to contain %q", tt.in, msg, tt.wantErr)
		}
	}
}

func TestParseBool(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{"true": true, "false": false} {
		if got, msg := parseBool(in); got != want || msg != "" {
			t.Errorf("parseBool(%q) = %v, %q", in, got, msg)
		}
	}
	for _, in := range []string{"True", "TRUE", "yes", "1", "on", "", "false "} {
		if _, msg := parseBool(in); !strings.Contains(msg, `neither "true" nor "false"`) {
			t.Errorf("parseBool(%q) error = %q; want a neither-true-nor-false error", in, msg)
		}
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Date
		wantErr string
	}{
		{"2077-10-23", Date{2077, 10, 23}, ""},
		{"2024-02-29", Date{2024, 2, 29}, ""},
		{"2077-1-5", Date{2077, 1, 5}, ""},
		{"2023-02-29", Date{}, "no such calendar date"},
		{"2077-13-45", Date{}, "no such calendar date"},
		{"2077-04-31", Date{}, "no such calendar date"},
		{"0000-01-01", Date{}, "no such calendar date"},
		{"2077-10", Date{}, "YYYY-MM-DD"},
		{"2077-10-23-1", Date{}, "YYYY-MM-DD"},
		{"2077-10-23T00:00", Date{}, "YYYY-MM-DD"},
		{"20771023", Date{}, "YYYY-MM-DD"},
		{"", Date{}, "YYYY-MM-DD"},
		{"a-b-c", Date{}, "YYYY-MM-DD"},
	}
	for _, tt := range tests {
		got, msg := parseDate(tt.in)
		if tt.wantErr == "" {
			if msg != "" || got != tt.want {
				t.Errorf("parseDate(%q) = %v, %q; want %v", tt.in, got, msg, tt.want)
			}
			continue
		}
		if !strings.Contains(msg, tt.wantErr) {
			t.Errorf("parseDate(%q) error = %q; want it to contain %q", tt.in, msg, tt.wantErr)
		}
	}
}

func TestParseObsoletesTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    time.Time
		wantErr string
	}{
		{"2018-05-23T14:25Z", time.Date(2018, 5, 23, 14, 25, 0, 0, time.UTC), ""},
		{"2020-03-19T00:00Z", time.Date(2020, 3, 19, 0, 0, 0, 0, time.UTC), ""},
		{"2018-05-23T14:25:00Z", time.Time{}, "YYYY-MM-DDTHH:MMZ"},
		{"2018-05-23 14:25Z", time.Time{}, "YYYY-MM-DDTHH:MMZ"},
		{"2018-05-23T14:25+01:00", time.Time{}, "YYYY-MM-DDTHH:MMZ"},
		{"2018-5-23T14:25Z", time.Time{}, "YYYY-MM-DDTHH:MMZ"},
		{"2018-05-23", time.Time{}, "YYYY-MM-DDTHH:MMZ"},
		{"201805231425", time.Time{}, "YYYY-MM-DDTHH:MMZ"},
		{"2018-02-30T14:25Z", time.Time{}, "no such date"},
		{"2018-05-23T24:00Z", time.Time{}, "no such date"},
		{"2018-05-23T12:60Z", time.Time{}, "no such date"},
	}
	for _, tt := range tests {
		got, msg := parseObsoletesTime(tt.in)
		if tt.wantErr == "" {
			if msg != "" || !got.Equal(tt.want) {
				t.Errorf("parseObsoletesTime(%q) = %v, %q; want %v", tt.in, got, msg, tt.want)
			}
			if f := formatObsoletesTime(got); f != tt.in {
				t.Errorf("formatObsoletesTime(%v) = %q; want %q", got, f, tt.in)
			}
			continue
		}
		if !strings.Contains(msg, tt.wantErr) {
			t.Errorf("parseObsoletesTime(%q) error = %q; want it to contain %q", tt.in, msg, tt.wantErr)
		}
	}
}

func TestSortedSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want []string
	}{
		{nil, nil},
		{[]string{}, nil},
		{[]string{"b", "a", "b", "C"}, []string{"C", "a", "b"}},
		{[]string{"x"}, []string{"x"}},
	}
	for _, tt := range tests {
		if d := cmp.Diff(tt.want, sortedSet(tt.in)); d != "" {
			t.Errorf("sortedSet(%q) (-want +got):\n%s", tt.in, d)
		}
	}
}

func TestLooksRetyped(t *testing.T) {
	t.Parallel()
	quoted := []string{"", "1", "-1", "+1", "1.10", "1.0", "3.14", ".5", "1e3", "1E-3", "0x1F", "0o17", "0b101",
		"1_000", "12:30", "0b-1", "-0x_1F", "00000000", "20180816123422", "2077-10-23", "2001-12-14t21:59:43.10-05:00",
		"true", "False", "YES", "no", "On", "off", "y", "N", "~", "null", "NULL", ".nan", ".inf", "-.Inf", "<<"}
	plain := []string{"a", "foo", "x86_64", "c0ffee43", "6c81f848", "bar-0:1.23-1.x86_64", "1.23-1.module_x",
		"389-ds-base", "v1", "f29", "e5", "0x", "1.2.3a", "yes please", "master", "2077-10-23x"}
	for _, s := range quoted {
		if !looksRetyped(s) {
			t.Errorf("looksRetyped(%q) = false; want true", s)
		}
	}
	for _, s := range plain {
		if looksRetyped(s) {
			t.Errorf("looksRetyped(%q) = true; want false", s)
		}
	}
}
