// Package sqlq holds what the SQL stores that keep their own tables on
// SQLite or PostgreSQL (orchestrator/rebuilds, pungi/odcs) share: one
// query text for both dialects, and times as microseconds.
package sqlq

import (
	"strconv"
	"strings"
	"time"
)

// Rebind rewrites the ? placeholders of query as PostgreSQL's $1, $2, ...
// when postgres is set; SQLite takes query as it is. Queries must not
// hold a literal question mark.
func Rebind(query string, postgres bool) string {
	if !postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Micros is t as microseconds since the Unix epoch; 0 for the zero time.
func Micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// Time reads Micros' value back, in UTC; 0 is the zero time.
func Time(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}
