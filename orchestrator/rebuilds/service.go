package rebuilds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/resolver"
)

// Options configure a [Service]. Orchestrator and Store are required.
type Options struct {
	Orchestrator *orchestrator.Service
	Store        Store
	// Rules allow and block rebuilds; nil allows everything.
	Rules *Rules
	// DryRun records what would be rebuilt for every event and submits
	// nothing (Freshmaker's DRY_RUN); Message.DryRun does it per event.
	DryRun bool
	// Owner owns the submitted rebuilds; default "modkit-rebuilds".
	Owner string
	// ModulesRepository is the dist-git URL prefix of module repositories
	// ("https://src.fedoraproject.org/modules/"): a push of <repo>.yaml to
	// <prefix><repo>.git builds the module at the pushed revision. Empty
	// = such pushes are recorded and skipped.
	ModulesRepository string
	// Images configures container image rebuilds; nil records image
	// events only.
	Images *ImageOptions
	Logger *slog.Logger
	// Now is the clock; nil = time.Now.
	Now func() time.Time
}

// Service handles events and submits rebuilds. Handle may be called from
// several goroutines; events are handled one at a time.
type Service struct {
	opts Options
	orch *orchestrator.Service
	st   Store
	log  *slog.Logger
	mu   sync.Mutex
	// holder names this service in leases (lease.go).
	holder string
}

