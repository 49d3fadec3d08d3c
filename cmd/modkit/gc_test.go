package main

import "testing"

func TestGCPercent(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	goal := heapGoal(50 * mib) // the 50 MiB index: 110 MiB
	tests := []struct {
		live int64
		want int
	}{
		{0, 2650},           // before the first collection: from the 4 MiB minimum heap
		{10 * mib, 1000},    // early: collect at 110 MiB
		{55 * mib, 100},     // half way
		{70 * mib, 57},      // late: the headroom shrinks
		{80 * mib, 50},      // near the goal: grow by half at least
		{500 * mib, 50},     // far past it
		{goal, 50},          // at it
		{goal - mib, 50},    // just under it
		{goal / 2, 100},     // exactly half
		{goal / 4, 300},     // a quarter
		{minHeap / 2, 2650}, // below the minimum heap
	}
	for _, tt := range tests {
		if got := gcPercent(tt.live, goal); got != tt.want {
			t.Errorf("gcPercent(%d MiB, %d MiB) = %d; want %d", tt.live/mib, goal/mib, got, tt.want)
		}
	}
}
