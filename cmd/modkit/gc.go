package main

import (
	"os"
	"runtime/debug"
)

// tuneGC sets the garbage collector for a command that loads whole module
// metadata files (validate, query, fmt), given the total size of its FILE
// arguments (0 when unknown, as for standard input). Decoding a large
// index allocates about 15 times the file's size in short-lived YAML nodes
// while what it keeps grows to about 1.2 times the size; Go's default
// (collect whenever the heap doubles) then either collects very often while
// the index is small or lets the heap grow to twice the index. Instead the
// collector runs rarely (GOGC=400) but keeps the process under a memory
// limit sized from the input, so peak memory stays near what the data needs
// and little time goes to collection. A library must not do this (it owns
// no process); the command does. GOGC or GOMEMLIMIT in the environment win.
func tuneGC(inputBytes int64) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" || inputBytes <= 0 {
		return
	}
	debug.SetGCPercent(400)
	debug.SetMemoryLimit(gcMemoryLimit(inputBytes))
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
