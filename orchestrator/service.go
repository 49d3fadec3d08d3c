package orchestrator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/modkit/modkit/internal/scm"
	"github.com/modkit/modkit/resolver"
)

// SCM is the git access the service needs at submit time; *scm.Git (the
// default) implements it.
type SCM interface {
	// ResolveRef resolves a branch, tag or commit ("" = HEAD) to a commit.
	ResolveRef(ctx context.Context, repo, ref string) (string, error)
	// CommitTime returns the committer time of a commit.
	CommitTime(ctx context.Context, repo, commit string) (time.Time, error)
	// ReadFile returns a file of a commit.
	ReadFile(ctx context.Context, repo, commit, path string) ([]byte, error)
}

// Rebuild strategies (MBS's names).
const (
	RebuildAll             = "all"
	RebuildChangedAndAfter = "changed-and-after"
	RebuildOnlyChanged     = "only-changed"
)

// RebuildStrategies describes the rebuild strategies, sorted by name.
var RebuildStrategies = []struct{ Name, Description string }{
	{RebuildAll, "All components will be rebuilt"},
	{RebuildChangedAndAfter, "All components that have changed and those in subsequent batches will be rebuilt"},
	{RebuildOnlyChanged, "All changed components will be rebuilt"},
}

// Options configure a [Service]. Store and Builder are required.
type Options struct {
	Store   Store
	Builder Builder
	// Source finds the modules a submitted module may buildrequire; nil =
	// the store's own ready builds ([NewDBSource]).
	Source resolver.Source
	// Expand adjusts stream expansion (allow incompatible base modules,
	// default streams, ...); nil = MBS's defaults. BaseModuleNames is
	// taken from BaseModules.
	Expand *resolver.ExpandOptions
	// SCM reads module definitions and pins component refs; nil = the
	// git binary (internal/scm).
	SCM SCM
	// Logger receives operational logs; nil = slog.Default().
	Logger *slog.Logger
	// Concurrency is the most components building at once across all
	// module builds worked on by this service; default 5 (MBS's
	// NUM_CONCURRENT_BUILDS). With several processes sharing a store, each
	// process builds up to its own Concurrency. A service takes on new
	// module builds only while it has capacity: each module build it works
	// on counts for the components it has building, at least one, so
	// several processes share the module builds, and submissions beyond
	// the capacity wait in init.
	Concurrency int
	// GlobalConcurrency is the most components building at once across
	// all processes sharing the store (MBS's NUM_CONCURRENT_BUILDS, which
	// counts BUILDING components that were not reused); 0 = no limit
	// beyond each process's Concurrency. With a store whose transactions
	// implement [SlotTx] (pgstore) each component takes a slot in the store
	// before it is submitted; with one that does not (sqlstore, which one
	// process owns) it caps Concurrency.
	GlobalConcurrency int
	// Holder names this process in the store's leases; default
	// "<hostname>:<pid>:<random>". It must differ between processes
	// sharing a store.
	Holder string
	// LeaseTTL is how long a claim on a unit of work (a module build, the
	// outbox, the cleanup pollers) lasts without renewal: a process that
	// dies holds its work this long before another takes it over. Claims
	// are renewed every LeaseTTL/3. Default 30 s.
	LeaseTTL time.Duration
	// Publisher sends the outbox's events to a message bus
	// (orchestrator/amqpbus), before subscribers get them; events are
	// removed from the outbox only after it accepted them. nil = only
	// subscribers ([Service.Subscribe]).
	Publisher Publisher
	// PollInterval is the longest wait between two polls of a running
	// component build (polls back off from 2 ms up to it); default 1 s.
	PollInterval time.Duration
	// Now is the clock; nil = time.Now.
	Now func() time.Time
	// DistTagPrefix starts the dist tag after the dot; default "module+".
	DistTagPrefix string
	// DefaultRebuildStrategy applies when a submit names none; default
	// "changed-and-after".
	DefaultRebuildStrategy string
	// DefaultRPMRepository is prepended to a component's name when its
	// repository is not given (MBS's RPMS_DEFAULT_REPOSITORY, e.g.
	// "https://src.fedoraproject.org/rpms/"); empty = a repository is
	// required.
	DefaultRPMRepository string
	// SCMAllow lists the URL prefixes module definitions (Submit's
	// SCMURL) and custom component repositories and caches must lie in,
	// compared as normalised URLs on path-segment boundaries
	// ([SCMAllowed]); empty = any. DefaultRPMRepository, the service's own
	// setting, is not checked.
	SCMAllow []string
	// AllowComponentRepository admits RPM components and module
	// components that name their own repository (MBS RPMS_ALLOW_REPOSITORY
	// and MODULES_ALLOW_REPOSITORY), inside SCMAllow; false refuses them
	// with ErrForbidden, so every source comes from DefaultRPMRepository.
	AllowComponentRepository bool
	// AllowComponentCache admits RPM components that name their own
	// lookaside cache (MBS RPMS_ALLOW_CACHE), inside SCMAllow; false
	// refuses them with ErrForbidden.
	AllowComponentCache bool
	// BaseModules are the base module names; default ["platform"].
	BaseModules []string
	// BranchStreamRegexes derive the stream of BranchStreamModule from the
	// branch of a submit from git (MBS BR_STREAM_OVERRIDE_REGEXES): unless
	// the request overrides that module, the first regex found in the
	// branch gives the stream, its non-empty capture groups concatenated
	// ([resolver.BranchStream]; rhel-8.0.0 with
	// `^(?:rh)(el)-(\d+\.\d+\.\d+)$` gives el8.0.0), and the stream
	// replaces the module's buildrequired streams in every dependency block.
	// It is dropped silently when no block buildrequires the module.
	BranchStreamRegexes []*regexp.Regexp
	// BranchStreamModule is the module BranchStreamRegexes override (MBS
	// BR_STREAM_OVERRIDE_MODULE); default "platform".
	BranchStreamModule string
	// DefaultModulesSCMURL is the git repository of modulemd-defaults files
	// read for a buildrequired base module whose xmd.mbs.use_default_modules
	// is set and that names no xmd.mbs.default_modules_scm_url (MBS
	// DEFAULT_MODULES_SCM_URL). The branch named after the base stream is
	// read; the default streams found there that the module does not
	// already buildrequire, and that have a build for that base module, are
	// added to its buildrequires. Reading needs an SCM that implements
	// [SCMExporter] (the default one does); a failure fails the build with
	// "Failed to retrieve the default modules".
	DefaultModulesSCMURL string
	// RawhideBranch is the defaults repository branch read instead when
	// the branch named after the base stream does not exist and the stream
	// is RawhideStream, or RawhideStream is empty (MBS RAWHIDE_BRANCH; MBS
	// asks Koji which stream rawhide is).
	RawhideBranch, RawhideStream string
	// TopicPrefix is prepended to event topics (e.g.
	// "org.example.prod.mbs.").
	TopicPrefix string
	// StuckAfter fails builds left in init or build this long (MBS's
	// cancel_stuck_module_builds); 0 = DefaultStuckAfter (7 days),
	// negative = never.
	StuckAfter time.Duration
	// GarbageAfter moves builds failed this long ago to garbage (MBS's
	// cleanup_stale_failed_builds); 0 = DefaultGarbageAfter (180 days),
	// negative = never.
	GarbageAfter time.Duration
	// CleanupInterval is how often Run applies StuckAfter and GarbageAfter
	// ([Service.Cleanup]); default DefaultCleanupInterval (10 minutes).
	CleanupInterval time.Duration
}

