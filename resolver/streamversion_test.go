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
