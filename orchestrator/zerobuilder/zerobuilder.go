package zerobuilder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
)

// Options configure a Builder; nil means defaults.
type Options struct {
	// Journal is the file recording performed builds (created if
	// missing); empty = memory only.
	Journal string
	// Delay is how long each component build takes; 0 = it is complete
	// at the first Poll.
	Delay time.Duration
	// Fail maps a package name to a failure reason: its builds fail.
	Fail map[string]string
	// Arch is the architecture of the made-up binary RPMs; default x86_64.
	Arch string
}

// Build is one performed component build.
type Build struct {
	ModuleID, ComponentID int64
	Attempt               int
	Package               string
	// Started is when it was submitted (zero in journals of older
	// versions).
	Started time.Time
}

type key struct {
	id      int64
	attempt int
}

type task struct {
	started time.Time
	pkg     string
	dist    string
}

// Builder is the zero-time builder. It is safe for concurrent use.
type Builder struct {
	opts Options

	mu       sync.Mutex
	tasks    map[key]*task
	builds   []Build
	batches  []string // "module:batch" per FinishBatch call
	finals   map[int64]*modulemd.Stream
	prepares int
	journal  *os.File
	offset   int64 // journal bytes read
}

var _ orchestrator.Builder = (*Builder)(nil)

// New returns a Builder, loading the journal if there is one.
func New(opts *Options) (*Builder, error) {
	b := &Builder{tasks: map[key]*task{}, finals: map[int64]*modulemd.Stream{}}
	if opts != nil {
		b.opts = *opts
	}
	if b.opts.Arch == "" {
		b.opts.Arch = "x86_64"
	}
	if b.opts.Journal != "" {
		f, err := os.OpenFile(b.opts.Journal, os.O_CREATE|os.O_APPEND|os.O_RDWR, 0o644)
		if err != nil {
			return nil, fmt.Errorf("zerobuilder: open journal: %w", err)
		}
		b.journal = f
		if err := b.syncJournal(false); err != nil {
			f.Close()
			return nil, err
		}
	}
	return b, nil
}

// Close closes the journal.
func (b *Builder) Close() error {
	if b.journal != nil {
		return b.journal.Close()
	}
	return nil
}

// ReadJournal returns the builds recorded in a journal file, in order.
func ReadJournal(path string) ([]Build, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	builds, _, err := parseJournal(path, data, 1)
	return builds, err
}

// parseJournal parses the complete lines of data, numbered from line; it
// returns the builds and the bytes consumed.
func parseJournal(path string, data []byte, line int) ([]Build, int, error) {
	var out []Build
	used := 0
	for {
		i := strings.IndexByte(string(data[used:]), '\n')
		if i < 0 {
			return out, used, nil
		}
		text := string(data[used : used+i])
		used += i + 1
		fs := strings.Fields(text)
		if len(fs) != 4 && len(fs) != 5 {
			return nil, 0, fmt.Errorf("zerobuilder: %s:%d: expected 4 or 5 fields", path, line)
		}
		var bd Build
		var err1, err2, err3, err4 error
		bd.ModuleID, err1 = strconv.ParseInt(fs[0], 10, 64)
		bd.ComponentID, err2 = strconv.ParseInt(fs[1], 10, 64)
		bd.Attempt, err3 = strconv.Atoi(fs[2])
		bd.Package = fs[3]
		if len(fs) == 5 {
			var us int64
			us, err4 = strconv.ParseInt(fs[4], 10, 64)
			bd.Started = time.UnixMicro(us)
		}
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			return nil, 0, fmt.Errorf("zerobuilder: %s:%d: %w", path, line, err)
		}
		out = append(out, bd)
		line++
	}
}

// syncJournal reads the journal lines other processes appended since the
// last read; with exclusive, it leaves the file locked for an append.
// Callers hold b.mu.
func (b *Builder) syncJournal(exclusive bool) error {
	if err := lockFile(b.journal, exclusive); err != nil {
		return fmt.Errorf("zerobuilder: lock journal: %w", err)
	}
	if !exclusive {
		defer unlockFile(b.journal)
	}
	st, err := b.journal.Stat()
	if err != nil {
		return fmt.Errorf("zerobuilder: read journal: %w", err)
	}
	if st.Size() <= b.offset {
		return nil
	}
	data := make([]byte, st.Size()-b.offset)
	if _, err := b.journal.ReadAt(data, b.offset); err != nil {
		return fmt.Errorf("zerobuilder: read journal: %w", err)
	}
	builds, used, err := parseJournal(b.opts.Journal, data, len(b.builds)+1)
	if err != nil {
		return err
	}
	b.offset += int64(used)
	for _, bd := range builds {
		b.tasks[key{bd.ComponentID, bd.Attempt}] = &task{pkg: bd.Package, started: bd.Started}
		b.builds = append(b.builds, bd)
	}
	return nil
}

