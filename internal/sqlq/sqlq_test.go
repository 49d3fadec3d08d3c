package sqlq

import (
	"testing"
	"time"
)

func TestRebind(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in       string
		postgres bool
		want     string
	}{
		{"SELECT a FROM t WHERE b = ? AND c = ?", false, "SELECT a FROM t WHERE b = ? AND c = ?"},
		{"SELECT a FROM t WHERE b = ? AND c = ?", true, "SELECT a FROM t WHERE b = $1 AND c = $2"},
		{"UPDATE t SET é = ? WHERE id = ?", true, "UPDATE t SET é = $1 WHERE id = $2"},
		{"SELECT 1", true, "SELECT 1"},
	} {
		if got := Rebind(tc.in, tc.postgres); got != tc.want {
			t.Errorf("Rebind(%q, %v) = %q, want %q", tc.in, tc.postgres, got, tc.want)
		}
	}
}

func TestMicros(t *testing.T) {
	t.Parallel()
	if Micros(time.Time{}) != 0 || !Time(0).IsZero() {
		t.Error("the zero time is not 0")
	}
	at := time.Date(2026, 12, 2, 14, 5, 6, 789000, time.FixedZone("X", 3600))
	if got := Time(Micros(at)); !got.Equal(at) || got.Location() != time.UTC {
		t.Errorf("round trip: %v, want %v in UTC", got, at)
	}
}