// Service is the module build service. Submit, Cancel and the read calls
// may be used from any goroutine; Run does the work.
type Service struct {
	opts  Options
	store Store
	b     Builder
	src   resolver.Source
	scm   SCM
	log   *slog.Logger

	subMu   sync.Mutex
	subs    map[int]func(Event)
	nextSub int

	outboxKick chan struct{}

	mu         sync.Mutex
	locks      map[int64]*sync.Mutex // per module build
	workers    map[int64]bool        // module builds with a running worker
	held       map[int64]int         // components in BUILDING per module build worked on here
	building   int                   // the sum of held (the Concurrency limit)
	slotWanted bool                  // a worker found no free slot
	notMine    map[int64]time.Time   // module builds another process held, when last tried
	changed    chan struct{}         // closed and replaced on any commit or progress
	wake       chan struct{}         // closed and replaced when workers should look again
	sent       chan struct{}         // closed and replaced when events were delivered
	running    bool

	logMu   sync.Mutex
	logCond *sync.Cond
	logQ    []*LogMessage // builder messages not yet written
	logBusy bool          // a writeLogs goroutine runs
}

// NewService returns a service over opts.Store and opts.Builder.
func NewService(opts *Options) (*Service, error) {
	if opts == nil || opts.Store == nil || opts.Builder == nil {
		return nil, errors.New("orchestrator: NewService needs Options.Store and Options.Builder")
	}
	o := *opts
	if o.Concurrency <= 0 {
		o.Concurrency = 5
	}
	if o.GlobalConcurrency < 0 {
		o.GlobalConcurrency = 0
	}
	if o.GlobalConcurrency > 0 && o.Concurrency > o.GlobalConcurrency {
		o.Concurrency = o.GlobalConcurrency
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DistTagPrefix == "" {
		o.DistTagPrefix = "module+"
	}
	if o.DefaultRebuildStrategy == "" {
		o.DefaultRebuildStrategy = RebuildChangedAndAfter
	}
	if len(o.BaseModules) == 0 {
		o.BaseModules = []string{"platform"}
	}
	if o.BranchStreamModule == "" {
		o.BranchStreamModule = "platform"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.StuckAfter == 0 {
		o.StuckAfter = DefaultStuckAfter
	}
	if o.GarbageAfter == 0 {
		o.GarbageAfter = DefaultGarbageAfter
	}
	if o.CleanupInterval <= 0 {
		o.CleanupInterval = DefaultCleanupInterval
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 30 * time.Second
	}
	if o.Holder == "" {
		o.Holder = defaultHolder()
	}
	s := &Service{
		opts: o, store: o.Store, b: o.Builder, src: o.Source, scm: o.SCM, log: o.Logger,
		subs: map[int]func(Event){}, outboxKick: make(chan struct{}, 1),
		locks: map[int64]*sync.Mutex{}, workers: map[int64]bool{}, held: map[int64]int{}, notMine: map[int64]time.Time{},
		changed: make(chan struct{}), wake: make(chan struct{}), sent: make(chan struct{}),
	}
	s.logCond = sync.NewCond(&s.logMu)
	if s.src == nil {
		s.src = NewDBSource(o.Store)
	}
	if n, ok := o.Builder.(Notifier); ok {
		n.Notify(s.progress)
	}
	if l, ok := o.Builder.(BuildLogger); ok {
		l.SetBuildLog(s.builderLog)
	}
	if s.scm == nil {
		s.scm = scm.Default
	}
	eo := resolver.ExpandOptions{}
	if o.Expand != nil {
		eo = *o.Expand
	}
	eo.BaseModuleNames = o.BaseModules
	if eo.DefaultModules == nil {
		eo.DefaultModules = s.defaultModules
	}
	s.opts.Expand = &eo
	return s, nil
}

// Store returns the service's store, for read access (the REST API reads
// through it).
func (s *Service) Store() Store { return s.store }

func (s *Service) now() time.Time { return s.opts.Now().UTC() }

// lock returns the mutex of a module build; every change to a module build
// and its components happens under it.
func (s *Service) lock(id int64) *sync.Mutex {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.locks[id]
	if m == nil {
		m = &sync.Mutex{}
		s.locks[id] = m
	}
	return m
}

// progress wakes every waiting worker (a builder's notification, a freed
// concurrency slot), the loop that starts workers, and Wait.
func (s *Service) progress() {
	s.mu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	close(s.wake)
	s.wake = make(chan struct{})
	s.mu.Unlock()
}

// committed wakes the loop that starts workers and Wait after a commit;
// the other module builds' workers have no reason to look again.
func (s *Service) committed() {
	s.mu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

func (s *Service) changedCh() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

func (s *Service) wakeCh() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wake
}

// Run works on module builds until ctx is done: it first reconciles every
// unfinished build left in the store (a restarted service resumes them,
// polling the builder for components submitted before the restart), then
// picks up new submissions. It also publishes committed events to
// subscribers. Run returns ctx's error, or an error if the store cannot be
// read at start.
//
// Several processes may run services on one store (pgstore): each module
// build is worked on by the process holding its lease ("module/<id>",
// renewed while it works, taken over by another process LeaseTTL after its
// holder died), so the work on one module build is serialized and
// different module builds proceed in parallel; the outbox and the cleanup
// pollers are likewise run by one lease holder at a time. Every change
// recorded under a lease checks, in its transaction, that the lease is
// still held.
func (s *Service) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return errors.New("orchestrator: Run called twice")
	}
	s.running = true
	s.mu.Unlock()
	defer func() {
		s.flushLogs()
		s.mu.Lock()
		s.running = false
		s.mu.Unlock()
	}()

	if err := s.recover(ctx); err != nil {
		return err
	}
	s.reportRecoveries(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		s.dispatch(ctx)
	}()
	go func() {
		defer wg.Done()
		s.cleanupLoop(ctx)
	}()
	defer wg.Wait()

	for {
		ch := s.changedCh()
		if err := s.startWorkers(ctx, &wg); err != nil && ctx.Err() == nil {
			s.log.Warn("list active module builds", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
			// Commits come in bursts: look once per burst.
			time.Sleep(min(20*time.Millisecond, s.opts.PollInterval))
		case <-time.After(s.opts.PollInterval):
		}
	}
}

// recover finishes the cancellation of failed builds whose components
// were left building by a crash, each under its module build's lease.
func (s *Service) recover(ctx context.Context) error {
	var building []*ComponentBuild
	failed := map[int64]bool{}
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		building, _, err = tx.ListComponentBuilds(ctx, &ComponentBuildFilter{States: []ComponentState{ComponentBuilding}})
		if err != nil {
			return err
		}
		seen := map[int64]bool{}
		for _, c := range building {
			if seen[c.ModuleID] {
				continue
			}
			seen[c.ModuleID] = true
			mb, err := tx.ModuleBuild(ctx, c.ModuleID)
			if err != nil {
				return err
			}
			if mb.State == StateFailed {
				failed[mb.ID] = true
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("orchestrator: read unfinished builds: %w", err)
	}
	for id := range failed {
		name := moduleLease(id)
		ok, err := s.store.Claim(ctx, name, s.opts.Holder, s.opts.LeaseTTL)
		if err != nil || !ok {
			continue
		}
		if err := s.cleanupFailed(withLease(ctx, name), id); err != nil {
			s.log.Warn("cancel components of failed module build", "id", id, "err", err)
		}
		s.store.Release(context.WithoutCancel(ctx), name, s.opts.Holder)
	}
	return nil
}

// reportRecoveries records the builder's crash recoveries as messages on
// the builds they concern.
func (s *Service) reportRecoveries(ctx context.Context) {
	rr, ok := s.b.(RecoveryReporter)
	if !ok {
		return
	}
	for _, r := range rr.Recovered() {
		err := s.update(ctx, func(tx Tx) error {
			return s.logf(ctx, tx, r.ModuleID, r.ComponentID, "%s", r.Message)
		})
		if err != nil {
			s.log.Warn("cannot record a crash recovery", "module", r.ModuleID, "component", r.ComponentID, "message", r.Message, "err", err)
		}
	}
}

func (s *Service) startWorkers(ctx context.Context, wg *sync.WaitGroup) error {
	var active []*ModuleBuild
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		active, _, err = tx.ListModuleBuilds(ctx, &ModuleBuildFilter{
			States: []ModuleState{StateInit, StateWait, StateBuild}, OrderBy: []Order{{Field: "id"}},
		})
		return err
	})
	if err != nil {
		return err
	}
	now := time.Now()
	// A process takes module builds only while it could build their
	// components: each worker counts for the slots it holds, at least one.
	// Processes sharing a store thereby share the module builds instead
	// of the first one taking all.
	s.mu.Lock()
	load := 0
	for id := range s.workers {
		load += max(s.held[id], 1)
	}
	// Forget the builds other processes finished.
	if len(s.notMine) > 0 {
		still := make(map[int64]bool, len(active))
		for _, mb := range active {
			still[mb.ID] = true
		}
		for id := range s.notMine {
			if !still[id] {
				delete(s.notMine, id)
			}
		}
	}
	s.mu.Unlock()
	for _, mb := range active {
		s.mu.Lock()
		busy := s.workers[mb.ID]
		tried, other := s.notMine[mb.ID]
		s.mu.Unlock()
		// Another process's lease is not retried before it could have
		// expired unrenewed.
		if busy || (other && now.Sub(tried) < s.opts.LeaseTTL/3) {
			continue
		}
		if load >= s.opts.Concurrency {
			break
		}
		ok, err := s.store.Claim(ctx, moduleLease(mb.ID), s.opts.Holder, s.opts.LeaseTTL)
		if err != nil {
			return err
		}
		s.mu.Lock()
		if !ok {
			s.notMine[mb.ID] = now
			s.mu.Unlock()
			continue
		}
		delete(s.notMine, mb.ID)
		s.workers[mb.ID] = true
		s.mu.Unlock()
		load++
		wg.Add(1)
		go func(id int64) {
			defer wg.Done()
			s.work(ctx, id)
			s.setHeld(id, 0)
			s.store.Release(context.WithoutCancel(ctx), moduleLease(id), s.opts.Holder)
			s.mu.Lock()
			delete(s.workers, id)
			s.mu.Unlock()
			s.progress()
		}(mb.ID)
	}
	return nil
}