// New returns a rebuild service.
func New(opts *Options) (*Service, error) {
	if opts == nil || opts.Orchestrator == nil || opts.Store == nil {
		return nil, errors.New("rebuilds: Options.Orchestrator and Options.Store are required")
	}
	o := *opts
	if o.Owner == "" {
		o.Owner = "modkit-rebuilds"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{opts: o, orch: o.Orchestrator, st: o.Store, log: o.Logger, holder: newHolder()}, nil
}

func (s *Service) now() time.Time { return s.opts.Now().UTC() }

// Attach handles the orchestrator's events in-process, from its outbox: an
// event leaves the outbox only after Handle returned, so with Handle's
// deduplication by message id every event is handled exactly once across
// restarts. The returned function detaches.
func (s *Service) Attach(ctx context.Context) (detach func()) {
	return s.orch.Subscribe(func(e orchestrator.Event) {
		if _, err := s.Handle(ctx, Message{ID: e.MessageID, Topic: e.Topic, Body: e.Body}); err != nil {
			s.log.Error("rebuilds: handling an orchestrator event failed", "topic", e.Topic, "message_id", e.MessageID, "error", err)
		}
	})
}

// Handle handles one message. It returns the recorded event, or nil for a
// message rebuilds do not act on. A message whose id was already handled
// returns the earlier event and does nothing; one whose handling was
// interrupted (a crash) is handled again, resuming its recorded decisions
// without submitting any rebuild twice.
func (s *Service) Handle(ctx context.Context, m Message) (*Event, error) {
	if m.ID == "" {
		return nil, errors.New("rebuilds: a message needs an id")
	}
	p, ok, err := parse(m)
	if err != nil || !ok {
		return nil, err
	}
	release, err := s.claim(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	defer release()
	s.mu.Lock()
	defer s.mu.Unlock()
	if own, err := s.ownsTask(ctx, p); err != nil || !own {
		return nil, err // a koji task that is not an image rebuild of ours
	}
	requester := m.Requester
	if requester == "" {
		requester = s.opts.Owner
	}
	ev, created, err := s.st.AddEvent(ctx, &Event{
		MessageID: m.ID, SearchKey: p.key, Type: p.typ, State: EventInitialized,
		DryRun: m.DryRun || s.opts.DryRun || s.imagesDryRun(p.typ), Requester: requester, TimeCreated: s.now(),
	})
	if err != nil {
		return nil, err
	}
	if !created && ev.State != EventInitialized {
		s.log.Debug("rebuilds: event already handled", "message_id", m.ID, "event", ev.ID)
		return ev, nil
	}
	h := &handling{s: s, ev: ev}
	var herr error
	switch p.typ {
	case EventGitRPMSpecChange:
		herr = h.specChange(ctx, p.push)
	case EventGitModuleMetadataChange:
		herr = h.mmdChange(ctx, p.push)
	case EventModuleStateChange:
		herr = h.moduleDone(ctx, p.module)
	case EventBodhiUpdateStable, EventBodhiUpdateCreated, EventBodhiUpdateRequestStable, EventKojiTaskStateChange:
		herr = h.images(ctx, p)
	case EventManual:
		herr = h.manual(ctx, p.manual)
	default:
		h.skip("%s events are recorded only: no handler rebuilds anything for them", p.typ)
	}
	if herr != nil {
		if ctx.Err() != nil {
			// Interrupted: left initialized, handled again on redelivery.
			return ev, herr
		}
		ev.State, ev.StateReason = EventFailed, herr.Error()
	} else {
		ev.State, ev.StateReason = h.state, h.reason
	}
	ev.TimeDone = s.now()
	if ev.State == EventBuilding {
		ev.TimeDone = time.Time{}
	}
	if err := s.st.UpdateEvent(ctx, ev); err != nil {
		return ev, err
	}
	s.log.Info("rebuilds: event handled", "event", ev.ID, "type", ev.Type.String(), "key", ev.SearchKey, "state", ev.State.String(), "reason", ev.StateReason)
	return ev, herr
}

// handling is the handling of one event.
type handling struct {
	s      *Service
	ev     *Event
	state  EventState
	reason string
}

func (h *handling) skip(format string, args ...any) {
	h.state, h.reason = EventSkipped, fmt.Sprintf(format, args...)
}

// current is the newest ready build of every name:stream, and the
// dependency graph between them.
type current struct {
	builds map[string]*orchestrator.ModuleBuild // name:stream -> newest ready
	nsvc   map[string]string                    // NSVC -> name:stream
	graph  *resolver.Graph
}

func (s *Service) current(ctx context.Context) (*current, error) {
	mbs, _, err := s.orch.List(ctx, &orchestrator.ModuleBuildFilter{
		States: []orchestrator.ModuleState{orchestrator.StateReady}, Scratch: new(bool),
	})
	if err != nil {
		return nil, err
	}
	c := &current{builds: map[string]*orchestrator.ModuleBuild{}, nsvc: map[string]string{}}
	for _, mb := range mbs {
		ns := mb.Name + ":" + mb.Stream
		if old, ok := c.builds[ns]; !ok || versionLess(old.Version, mb.Version) {
			c.builds[ns] = mb
		}
	}
	var streams []*modulemd.Stream
	for ns, mb := range c.builds {
		st, err := decodeStream(mb)
		if err != nil {
			return nil, err
		}
		streams = append(streams, st)
		c.nsvc[mb.NSVC()] = ns
		c.nsvc[st.NSVC()] = ns
	}
	c.graph = resolver.NewGraph(streams)
	return c, nil
}

func versionLess(a, b string) bool {
	x, _ := strconv.ParseUint(a, 10, 64)
	y, _ := strconv.ParseUint(b, 10, 64)
	return x < y
}

func decodeStream(mb *orchestrator.ModuleBuild) (*modulemd.Stream, error) {
	docs, err := modulemd.Parse([]byte(mb.Modulemd))
	if err != nil {
		return nil, fmt.Errorf("module build %d: %w", mb.ID, err)
	}
	for _, d := range docs {
		if st, ok := d.(*modulemd.Stream); ok {
			return st, nil
		}
	}
	return nil, fmt.Errorf("module build %d has no module stream document", mb.ID)
}

// specChange: the newest builds of the streams taking the pushed branch of
// the component are rebuilt (RebuildModulesOnGitRPMSpecChange).
func (h *handling) specChange(ctx context.Context, push *GitPush) error {
	cur, err := h.s.current(ctx)
	if err != nil {
		return err
	}
	var names []string
	for _, nsvc := range cur.graph.WithComponent(push.Repo, push.Branch) {
		if ns, ok := cur.nsvc[nsvc]; ok && !slices.Contains(names, ns) {
			names = append(names, ns)
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		h.skip("no module's newest build takes rpms/%s from branch %s", push.Repo, push.Branch)
		return nil
	}
	origin := fmt.Sprintf("rpms/%s@%s (%s)", push.Repo, push.Branch, short(push.Rev))
	for _, ns := range names {
		if _, err := h.s.consider(ctx, h.ev, HandlerGitRPMSpecChange, cur.builds[ns], nil, ReasonDirectlyAffected, origin+" -> "+ns,
			fmt.Sprintf("component %s changed on branch %s (%s)", push.Repo, push.Branch, short(push.Rev))); err != nil {
			return err
		}
	}
	return h.finish(ctx)
}

// mmdChange: a pushed module definition is built at the pushed revision.
func (h *handling) mmdChange(ctx context.Context, push *GitPush) error {
	if h.s.opts.ModulesRepository == "" {
		h.skip("Options.ModulesRepository is not set, so module pushes are not built")
		return nil
	}
	ns := push.Repo + ":" + push.Branch
	ok, why := h.s.opts.Rules.Decide(HandlerGitMMDChange, ArtifactModule, map[string]string{"name": push.Repo, "stream": push.Branch, "branch": push.Branch})
	b := &ArtifactBuild{EventID: h.ev.ID, Name: ns, Type: ArtifactModule, RebuildReason: ReasonDirectlyAffected,
		Rule: why, Path: fmt.Sprintf("modules/%s@%s (%s)", push.Repo, push.Branch, short(push.Rev)), TimeSubmitted: h.s.now()}
	if existing, err := h.s.existing(ctx, h.ev.ID, ns, 0); err != nil || existing != nil {
		return errOr(err, h.finish(ctx))
	}
	if !ok {
		b.State, b.StateReason = BuildSkipped, why
		if err := h.s.st.AddBuild(ctx, b); err != nil {
			return err
		}
		return h.finish(ctx)
	}
	req := &orchestrator.SubmitRequest{SCMURL: h.s.opts.ModulesRepository + push.Repo + ".git?#" + push.Rev, Branch: push.Branch, Owner: h.s.opts.Owner}
	if h.ev.DryRun {
		b.State, b.StateReason, b.TimeCompleted = BuildDone, "dry run: would build "+req.SCMURL, h.s.now()
		if err := h.s.st.AddBuild(ctx, b); err != nil {
			return err
		}
		return h.finish(ctx)
	}
	b.State = BuildPlanned
	if err := h.s.st.AddBuild(ctx, b); err != nil {
		return err
	}
	if err := h.s.submit(ctx, h.ev, b, req, false); err != nil {
		return err
	}
	return h.finish(ctx)
}

// moduleDone: a rebuild finished; on ready, the streams that buildrequire
// the module are rebuilt (UpdateDBOnModuleBuild).
func (h *handling) moduleDone(ctx context.Context, mm *orchestrator.ModuleMessage) error {
	ns := mm.Name + ":" + mm.Stream
	ours, _, err := h.s.st.Builds(ctx, &BuildFilter{BuildID: mm.ID})
	if err != nil {
		return err
	}
	var parent *ArtifactBuild
	for _, b := range ours {
		if b.State != BuildBuilding {
			continue
		}
		b.TimeCompleted = h.s.now()
		if mm.State == orchestrator.StateReady {
			b.State, b.StateReason = BuildDone, "module build ready"
		} else {
			b.State, b.StateReason = BuildFailed, "module build failed: "+deref(mm.StateReason)
		}
		if err := h.s.st.UpdateBuild(ctx, b); err != nil {
			return err
		}
		if mm.State != orchestrator.StateReady {
			if err := h.s.settle(ctx, b.EventID); err != nil {
				return err
			}
		}
		parent = b
	}
	if parent == nil && len(ours) > 0 {
		parent = ours[0] // redelivered after the update: resume its dependents
	}
	if mm.State != orchestrator.StateReady {
		if parent != nil {
			h.state, h.reason = EventComplete, fmt.Sprintf("rebuild %d (%s) of event %d failed; nothing depends on it being rebuilt", parent.ID, ns, parent.EventID)
		} else {
			h.skip("%s (build %d) failed and is not a rebuild", ns, mm.ID)
		}
		return nil
	}
	ev := h.ev
	if parent != nil {
		if ev, err = h.s.st.Event(ctx, parent.EventID); err != nil {
			return err
		}
		if ev.State == EventCanceled {
			h.state, h.reason = EventComplete, fmt.Sprintf("rebuild %d (%s) is ready but its event %d was canceled; nothing more is rebuilt for it", parent.ID, ns, ev.ID)
			return nil
		}
	}
	n, err := h.s.dependents(ctx, ev, parent, ns, mm.ID, mm.Version, false)
	if err != nil {
		return err
	}
	if parent != nil {
		if err := h.s.settle(ctx, parent.EventID); err != nil {
			return err
		}
	}
	switch {
	case parent != nil:
		h.state, h.reason = EventComplete, fmt.Sprintf("rebuild %d (%s) of event %d is ready; %d dependent rebuilds considered under event %d", parent.ID, ns, ev.ID, n, ev.ID)
	case n == 0:
		h.skip("no module's newest build buildrequires %s", ns)
	default:
		return h.finish(ctx)
	}
	return nil
}

// dependents considers rebuilding the newest build of every stream that
// buildrequires ns, ready as module build id at version; simulated is the
// dry run's stand-in for a build that really became ready. It returns how
// many were considered.
func (s *Service) dependents(ctx context.Context, ev *Event, parent *ArtifactBuild, ns string, id int64, version string, simulated bool) (int, error) {
	cur, err := s.current(ctx)
	if err != nil {
		return 0, err
	}
	deps := cur.graph.RequiredBy(ns, resolver.BuildTime)
	name := ns[:strings.Index(ns, ":")]
	for _, d := range deps {
		mb := cur.builds[d]
		path := ns + " -> " + d
		if parent != nil {
			path = parent.Path + " -> " + d
		}
		why := fmt.Sprintf("buildrequired module %s became ready (build %d)", ns, id)
		if simulated {
			why = fmt.Sprintf("buildrequired module %s would be rebuilt (dry run)", ns)
		}
		var upToDate string
		if !simulated {
			if br := builtAgainst(mb, name); br != "" && !versionLess(br, version) {
				upToDate = fmt.Sprintf("%s was built against %s version %s, not older than the ready %s", mb.NSVC(), name, br, version)
			}
		}
		if _, err := s.consider(ctx, ev, HandlerModuleReady, mb, parent, ReasonDependency, path, why, upToDate); err != nil {
			return 0, err
		}
	}
	return len(deps), nil
}

// builtAgainst is the version of module name a build was built against.
func builtAgainst(mb *orchestrator.ModuleBuild, name string) string {
	st, err := decodeStream(mb)
	if err != nil {
		return ""
	}
	return st.XMD.GetString("mbs", "buildrequires", name, "version")
}

// consider decides, records and submits the rebuild of mb.
func (s *Service) consider(ctx context.Context, ev *Event, handler string, mb *orchestrator.ModuleBuild, parent *ArtifactBuild, reason, path, why string, skip ...string) (*ArtifactBuild, error) {
	ns := mb.Name + ":" + mb.Stream
	var depOnID int64
	var depOn string
	if parent != nil {
		depOnID, depOn = parent.ID, parent.Name
	}
	existing, err := s.existing(ctx, ev.ID, ns, depOnID)
	if err != nil {
		return nil, err
	}
	if existing != nil {
		if existing.State == BuildPlanned && !ev.DryRun {
			return existing, s.submit(ctx, ev, existing, rebuildRequest(mb, s.opts.Owner, existing), true)
		}
		return existing, nil
	}
	ok, rule := s.opts.Rules.Decide(handler, ArtifactModule, map[string]string{"name": mb.Name, "stream": mb.Stream, "branch": mb.Stream})
	b := &ArtifactBuild{EventID: ev.ID, Name: ns, Type: ArtifactModule, DepOnID: depOnID, DepOn: depOn, OriginalNVR: mb.NSVC(),
		RebuildReason: reason, Rule: rule, Path: path, StateReason: why, TimeSubmitted: s.now()}
	switch {
	case len(skip) > 0 && skip[0] != "":
		b.State, b.StateReason = BuildSkipped, "up to date: "+skip[0]
	case !ok:
		b.State, b.StateReason = BuildSkipped, rule
	case cycle(ctx, s.st, parent, ns):
		b.State, b.StateReason = BuildSkipped, fmt.Sprintf("cycle: module %s is already rebuilt earlier in this chain (%s)", mb.Name, path)
	case ev.DryRun:
		b.State, b.StateReason, b.TimeCompleted = BuildDone, "dry run: would be rebuilt because "+why, s.now()
	default:
		b.State = BuildPlanned
	}
	if err := s.st.AddBuild(ctx, b); err != nil {
		return nil, err
	}
	s.log.Info("rebuilds: decision", "event", ev.ID, "module", ns, "state", b.State.String(), "reason", b.StateReason, "rule", b.Rule, "path", b.Path)
	switch b.State {
	case BuildPlanned:
		return b, s.submit(ctx, ev, b, rebuildRequest(mb, s.opts.Owner, b), false)
	case BuildDone:
		// Dry run: Freshmaker fakes the build's success so the chain goes
		// on; so do we, without building.
		_, err := s.dependents(ctx, ev, b, ns, 0, "", true)
		return b, err
	}
	return b, nil
}

func rebuildRequest(mb *orchestrator.ModuleBuild, owner string, b *ArtifactBuild) *orchestrator.SubmitRequest {
	return &orchestrator.SubmitRequest{SCMURL: mb.SCMURL, Branch: mb.Stream, Owner: owner, Rebuild: true,
		RebuildReason: fmt.Sprintf("%s (rebuild %d of event %d: %s)", b.StateReason, b.ID, b.EventID, b.Path)}
}

// existing returns the build already recorded for ns in event with the
// same parent, if any (a redelivered or resumed event).
func (s *Service) existing(ctx context.Context, eventID int64, ns string, depOnID int64) (*ArtifactBuild, error) {
	l, _, err := s.st.Builds(ctx, &BuildFilter{EventID: eventID, Name: ns})
	if err != nil {
		return nil, err
	}
	for _, b := range l {
		if b.DepOnID == depOnID {
			return b, nil
		}
	}
	return nil, nil
}

// cycle is Freshmaker's guard, widened to the whole chain: a module of
// the same name as ns (any stream) already appears in parent's dep_on chain
// (Freshmaker compares with the chain's root only).
func cycle(ctx context.Context, st Store, parent *ArtifactBuild, ns string) bool {
	name, _, _ := strings.Cut(ns, ":")
	for b := parent; b != nil; {
		if n, _, _ := strings.Cut(b.Name, ":"); n == name {
			return true
		}
		if b.DepOnID == 0 {
			return false
		}
		l, _, err := st.Builds(ctx, &BuildFilter{EventID: b.EventID})
		if err != nil {
			return false
		}
		next := b.DepOnID
		b = nil
		for _, x := range l {
			if x.ID == next {
				b = x
			}
		}
	}
	return false
}

// submit submits a planned rebuild. When resuming a build planned before a
// restart, a module build of the same stream submitted by Owner since it
// was planned and not recorded by any other rebuild (a crash between
// Submit and recording it) is adopted instead of submitted again.
func (s *Service) submit(ctx context.Context, ev *Event, b *ArtifactBuild, req *orchestrator.SubmitRequest, resume bool) error {
	var mb *orchestrator.ModuleBuild
	if resume {
		name, stream, _ := strings.Cut(b.Name, ":")
		prior, _, err := s.orch.List(ctx, &orchestrator.ModuleBuildFilter{Name: name, Stream: stream, Owner: s.opts.Owner,
			SubmittedAfter: b.TimeSubmitted.Add(-time.Microsecond), Scratch: new(bool), OrderBy: []orchestrator.Order{{Field: "id"}}})
		if err != nil {
			return err
		}
		for _, p := range prior {
			known, _, err := s.st.Builds(ctx, &BuildFilter{BuildID: p.ID})
			if err != nil {
				return err
			}
			if len(known) == 0 {
				mb = p
				s.log.Info("rebuilds: adopting a rebuild submitted before a restart", "build", b.ID, "module_build", mb.ID)
				break
			}
		}
	}
	if mb == nil {
		// Canceled meanwhile (by another process sharing the store).
		if c, err := s.canceled(ctx, ev.ID); err != nil || c {
			if err == nil {
				b.State, b.StateReason, b.TimeCompleted = BuildCanceled, "Build canceled before running on external build system.", s.now()
				err = s.st.UpdateBuild(ctx, b)
			}
			return err
		}
		mbs, err := s.orch.Submit(ctx, req)
		switch {
		case errors.Is(err, orchestrator.ErrConflict):
			// Freshmaker ignores MBS's 409 too.
			b.State, b.StateReason, b.TimeCompleted = BuildSkipped, "not submitted: "+err.Error(), s.now()
			return s.st.UpdateBuild(ctx, b)
		case err != nil:
			b.State, b.StateReason, b.TimeCompleted = BuildFailed, "submit failed: "+err.Error(), s.now()
			if uerr := s.st.UpdateBuild(ctx, b); uerr != nil {
				return uerr
			}
			return nil
		}
		mb = mbs[0]
	}
	b.State, b.BuildID, b.RebuiltNVR = BuildBuilding, mb.ID, mb.Name+":"+mb.Stream+":"+mb.Version
	return s.st.UpdateBuild(ctx, b)
}

// finish sets the event's state from its builds.
func (h *handling) finish(ctx context.Context) error {
	st, reason, err := h.s.summary(ctx, h.ev.ID)
	h.state, h.reason = st, reason
	return err
}

// settle updates an event whose build finished.
func (s *Service) settle(ctx context.Context, eventID int64) error {
	ev, err := s.st.Event(ctx, eventID)
	if err != nil {
		return err
	}
	if ev.State == EventCanceled {
		return nil
	}
	st, reason, err := s.summary(ctx, eventID)
	if err != nil {
		return err
	}
	ev.State, ev.StateReason = st, reason
	if st != EventBuilding {
		ev.TimeDone = s.now()
	}
	return s.st.UpdateEvent(ctx, ev)
}

func (s *Service) summary(ctx context.Context, eventID int64) (EventState, string, error) {
	l, _, err := s.st.Builds(ctx, &BuildFilter{EventID: eventID})
	if err != nil {
		return 0, "", err
	}
	count := map[BuildState]int{}
	var notes []string
	for _, b := range l {
		count[b.State]++
		if b.State == BuildSkipped || b.State == BuildFailed {
			notes = append(notes, b.Name+" "+b.State.String()+": "+b.StateReason)
		}
	}
	var parts []string
	for _, st := range []BuildState{BuildPlanned, BuildBuilding, BuildDone, BuildFailed, BuildSkipped, BuildCanceled} {
		if count[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", count[st], st))
		}
	}
	reason := "rebuilds: " + strings.Join(parts, ", ")
	if len(notes) > 0 {
		reason += " (" + strings.Join(notes, "; ") + ")"
	}
	switch {
	case count[BuildPlanned]+count[BuildBuilding] > 0:
		return EventBuilding, reason, nil
	case count[BuildFailed] > 0:
		return EventFailed, reason, nil
	case count[BuildDone] > 0:
		return EventComplete, reason, nil
	}
	return EventSkipped, reason, nil
}

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func errOr(err, other error) error {
	if err != nil {
		return err
	}
	return other
}
