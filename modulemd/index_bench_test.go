package modulemd

import (
	"os"
	"testing"
)

// BenchmarkReadIndexFile loads and validates a large modules.yaml. Set
// MODKIT_BIG_INDEX to a file made with ../shared/tools/make-big-index, for
// example: make-big-index -o /tmp/big.yaml --target-mb 50 --defaults.
func BenchmarkReadIndexFile(b *testing.B) {
	path := os.Getenv("MODKIT_BIG_INDEX")
	if path == "" {
		b.Skip("set MODKIT_BIG_INDEX to a large modules.yaml (see ../shared/tools/make-big-index)")
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	for b.Loop() {
		idx, err := ReadIndexFile(path, nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(idx.ModuleNames()) == 0 {
			b.Fatal("no modules")
		}
	}
}

// BenchmarkIndexAddStream adds 6,000 distinct streams (20 modules), which
// exercises the duplicate check.
func BenchmarkIndexAddStream(b *testing.B) {
	streams := make([]*Stream, 6000)
	for i := range streams {
		streams[i] = newTestStream("mod"+itoa(i%20), "s"+itoa(i%7), uint64(i), "c"+itoa(i%3), "x86_64")
	}
	for b.Loop() {
		idx := NewIndex(nil)
		for _, s := range streams {
			if err := idx.AddStream(s); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkIndexSearch(b *testing.B) {
	idx := NewIndex(nil)
	for i := range 6000 {
		if err := idx.AddStream(newTestStream("mod"+itoa(i%200), "s"+itoa(i%7), uint64(i), "c"+itoa(i%3), "x86_64")); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if len(idx.Search(Query{Name: "mod7", Stream: "s0"})) == 0 {
			b.Fatal("no results")
		}
	}
}