// work advances one module build, whose lease this process holds, until it
// leaves the active states, the lease is lost or ctx ends. The lease is
// renewed every LeaseTTL/3 in the background, also while a step waits for
// the builder (a koji import may take minutes).
func (s *Service) work(ctx context.Context, id int64) {
	name := moduleLease(id)
	if c, ok := s.b.(Claimer); ok {
		c.ModuleClaimed(id)
	}
	ctx, cancel := context.WithCancelCause(withLease(ctx, name))
	defer cancel(nil)
	go func() {
		t := time.NewTicker(s.opts.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			ok, err := s.store.Claim(ctx, name, s.opts.Holder, s.opts.LeaseTTL)
			switch {
			case err != nil && ctx.Err() == nil:
				s.log.Warn("renew module build lease", "id", id, "err", err)
			case err == nil && !ok:
				cancel(ErrLeaseLost)
				return
			}
		}
	}()
	delay := 2 * time.Millisecond
	for ctx.Err() == nil {
		ch := s.wakeCh()
		m := s.lock(id)
		m.Lock()
		res, err := s.step(ctx, id)
		m.Unlock()
		if errors.Is(err, ErrLeaseLost) || errors.Is(context.Cause(ctx), ErrLeaseLost) {
			s.log.Warn("module build lease lost to another process", "id", id)
			return
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("module build step failed; retrying", "id", id, "err", err)
			res = stepWait
		}
		switch res {
		case stepDone:
			return
		case stepAgain:
			delay = 2 * time.Millisecond
			continue
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-ch:
			t.Stop()
		case <-t.C:
			delay = min(delay*2, s.opts.PollInterval)
		}
	}
}

