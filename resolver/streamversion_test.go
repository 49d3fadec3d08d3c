package resolver

import "testing"

func TestStreamVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		stream   string
		padded   uint64
		unpadded uint64
		ok       bool
	}{
		{"f28", 280000, 28, true},
		{"f27.0.1", 270001, 270001, true},
		{"el8", 80000, 8, true},
		{"el8.3.0", 80300, 80300, true},
		{"el8.3.0.z", 80300, 80300, true},
		{"el8.10.0", 81000, 81000, true},
		{"master", 0, 0, false},
		{"rawhide", 0, 0, false},
		{"f32", 320000, 32, true},
	}
	for _, tt := range tests {
		t.Run(tt.stream, func(t *testing.T) {
			t.Parallel()
			p, ok := StreamVersion(tt.stream, true)
			u, _ := StreamVersion(tt.stream, false)
			if ok != tt.ok || p != tt.padded || u != tt.unpadded {
				t.Errorf("StreamVersion(%q) = %d/%d %v, want %d/%d %v", tt.stream, p, u, ok, tt.padded, tt.unpadded, tt.ok)
			}
		})
	}
}

func TestPrefixVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		base    string
		version uint64
		want    uint64
	}{
		{"f32", 20200512104430, 3220200512104430},
		{"el8.3.0", 20201001000000, 8030020201001000000},
		{"f28", 0, 0},
		{"master", 5, 5},
		{"el8.3.0", 999990101000000, 999990101000000}, // 80300 prefix would overflow uint64
	}
	for _, tt := range tests {
		if got := PrefixVersion(tt.base, tt.version); got != tt.want {
			t.Errorf("PrefixVersion(%q, %d) = %d, want %d", tt.base, tt.version, got, tt.want)
		}
	}
}

// FuzzStreamVersion checks that any stream name is handled without panics
// and that right padding never lowers the value.
func FuzzStreamVersion(f *testing.F) {
	for _, s := range []string{"f28", "el8.3.0.z", "1.2.3.4.5.6.7.8.9.10", "..", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, okP := StreamVersion(s, true)
		u, okU := StreamVersion(s, false)
		if okP && okU && p < u {
			t.Errorf("StreamVersion(%q): padded %d < unpadded %d", s, p, u)
		}
		_ = PrefixVersion(s, 20200101000000)
	})
}
