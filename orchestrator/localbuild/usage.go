package localbuild

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Usage measures the wall time during which external programs run, to tell
// rpmbuild's time apart from the rest of a build's. Times are wall-clock
// time during which at least one such program ran, so parallel runs are not
// counted twice. A Builder records its programs in [Options.Usage]; other
// code of the same operation (git run by the build service) can record
// theirs with [Usage.Start]. The zero value is ready; a Usage is safe for
// concurrent use.
type Usage struct {
	mu  sync.Mutex
	now func() time.Time // nil means time.Now; tests set it
	rpm interval         // rpmbuild
	any interval         // every program, rpmbuild included
	by  map[string]*programUsage
}

// interval accumulates the time during which at least one of possibly
// overlapping activities runs.
type interval struct {
	running int
	since   time.Time
	total   time.Duration
}

func (iv *interval) start(now time.Time) {
	if iv.running == 0 {
		iv.since = now
	}
	iv.running++
}

func (iv *interval) stop(now time.Time) {
	iv.running--
	if iv.running == 0 {
		iv.total += now.Sub(iv.since)
	}
}

func (iv *interval) get(now time.Time) time.Duration {
	if iv.running > 0 {
		return iv.total + now.Sub(iv.since)
	}
	return iv.total
}

type programUsage struct {
	runs int
	wall interval
}

// Stats are cumulative timings of a Usage.
type Stats struct {
	// Builds is the number of rpmbuild runs.
	Builds int
	// RPMBuild is the wall time during which rpmbuild ran.
	RPMBuild time.Duration
	// Programs is the wall time during which any program ran: rpmbuild,
	// git, rpmspec, rpm, createrepo_c, modifyrepo_c.
	Programs time.Duration
	// Others is the wall time during which a program other than rpmbuild
	// ran while no rpmbuild did: Programs - RPMBuild. Programs run in the
	// background of an rpmbuild are not in it.
	Others time.Duration
	// ByProgram are the runs and the wall time of each program, counted
	// whether or not rpmbuild ran meanwhile.
	ByProgram []ProgramStats
}

// ProgramStats are the runs and wall time of one program.
type ProgramStats struct {
	Program string
	Runs    int
	Wall    time.Duration
}

// String lists the programs as "git 0.012s/9, ...", the longest first.
func (s Stats) String() string {
	var parts []string
	for _, p := range s.ByProgram {
		parts = append(parts, fmt.Sprintf("%s %.3fs/%d", p.Program, p.Wall.Seconds(), p.Runs))
	}
	return strings.Join(parts, ", ")
}

func (u *Usage) clock() time.Time {
	if u.now != nil {
		return u.now()
	}
	return time.Now()
}

// Start records that program starts; the returned function records its end
// and must be called once.
func (u *Usage) Start(program string) (end func()) {
	u.mu.Lock()
	now := u.clock()
	if u.by == nil {
		u.by = map[string]*programUsage{}
	}
	p := u.by[program]
	if p == nil {
		p = &programUsage{}
		u.by[program] = p
	}
	p.runs++
	p.wall.start(now)
	u.any.start(now)
	if program == "rpmbuild" {
		u.rpm.start(now)
	}
	u.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() { u.end(program) })
	}
}

func (u *Usage) end(program string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	now := u.clock()
	u.by[program].wall.stop(now)
	u.any.stop(now)
	if program == "rpmbuild" {
		u.rpm.stop(now)
	}
}

// Stats returns the timings so far.
func (u *Usage) Stats() Stats {
	u.mu.Lock()
	defer u.mu.Unlock()
	now := u.clock()
	s := Stats{RPMBuild: u.rpm.get(now), Programs: u.any.get(now)}
	s.Others = s.Programs - s.RPMBuild
	for name, p := range u.by {
		if name == "rpmbuild" {
			s.Builds = p.runs
		}
		s.ByProgram = append(s.ByProgram, ProgramStats{Program: name, Runs: p.runs, Wall: p.wall.get(now)})
	}
	slices.SortFunc(s.ByProgram, func(a, b ProgramStats) int {
		return cmp.Or(cmp.Compare(b.Wall, a.Wall), strings.Compare(a.Program, b.Program))
	})
	return s
}
