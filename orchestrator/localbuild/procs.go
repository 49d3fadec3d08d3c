package localbuild

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/modkit/modkit/internal/proc"
	"github.com/modkit/modkit/orchestrator"
)

// procsDir holds one record per running rpmbuild process group
// (internal/proc), so that the next Builder on this directory can kill the
// groups a crashed process left behind.
func (b *Builder) procsDir() string { return filepath.Join(b.dir, "procs") }

// procOwner is the builder's part of a process-group record.
type procOwner struct {
	// OwnerPID and OwnerStart identify the process that started the
	// group; while it lives, the group is its business.
	OwnerPID    int    `json:"owner_pid"`
	OwnerStart  uint64 `json:"owner_start"`
	ModuleID    int64  `json:"module_id"`
	ComponentID int64  `json:"component_id"`
	Package     string `json:"package"`
	Program     string `json:"program"` // rpmbuild or rpmspec
	Task        string `json:"task,omitempty"`
	NSVC        string `json:"nsvc"`
}

// recordGroup records the process group of a started rpmbuild or rpmspec; the
// returned function, called once it has been waited for, kills what is left
// of the group (background processes of the build) and removes the record.
func (b *Builder) recordGroup(pgid int, token string, mb *orchestrator.ModuleBuild, c *orchestrator.ComponentBuild, program, task string) func() {
	g, err := proc.Describe(pgid, token)
	if err != nil {
		// Exited already, or no /proc: nothing to record.
		g = proc.Group{PGID: pgid, Token: token}
	} else {
		pid, start := proc.Self()
		owner := procOwner{OwnerPID: pid, OwnerStart: start, ModuleID: mb.ID, ComponentID: c.ID, Package: c.Package, Program: program, Task: task, NSVC: mb.NSVC()}
		if err := proc.WriteRecord(b.procsDir(), g, owner); err != nil {
			b.log.Warn("cannot record the rpmbuild process group", "package", c.Package, "pgid", pgid, "err", err)
		}
	}
	return func() {
		if n, err := proc.KillStale(g); n > 0 || err != nil {
			b.log.Warn("killed processes the build left running", "package", c.Package, "pgid", pgid, "processes", n, "err", err)
		}
		_ = proc.RemoveRecord(b.procsDir(), pgid)
	}
}

// killStale kills the rpmbuild process groups recorded by an earlier
// process on this directory that is gone (a crash, kill -9), and keeps a
// [orchestrator.Recovery] for each. A record whose owner still runs is
// left alone.
func (b *Builder) killStale() {
	recs, err := proc.ReadRecords(b.procsDir())
	if err != nil {
		b.log.Warn("cannot read the process-group records", "dir", b.procsDir(), "err", err)
		return
	}
	for _, r := range recs {
		var o procOwner
		_ = json.Unmarshal(r.Extra, &o)
		if o.OwnerPID != 0 && proc.Alive(o.OwnerPID, o.OwnerStart) {
			continue
		}
		n, err := proc.KillStale(r.Group)
		if err != nil {
			b.log.Error("cannot kill a build left by an earlier process", "package", o.Package, "pgid", r.PGID, "err", err)
			continue
		}
		_ = proc.RemoveRecord(b.procsDir(), r.PGID)
		what := o.Program
		if what == "" {
			what = "rpmbuild"
		}
		if o.Task != "" {
			what += " (task " + o.Task + ")"
		}
		msg := fmt.Sprintf("Crash recovery: the previous modkit process (PID %d) ended while %s of %s ran in process group %d; ", o.OwnerPID, what, o.Package, r.PGID)
		if n > 0 {
			msg += fmt.Sprintf("killed the %d processes it left running. The component is built again.", n)
		} else {
			msg += "none of its processes was left. The component is built again."
		}
		b.log.Warn("crash recovery", "nsvc", o.NSVC, "package", o.Package, "pgid", r.PGID, "killed", n)
		b.recovered = append(b.recovered, orchestrator.Recovery{ModuleID: o.ModuleID, ComponentID: o.ComponentID, Message: msg})
	}
}

// Recovered implements [orchestrator.RecoveryReporter]: the builds an
// earlier process left running, killed by New.
func (b *Builder) Recovered() []orchestrator.Recovery {
	b.mu.Lock()
	defer b.mu.Unlock()
	r := b.recovered
	b.recovered = nil
	return r
}