type stepResult int

const (
	stepAgain stepResult = iota // progress was made; step again now
	stepWait                    // waiting for the builder or a slot
	stepDone                    // the build left the active states
)

// step does one unit of work on a module build.
func (s *Service) step(ctx context.Context, id int64) (stepResult, error) {
	var mb *ModuleBuild
	var comps []*ComponentBuild
	if err := s.store.View(ctx, func(tx Tx) error {
		var err error
		if mb, err = tx.ModuleBuild(ctx, id); err != nil || mb.State != StateBuild {
			return err
		}
		comps, _, err = tx.ListComponentBuilds(ctx, &ComponentBuildFilter{ModuleID: mb.ID})
		return err
	}); err != nil {
		return stepWait, err
	}
	switch mb.State {
	case StateInit:
		return s.handleInit(ctx, mb)
	case StateWait:
		return s.handleWait(ctx, mb)
	case StateBuild:
		return s.handleBuild(ctx, mb, comps)
	case StateFailed:
		// Canceled by another process while this one worked on it: its
		// running components are canceled here, where they are polled.
		return stepDone, s.cleanupFailed(ctx, id)
	default:
		return stepDone, nil
	}
}

// update runs fn in a store transaction and, once committed, wakes the
// event dispatcher and the workers. Work done under a lease (ctx from
// withLease) commits only while the lease is held.
func (s *Service) update(ctx context.Context, fn func(tx Tx) error) error {
	if name, ok := ctx.Value(leaseKey{}).(string); ok {
		inner := fn
		fn = func(tx Tx) error {
			held, err := tx.HoldsLease(ctx, name, s.opts.Holder)
			if err != nil {
				return err
			}
			if !held {
				return fmt.Errorf("%w: %s", ErrLeaseLost, name)
			}
			return inner(tx)
		}
	}
	if err := s.store.Update(ctx, fn); err != nil {
		return err
	}
	s.kickOutbox()
	s.committed()
	return nil
}

