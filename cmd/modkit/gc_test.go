package main

import "testing"

func TestGCPercent(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	goal := heapGoal(40 * mib)
	if goal != 100*mib {
		t.Fatalf("heapGoal(40 MiB) = %d MiB; want 100 MiB", goal/mib)
	}
	tests := []struct {
		live int64
		want int
	}{
		{0, 2400},           // before the first collection: from the 4 MiB minimum heap
		{minHeap / 2, 2400}, // below the minimum heap
		{10 * mib, 900},     // early: collect at 100 MiB
		{goal / 4, 300},     // a quarter
		{goal / 2, 100},     // half way
		{60 * mib, 66},      // late: the headroom shrinks
		{70 * mib, 50},      // near the goal: grow by half at least
		{goal - mib, 50},    // just under it
		{goal, 50},          // at it
		{500 * mib, 50},     // far past it
	}
	for _, tt := range tests {
		if got := gcPercent(tt.live, goal); got != tt.want {
			t.Errorf("gcPercent(%d MiB, %d MiB) = %d; want %d", tt.live/mib, goal/mib, got, tt.want)
		}
	}
}
