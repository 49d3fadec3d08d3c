package modulemd

import "testing"

func TestCompareVersions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0},
		{"1.0~rc1", "1.0", -1},
		{"1.0^git1", "1.0", 1},
		{"1.10", "1.9", 1},
	}
	for _, tc := range tests {
		if got := CompareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	evr := []struct {
		a, b string
		want int
	}{
		{"1:1.0-1", "2.0-1", 1},
		{"0:2.0-1", "2.0-1", 0},
		{"2.0-1", "2.0-10", -1},
	}
	for _, tc := range evr {
		if got := CompareEVR(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareEVR(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