// transition moves mb to state `to` inside tx: it checks the move is
// allowed, records the trace, updates the times and publishes
// module.state.change.
func (s *Service) transition(ctx context.Context, tx Tx, mb *ModuleBuild, to ModuleState, reason string) error {
	if !CanTransition(mb.State, to) {
		return fmt.Errorf("%w: module build %d cannot go from %s to %s", ErrConflict, mb.ID, mb.State, to)
	}
	now := s.now()
	mb.State = to
	if reason != "" {
		mb.StateReason = reason
	}
	mb.TimeModified = now
	switch to {
	case StateDone, StateFailed:
		mb.TimeCompleted = now
	case StateInit, StateWait:
		mb.TimeCompleted = time.Time{}
	}
	if err := tx.UpdateModuleBuild(ctx, mb); err != nil {
		return err
	}
	if err := tx.AddModuleTrace(ctx, mb.ID, StateTrace{Time: now, State: to, Reason: reason}); err != nil {
		return err
	}
	msg, err := NewModuleMessage(ctx, tx, mb)
	if err != nil {
		return err
	}
	return s.publish(ctx, tx, TopicModuleStateChange, msg)
}

// setComponent writes c with a new state, records the trace and publishes
// component.state.change.
func (s *Service) setComponent(ctx context.Context, tx Tx, c *ComponentBuild, state *ComponentState, reason string) error {
	c.State = state
	c.StateReason = reason
	if err := tx.UpdateComponentBuild(ctx, c); err != nil {
		return err
	}
	if err := tx.AddComponentTrace(ctx, c.ID, ComponentTrace{Time: s.now(), State: state, Reason: reason, TaskID: c.TaskID}); err != nil {
		return err
	}
	return s.publish(ctx, tx, TopicComponentStateChange, NewComponentMessage(c))
}

