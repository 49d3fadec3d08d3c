package main

import "testing"

func TestRaisedLimit(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	tests := []struct {
		live, limit, want int64
		raised            bool
	}{
		{60 * mib, 132 * mib, 132 * mib, false},  // the 50 MiB index: room left
		{99 * mib, 132 * mib, 132 * mib, false},  // exactly 3/4
		{100 * mib, 132 * mib, 232 * mib, true},  // past 3/4: twice live plus 32 MiB
		{500 * mib, 232 * mib, 1032 * mib, true}, // far past an earlier raise
	}
	for _, tt := range tests {
		got, raised := raisedLimit(tt.live, tt.limit)
		if got != tt.want || raised != tt.raised {
			t.Errorf("raisedLimit(%d MiB, %d MiB) = %d MiB, %v; want %d MiB, %v",
				tt.live/mib, tt.limit/mib, got/mib, raised, tt.want/mib, tt.raised)
		}
	}
}
