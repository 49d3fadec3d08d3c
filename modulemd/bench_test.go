package modulemd

// Load and dump benchmarks over a 50 MiB modules.yaml (6,004 streams and 40
// defaults) made by ../shared/tools/make-big-index, and a side-by-side
// measurement of time and peak RSS against libmodulemd on the same file:
//
//	go test ./modulemd -run '^$' -bench 'Big$' -benchmem -count 6 | tee new.txt
//	go run golang.org/x/perf/cmd/benchstat@latest new.txt
//	MODKIT_PERF=1 go test ./modulemd -run '^TestPeakRSS$' -v
//
// The file is generated once into $TMPDIR/modkit-bench/big.yaml and reused.

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	benchFileOnce sync.Once
	benchFile     string
	benchFileErr  error
)

// bigBenchFile returns the path of the 50 MiB benchmark input, making it on
// first use; it skips (fails under MODKIT_REQUIRE_TOOLS=1) when the generator
// is absent.
func bigBenchFile(tb testing.TB) string {
	tb.Helper()
	benchFileOnce.Do(func() {
		dir := filepath.Join(os.TempDir(), "modkit-bench")
		path := filepath.Join(dir, "big.yaml")
		if st, err := os.Stat(path); err == nil && st.Size() > 50<<20 {
			benchFile = path
			return
		}
		tool := filepath.Join(repoRoot(tb), "..", "shared", "tools", "make-big-index")
		if _, err := os.Stat(tool); err != nil {
			benchFileErr = fmt.Errorf("make-big-index not found: %w", err)
			return
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			benchFileErr = err
			return
		}
		tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
		out, err := exec.Command(pythonPath, tool, "-o", tmp, "--target-mb", "50", "--defaults").CombinedOutput()
		if err != nil {
			benchFileErr = fmt.Errorf("make-big-index: %v: %s", err, out)
			return
		}
		if err := os.Rename(tmp, path); err != nil {
			benchFileErr = err
			return
		}
		benchFile = path
	})
	if benchFileErr != nil {
		skipOrFatal(tb, "benchmark input unavailable: %v", benchFileErr)
	}
	return benchFile
}

func fileSize(tb testing.TB, path string) int64 {
	tb.Helper()
	st, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return st.Size()
}

// loadBig reads, validates and indexes the file (libmodulemd's
// update_from_file, non-strict).
func loadBig(tb testing.TB, path string) *Index {
	tb.Helper()
	idx, err := ReadIndexFile(path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return idx
}

func BenchmarkLoadValidateBig(b *testing.B) {
	path := bigBenchFile(b)
	b.SetBytes(fileSize(b, path))
	b.ReportAllocs()
	for b.Loop() {
		idx := loadBig(b, path)
		if n := len(idx.Streams()); n != 6004 {
			b.Fatalf("loaded %d streams, want 6004", n)
		}
	}
}

func BenchmarkLoadDumpBig(b *testing.B) {
	path := bigBenchFile(b)
	b.SetBytes(fileSize(b, path))
	b.ReportAllocs()
	for b.Loop() {
		idx := loadBig(b, path)
		if err := idx.Encode(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// rssHelperEnv makes TestPeakRSSHelper do one measured run in a child
// process: "load" or "dump", then the file path.
const rssHelperEnv = "MODKIT_RSS_HELPER"

// TestPeakRSSHelper is the child side of TestPeakRSS; it does nothing unless
// started by it.
func TestPeakRSSHelper(t *testing.T) {
	spec := os.Getenv(rssHelperEnv)
	if spec == "" {
		t.Skip("only run as TestPeakRSS's child process")
	}
	mode, path, _ := strings.Cut(spec, ":")
	start := time.Now()
	idx := loadBig(t, path)
	if mode == "dump" {
		if err := idx.Encode(io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Printf("elapsed %d\n", time.Since(start).Nanoseconds())
}

// perfRun is one measured process: wall time of the work and peak RSS.
type perfRun struct {
	wall   time.Duration
	maxRSS int64 // bytes
}

// TestPeakRSS measures our time and peak RSS against libmodulemd's on the
// same 50 MiB file in the same run, for load and for load+dump, median of
// three runs each, and logs the ratios. It runs only with MODKIT_PERF=1 (it
// takes about a minute) and asserts nothing about time; see the report.
func TestPeakRSS(t *testing.T) {
	if os.Getenv("MODKIT_PERF") != "1" {
		t.Skip("set MODKIT_PERF=1 to measure time and peak RSS against libmodulemd")
	}
	path := bigBenchFile(t)
	p := requireOracle(t) // also checks python3-gi
	const runs = 3
	for _, mode := range []string{"load", "dump"} {
		var ours, theirs []perfRun
		for range runs {
			ours = append(ours, measure(t, exec.Command(os.Args[0], "-test.run=^TestPeakRSSHelper$"), rssHelperEnv+"="+mode+":"+path))
			args := []string{p.script, path}
			if mode == "load" {
				args = []string{p.script, "--no-dump", path}
			}
			theirs = append(theirs, measure(t, exec.Command(pythonPath, args...), ""))
		}
		o, l := median(ours), median(theirs)
		t.Logf("%s: modkit %.2fs %d MB; libmodulemd %.2fs %d MB; speed-up %.2fx, RSS ratio %.2f",
			mode, o.wall.Seconds(), o.maxRSS>>20, l.wall.Seconds(), l.maxRSS>>20,
			l.wall.Seconds()/o.wall.Seconds(), float64(o.maxRSS)/float64(l.maxRSS))
	}
}

// measure runs cmd, with env added, discarding its output except for an
// "elapsed N" line (the child's own timing, which leaves out process start);
// without one the wall time of the whole process counts.
func measure(t *testing.T, cmd *exec.Cmd, env string) perfRun {
	t.Helper()
	if env != "" {
		cmd.Env = append(os.Environ(), env)
	}
	var out strings.Builder
	cmd.Stdout = &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %v\n%.2000s", cmd.Args, err, out.String())
	}
	r := perfRun{wall: time.Since(start)}
	for _, line := range strings.Split(out.String(), "\n") {
		if ns, ok := strings.CutPrefix(line, "elapsed "); ok {
			if n, err := strconv.ParseInt(ns, 10, 64); err == nil {
				r.wall = time.Duration(n)
			}
		}
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSS = ru.Maxrss << 10 // Linux reports KiB
	}
	return r
}

func median(rs []perfRun) perfRun {
	w := make([]perfRun, len(rs))
	copy(w, rs)
	sort.Slice(w, func(i, j int) bool { return w[i].wall < w[j].wall })
	m := w[len(w)/2]
	sort.Slice(w, func(i, j int) bool { return w[i].maxRSS < w[j].maxRSS })
	m.maxRSS = w[len(w)/2].maxRSS
	return m
}
