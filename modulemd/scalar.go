package modulemd

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The scalar readers below follow libmodulemd's: they take the raw text of a
// YAML scalar (whatever its tag or quoting) and either return the value or a
// message saying what was expected. The decoder wraps the message in a
// *ParseError that locates it.

// isCSpace reports the characters C's isspace accepts, which strtoull skips
// before a number.
func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// parseUint64 reads a base-10 unsigned integer as libmodulemd does: leading
// white space and one '+' are accepted; a '-' sign, any other character and
// overflow are errors.
func parseUint64(s string) (uint64, string) {
	t := strings.TrimLeftFunc(s, func(r rune) bool { return r < 0x80 && isCSpace(byte(r)) })
	if strings.HasPrefix(t, "-") {
		return 0, fmt.Sprintf("%q: the integer value is negative; expected an unsigned base-10 integer", s)
	}
	t = strings.TrimPrefix(t, "+")
	if t == "" || !allDigits(t) {
		return 0, fmt.Sprintf("%q: the string is not a valid integer; expected an unsigned base-10 integer", s)
	}
	v, err := strconv.ParseUint(t, 10, 64)
	if err != nil {
		return 0, fmt.Sprintf("%q: the integer value is larger than %d", s, uint64(math.MaxUint64))
	}
	return v, ""
}

// buildorderOverflow is the one out-of-range value read as -1: Fedora's
// libmodulemd build wraps 2^64-1 to -1 and real metadata relies on it.
const buildorderOverflow = "18446744073709551615"

// parseInt64 reads a base-10 signed integer with libmodulemd's rules for
// buildorder. wrapped reports the special value 18446744073709551615, which is
// returned as -1.
func parseInt64(s string) (v int64, wrapped bool, msg string) {
	t := strings.TrimLeftFunc(s, func(r rune) bool { return r < 0x80 && isCSpace(byte(r)) })
	neg := false
	switch {
	case strings.HasPrefix(t, "-"):
		neg = true
		t = t[1:]
	case strings.HasPrefix(t, "+"):
		t = t[1:]
	}
	if t == "" || !allDigits(t) {
		return 0, false, fmt.Sprintf("%q: the string is not a valid integer; expected a base-10 integer", s)
	}
	if !neg && strings.TrimLeft(t, "0") == buildorderOverflow {
		return -1, true, ""
	}
	u, err := strconv.ParseUint(t, 10, 64)
	switch {
	case err != nil && neg, neg && u > 1<<63:
		return 0, false, fmt.Sprintf("%q: the integer value is smaller than %d", s, int64(math.MinInt64))
	case err != nil, !neg && u > math.MaxInt64:
		return 0, false, fmt.Sprintf("%q: the integer value is larger than %d", s, int64(math.MaxInt64))
	case neg:
		return int64(-u), false, "" //nolint:gosec // u <= 2^63 checked above
	}
	return int64(u), false, ""
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseBool accepts exactly "true" and "false".
func parseBool(s string) (bool, string) {
	switch s {
	case "true":
		return true, ""
	case "false":
		return false, ""
	}
	return false, fmt.Sprintf("boolean value was neither \"true\" nor \"false\": %q", s)
}

// parseDate reads a servicelevel date, YYYY-MM-DD, and checks that it exists
// in the calendar (libmodulemd crashes on impossible dates).
func parseDate(s string) (Date, string) {
	bad := func() (Date, string) {
		return Date{}, fmt.Sprintf("%q: date not in the form YYYY-MM-DD", s)
	}
	parts := strings.Split(s, "-")
	if len(parts) != 3 {
		return bad()
	}
	var n [3]int
	for i, p := range parts {
		if p == "" || len(p) > 4 || !allDigits(p) {
			return bad()
		}
		n[i], _ = strconv.Atoi(p)
	}
	d := Date{Year: n[0], Month: n[1], Day: n[2]}
	if !d.valid() {
		return Date{}, fmt.Sprintf("%q: no such calendar date; expected a real date YYYY-MM-DD", s)
	}
	return d, ""
}

// valid reports whether d is a real calendar date with a year 1..9999.
func (d Date) valid() bool {
	if d.Year < 1 || d.Year > 9999 || d.Month < 1 || d.Month > 12 || d.Day < 1 {
		return false
	}
	return d.Day <= time.Date(d.Year, time.Month(d.Month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// String formats d as YYYY-MM-DD.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// obsoletesTimeLayout is the only timestamp format obsoletes documents use.
const obsoletesTimeLayout = "2006-01-02T15:04Z"

// parseObsoletesTime reads exactly YYYY-MM-DDTHH:MMZ (UTC, minute precision)
// and rejects impossible dates and times rather than normalizing them.
func parseObsoletesTime(s string) (time.Time, string) {
	bad := fmt.Sprintf("%q: expected a UTC timestamp in the form YYYY-MM-DDTHH:MMZ", s)
	if len(s) != 17 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != 'Z' {
		return time.Time{}, bad
	}
	num := func(a, b int) (int, bool) {
		if !allDigits(s[a:b]) {
			return 0, false
		}
		v, _ := strconv.Atoi(s[a:b])
		return v, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 7)
	d, ok3 := num(8, 10)
	h, ok4 := num(11, 13)
	mi, ok5 := num(14, 16)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
		return time.Time{}, bad
	}
	if !(Date{Year: y, Month: mo, Day: d}).valid() || h > 23 || mi > 59 {
		return time.Time{}, fmt.Sprintf("%q: no such date or time; expected a real UTC timestamp YYYY-MM-DDTHH:MMZ", s)
	}
	return time.Date(y, time.Month(mo), d, h, mi, 0, 0, time.UTC), ""
}

// formatObsoletesTime writes t (converted to UTC, truncated to the minute) in
// the obsoletes format.
func formatObsoletesTime(t time.Time) string {
	return t.UTC().Format(obsoletesTimeLayout)
}