// Builds returns the component builds performed (including those in the
// journal from earlier processes).
func (b *Builder) Builds() []Build {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Build(nil), b.builds...)
}

// Batches returns "moduleID:batch" for every FinishBatch call, in order.
func (b *Builder) Batches() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.batches...)
}

// Final returns the final modulemd given to Finalize for a module build.
func (b *Builder) Final(moduleID int64) *modulemd.Stream {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.finals[moduleID]
}

// Prepare implements [orchestrator.Builder].
func (b *Builder) Prepare(ctx context.Context, mb *orchestrator.ModuleBuild, s *modulemd.Stream) error {
	b.mu.Lock()
	b.prepares++
	b.mu.Unlock()
	return ctx.Err()
}

// Submit implements [orchestrator.Builder].
func (b *Builder) Submit(ctx context.Context, mb *orchestrator.ModuleBuild, c *orchestrator.ComponentBuild) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	k := key{c.ID, c.Attempt}
	id := fmt.Sprintf("zero-%d-%d", c.ID, c.Attempt)
	if t := b.tasks[k]; t != nil {
		t.dist = mb.DistTag
		return id, nil
	}
	now := time.Now()
	if b.journal != nil {
		// Another process sharing the journal may have built it.
		if err := b.syncJournal(true); err != nil {
			return "", err
		}
		defer unlockFile(b.journal)
		if t := b.tasks[k]; t != nil {
			t.dist = mb.DistTag
			return id, nil
		}
		line := fmt.Sprintf("%d %d %d %s %d\n", mb.ID, c.ID, c.Attempt, c.Package, now.UnixMicro())
		if _, err := b.journal.WriteString(line); err != nil {
			return "", fmt.Errorf("zerobuilder: write journal: %w", err)
		}
		b.offset += int64(len(line))
	}
	b.tasks[k] = &task{started: now, pkg: c.Package, dist: mb.DistTag}
	b.builds = append(b.builds, Build{ModuleID: mb.ID, ComponentID: c.ID, Attempt: c.Attempt, Package: c.Package, Started: now})
	return id, nil
}

// Poll implements [orchestrator.Builder].
func (b *Builder) Poll(ctx context.Context, mb *orchestrator.ModuleBuild, c *orchestrator.ComponentBuild) (orchestrator.ComponentResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.tasks[key{c.ID, c.Attempt}]
	if t == nil && b.journal != nil {
		if err := b.syncJournal(false); err != nil {
			return orchestrator.ComponentResult{}, err
		}
		t = b.tasks[key{c.ID, c.Attempt}]
	}
	if t == nil {
		return orchestrator.ComponentResult{}, fmt.Errorf("zerobuilder: unknown task %q", c.TaskID)
	}
	if b.opts.Delay > 0 && !t.started.IsZero() && time.Since(t.started) < b.opts.Delay {
		return orchestrator.ComponentResult{State: orchestrator.ComponentBuilding}, nil
	}
	if reason, ok := b.opts.Fail[c.Package]; ok {
		return orchestrator.ComponentResult{State: orchestrator.ComponentFailed, Reason: reason}, nil
	}
	rel := "1" + mb.DistTag
	arch := b.opts.Arch
	if c.Package == orchestrator.MacrosPackage {
		arch = "noarch"
	}
	return orchestrator.ComponentResult{
		State: orchestrator.ComponentComplete,
		NVR:   c.Package + "-1.0-" + rel,
		RPMs: []string{
			c.Package + "-0:1.0-" + rel + "." + arch,
			c.Package + "-0:1.0-" + rel + ".src",
		},
		Licenses: []string{"MIT"},
	}, nil
}

// Cancel implements [orchestrator.Builder].
func (b *Builder) Cancel(ctx context.Context, mb *orchestrator.ModuleBuild, c *orchestrator.ComponentBuild) error {
	return nil
}

// FinishBatch implements [orchestrator.Builder].
func (b *Builder) FinishBatch(ctx context.Context, mb *orchestrator.ModuleBuild, batch int, built []*orchestrator.ComponentBuild) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.batches = append(b.batches, fmt.Sprintf("%d:%d", mb.ID, batch))
	return nil
}

// Finalize implements [orchestrator.Builder].
func (b *Builder) Finalize(ctx context.Context, mb *orchestrator.ModuleBuild, final *modulemd.Stream, built []*orchestrator.ComponentBuild) (orchestrator.Publication, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.finals[mb.ID] = final.Clone()
	return orchestrator.Publication{Repository: "zero://" + mb.NSVC()}, nil
}