// builderLog records a builder's message (the BuildLog given to
// BuildLogger builders). Messages are queued and written by one background
// writer, many per transaction, so a builder that logs every call does not
// wait for the store; Messages and the end of Run flush the queue. A
// failure to record is only logged.
func (s *Service) builderLog(ctx context.Context, moduleID, componentID int64, level slog.Level, msg string) {
	s.log.Log(ctx, level, msg, "module", moduleID, "component", componentID)
	m := &LogMessage{ModuleID: moduleID, ComponentID: componentID, Time: s.now(), Message: msg, Level: level}
	s.logMu.Lock()
	s.logQ = append(s.logQ, m)
	if !s.logBusy {
		s.logBusy = true
		go s.writeLogs()
	}
	s.logMu.Unlock()
}

// writeLogs writes queued builder messages until the queue is empty.
func (s *Service) writeLogs() {
	for {
		s.logMu.Lock()
		q := s.logQ
		s.logQ = nil
		if len(q) == 0 {
			s.logBusy = false
			s.logCond.Broadcast()
			s.logMu.Unlock()
			return
		}
		s.logMu.Unlock()
		ctx := context.Background()
		err := s.update(ctx, func(tx Tx) error {
			for _, m := range q {
				m.ID = 0
				if err := tx.AddLogMessage(ctx, m); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			s.log.Warn("record builder log messages", "count", len(q), "err", err)
		}
	}
}

// flushLogs waits until the queued builder messages are written.
func (s *Service) flushLogs() {
	s.logMu.Lock()
	for s.logBusy || len(s.logQ) > 0 {
		if !s.logBusy {
			s.logBusy = true
			go s.writeLogs()
		}
		s.logCond.Wait()
	}
	s.logMu.Unlock()
}

// logf records a user-visible log message.
func (s *Service) logf(ctx context.Context, tx Tx, moduleID, componentID int64, format string, args ...any) error {
	return tx.AddLogMessage(ctx, &LogMessage{ModuleID: moduleID, ComponentID: componentID, Time: s.now(), Message: fmt.Sprintf(format, args...)})
}

// fail moves mb to failed with reason (in its own transaction).
func (s *Service) fail(ctx context.Context, mb *ModuleBuild, reason string) error {
	s.log.Info("module build failed", "id", mb.ID, "nsvc", mb.NSVC(), "reason", reason)
	err := s.update(ctx, func(tx Tx) error {
		cur, err := tx.ModuleBuild(ctx, mb.ID)
		if err != nil {
			return err
		}
		if cur.State == StateFailed {
			return nil
		}
		if err := s.transition(ctx, tx, cur, StateFailed, reason); err != nil {
			return err
		}
		*mb = *cur
		return s.failWaiting(ctx, tx, cur)
	})
	if err != nil {
		return err
	}
	return s.cleanupFailed(ctx, mb.ID)
}

// failWaiting marks the components of a failed build that were never
// submitted as failed with the module's reason, in the transaction of the
// module's failure. Running components are canceled afterwards
// (cleanupFailed).
func (s *Service) failWaiting(ctx context.Context, tx Tx, mb *ModuleBuild) error {
	comps, _, err := tx.ListComponentBuilds(ctx, &ComponentBuildFilter{ModuleID: mb.ID, Waiting: true})
	if err != nil {
		return err
	}
	for _, c := range comps {
		if err := s.setComponent(ctx, tx, c, componentState(ComponentFailed), mb.StateReason); err != nil {
			return err
		}
	}
	return nil
}

// Get returns a module build.
func (s *Service) Get(ctx context.Context, id int64) (*ModuleBuild, error) {
	var mb *ModuleBuild
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		mb, err = tx.ModuleBuild(ctx, id)
		return err
	})
	return mb, err
}

