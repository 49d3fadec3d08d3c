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
// collector runs only when the heap reaches a memory limit sized from the
// input (GOGC=off), so peak memory stays near what the data needs and
// little time goes to collection. Should the live heap outgrow the
// estimate, watchHeap raises the limit after each collection so that the
// collector never runs back to back (which a limit the live heap is close
// to would make it do, with or without GOGC). A library must not do this
// (it owns no process); the command does. GOGC or GOMEMLIMIT in the
// environment win.
func tuneGC(inputBytes int64) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" || inputBytes <= 0 {
		return
	}
	limit := gcMemoryLimit(inputBytes)
	debug.SetMemoryLimit(limit)
	debug.SetGCPercent(-1)
	watchHeap(limit)
}

// raisedLimit is the memory limit after a collection left live bytes
// live under limit: unchanged while the live heap takes up to 3/4 of it,
// else twice the live heap (the collector's default headroom) plus the
// base allowance.
func raisedLimit(live, limit int64) (int64, bool) {
	if live <= limit/4*3 {
		return limit, false
	}
	return 2*live + 32<<20, true
}

// gcSentinel is an object whose finalizer runs after each collection.
type gcSentinel struct{ _ [16]byte }

// watchHeap checks the live heap after every collection (through the
// finalizer of an unreachable object, re-armed each time) and raises the
// memory limit as raisedLimit says.
func watchHeap(limit int64) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var arm func()
	arm = func() {
		runtime.SetFinalizer(&gcSentinel{}, func(*gcSentinel) {
			metrics.Read(sample)
			if sample[0].Value.Kind() == metrics.KindUint64 {
				if l, raised := raisedLimit(int64(sample[0].Value.Uint64()), limit); raised {
					limit = l
					debug.SetMemoryLimit(l)
				}
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

// gcMemoryLimit is the soft memory limit for inputs of n bytes. It is soft:
// when the data needs more, the runtime exceeds it rather than stall.
func gcMemoryLimit(n int64) int64 {
	return 32<<20 + 2*n
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
