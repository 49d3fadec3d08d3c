package bodhi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// TimeLayout is how Bodhi writes datetimes in JSON (UTC, no zone).
const TimeLayout = "2006-01-02 15:04:05"

// Time is a Bodhi timestamp: "2006-01-02 15:04:05" in UTC, or null (the
// zero Time). It also reads RFC 3339 and dates ("2006-01-02").
type Time struct{ time.Time }

// MarshalJSON writes Bodhi's layout, or null for the zero Time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(TimeLayout))
}

// UnmarshalJSON reads null, Bodhi's layout, RFC 3339 or a date.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*t = Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("bodhi: time: want a string or null, got %.40s", b)
	}
	if s == "" {
		*t = Time{}
		return nil
	}
	for _, layout := range []string{TimeLayout, "2006-01-02T15:04:05.999999", time.RFC3339Nano, "2006-01-02 15:04:05.999999", "2006-01-02"} {
		if v, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			t.Time = v
			return nil
		}
	}
	return fmt.Errorf("bodhi: time %q: want %q", s, TimeLayout)
}