// List returns the module builds matching f and the total number of
// matches before f.Limit and f.Offset.
func (s *Service) List(ctx context.Context, f *ModuleBuildFilter) ([]*ModuleBuild, int, error) {
	var out []*ModuleBuild
	var total int
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, total, err = tx.ListModuleBuilds(ctx, f)
		return err
	})
	return out, total, err
}

// Components returns the component builds matching f and the total number
// of matches.
func (s *Service) Components(ctx context.Context, f *ComponentBuildFilter) ([]*ComponentBuild, int, error) {
	var out []*ComponentBuild
	var total int
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, total, err = tx.ListComponentBuilds(ctx, f)
		return err
	})
	return out, total, err
}

// Messages returns the log messages matching f, newest first, and the total.
func (s *Service) Messages(ctx context.Context, f *LogMessageFilter) ([]*LogMessage, int, error) {
	s.flushLogs()
	var out []*LogMessage
	var total int
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		out, total, err = tx.LogMessages(ctx, f)
		return err
	})
	return out, total, err
}

// Siblings returns the module builds of the same submission as id (the
// other expanded contexts), id's own build included, by id.
func (s *Service) Siblings(ctx context.Context, id int64) ([]*ModuleBuild, error) {
	var out []*ModuleBuild
	err := s.store.View(ctx, func(tx Tx) error {
		mb, err := tx.ModuleBuild(ctx, id)
		if err != nil {
			return err
		}
		out, _, err = tx.ListModuleBuilds(ctx, &ModuleBuildFilter{
			Name: mb.Name, Stream: mb.Stream, SourceVersion: mb.SourceVersion, Scratch: &mb.Scratch,
			OrderBy: []Order{{Field: "id"}},
		})
		return err
	})
	return out, err
}

// Wait blocks until module build id and every sibling created by its
// stream expansion have finished (ready, done for scratch builds, or
// failed), and returns them. Run must be running, in this process or
// another one sharing the store.
func (s *Service) Wait(ctx context.Context, id int64) ([]*ModuleBuild, error) {
	for {
		ch := s.changedCh()
		sibs, err := s.Siblings(ctx, id)
		if err != nil {
			return nil, err
		}
		finished := true
		for _, mb := range sibs {
			if !mb.State.Terminal() || (mb.State == StateDone && !mb.Scratch) {
				finished = false
			}
		}
		if finished {
			return sibs, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-ch:
		case <-time.After(s.opts.PollInterval):
		}
	}
}

// ErrLeaseLost: another process took over the work (its lease expired
// while this process was not renewing it); this process stops working on
// it.
var ErrLeaseLost = errors.New("lease lost")

type leaseKey struct{}

// withLease marks ctx as work done under the lease called name: the
// service's transactions then check that the lease is still held.
func withLease(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, leaseKey{}, name)
}

func moduleLease(id int64) string { return "module/" + strconv.FormatInt(id, 10) }

// Lease names of the work done by one process at a time.
const (
	leaseOutbox  = "outbox"
	leaseCleanup = "cleanup"
)

func defaultHolder() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return host + ":" + strconv.Itoa(os.Getpid()) + ":" + hex.EncodeToString(b[:])
}

// Holder returns the name this service claims leases under.
func (s *Service) Holder() string { return s.opts.Holder }

// Wake makes every worker of the service look at its module build now
// instead of at its next poll: for message-bus consumers that learn that
// a build system task ended (orchestrator/amqpbus). Polling stays the
// source of truth; a lost wake-up only delays the service.
func (s *Service) Wake() { s.progress() }
