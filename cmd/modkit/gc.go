package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// tuneGC sets the garbage collector for a command that loads whole module
// metadata files (validate, query, fmt), given the total size of its FILE
// arguments (0 when unknown, as for standard input). Decoding a large
// index allocates about 15 times the file's size in short-lived YAML nodes
// while what it keeps grows to about 1.2 times the size; Go's default
// (collect whenever the heap doubles) then either collects very often while
// the index is small or lets the heap grow to twice the index. Instead the
// collector runs when the heap reaches a goal sized from the input
// (heapGoal): after each collection, watchHeap sets GOGC to the headroom
// left between the live heap and that goal (gcPercent), so peak memory
// stays near what the data needs and little time goes to collection.
//
// GOGC is used rather than a memory limit of the same size (GOGC=off with
// GOMEMLIMIT, which this command used before): at a memory limit the
// runtime returns freed pages to the system after every collection and
// then faults them back in, which cost about 5% more CPU time for the same
// peak memory (BENCHMARKS.md). Should the live heap outgrow the goal,
// gcPercent keeps the heap growing by half of it, so the collector never
// runs back to back. A library must not do this (it owns no process); the
// command does. GOGC or GOMEMLIMIT in the environment win.
func tuneGC(inputBytes int64) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" || inputBytes <= 0 {
		return
	}
	goal := heapGoal(inputBytes)
	debug.SetGCPercent(gcPercent(minHeap, goal))
	watchHeap(goal)
}

// minHeap is the Go runtime's smallest heap goal (4 MiB), taken as the live
// heap before the first collection.
const minHeap = 4 << 20

// minGCPercent bounds gcPercent from below once the live heap nears or
// passes the goal.
const minGCPercent = 50

// gcPercent is the GOGC that makes the next collection start when the heap
// reaches goal, given live bytes after the last one: the headroom over the
// live heap as a percentage of it, at least minGCPercent.
func gcPercent(live, goal int64) int {
	live = max(live, minHeap)
	return int(max(100*(goal-live)/live, minGCPercent))
}

// gcSentinel is an object whose finalizer runs after each collection.
type gcSentinel struct{ _ [16]byte }

// watchHeap checks the live heap after every collection (through the
// finalizer of an unreachable object, re-armed each time) and sets GOGC as
// gcPercent says.
func watchHeap(goal int64) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var arm func()
	arm = func() {
		runtime.SetFinalizer(&gcSentinel{}, func(*gcSentinel) {
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 {
				debug.SetGCPercent(gcPercent(int64(sample[0].Value.Uint64()), goal))
			}
			arm()
		})
	}
	arm()
}

// gcCommands are the commands tuneGCFor tunes the collector for.
var gcCommands = map[string]bool{"validate": true, "query": true, "fmt": true}

// tuneGCFor calls tuneGC for a command line (without the program name) of
// one of gcCommands. It is called from main only, never in tests, which run
// commands inside the test process. Arguments that are not files (flags and
// their values) are skipped by inputSize.
func tuneGCFor(args []string) {
	if len(args) > 0 && gcCommands[args[0]] {
		tuneGC(inputSize(args[1:]))
	}
	if len(args) > 0 && args[0] == "compose" {
		tuneComposeGC()
	}
}

// composeGCPercent is the collector's GOGC for modkit compose.
const composeGCPercent = 400

// tuneComposeGC sets the collector for modkit compose. A compose's live
// heap is small (under 10 MB for 200 module builds × 3 arches) while it
// allocates short-lived garbage all along (decoding the hub's XML-RPC
// answers and the modulemd files), so with Go's default the collector
// runs every few megabytes. Letting the heap grow to five times the live
// data first cut modkit's CPU time in that compose by about an eighth
// (0.78 s to 0.68 s, alternating runs) for a peak RSS of 54 MB instead of
// 35 MB (BENCHMARKS.md). GOGC or GOMEMLIMIT in the
// environment win.
func tuneComposeGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(composeGCPercent)
}

// heapGoal is the heap size at which the collector runs for inputs of n
// bytes: 2.25 times the input plus 10 MiB. The loaded index takes about
// 1.2 times the input; the rest is room for the YAML parser's garbage.
// For the 50 MiB index that is a peak RSS of about 154 MB, 0.91 of
// libmodulemd's; twice the input (141 MB) cost about 4% more time in
// more frequent collections (BENCHMARKS.md).
func heapGoal(n int64) int64 {
	return 10<<20 + n*9/4
}

// inputSize sums the sizes of the regular files among args; it is 0 when
// one is standard input or compressed (whose decoded size is unknown).
func inputSize(args []string) int64 {
	var total int64
	for _, a := range args {
		if a == "-" {
			return 0
		}
		fi, err := os.Stat(a)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if compressedFile(a) {
			return 0
		}
		total += fi.Size()
	}
	return total
}

// compressedFile reports whether the file at path starts like a compressed
// stream.
func compressedFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var head [8]byte
	n, _ := f.Read(head[:])
	return isCompressed(head[:n])
}
