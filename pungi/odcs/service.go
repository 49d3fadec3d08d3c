package odcs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/orchestrator"
)

// Default lifetimes (ODCS's SECONDS_TO_LIVE and MAX_SECONDS_TO_LIVE).
const (
	DefaultSecondsToLive    = 24 * 60 * 60
	DefaultMaxSecondsToLive = 72 * 60 * 60
)

// Topic is the topic of compose state changes (after the service's
// topic prefix), as ODCS publishes them.
const Topic = "odcs.compose.state-changed"

// Outbox receives state-change messages.
type Outbox interface {
	Publish(ctx context.Context, topic string, body []byte) error
}

type orchestratorOutbox struct{ st orchestrator.Store }

// OrchestratorOutbox writes messages to the outbox of an orchestrator
// store: the orchestrator's service publishes them to its bus and its
// subscribers like its own events.
func OrchestratorOutbox(st orchestrator.Store) Outbox { return orchestratorOutbox{st} }

func (o orchestratorOutbox) Publish(ctx context.Context, topic string, body []byte) error {
	return o.st.Update(ctx, func(tx orchestrator.Tx) error {
		return tx.AddEvent(ctx, &orchestrator.Event{MessageID: orchestrator.NewMessageID(), Topic: topic, Time: time.Now().UTC(), Body: body})
	})
}

// Message is the body of a state-change message: {"event":
// "state-changed", "compose": {...}}.
type Message struct {
	Event   string   `json:"event"`
	Compose *Compose `json:"compose"`
}

// Options configure a [Service].
type Options struct {
	Store Store
	// TargetDir holds the composes (odcs-<id>/ each).
	TargetDir string
	// PublicURL is where TargetDir is served (ODCS's target_dir_url);
	// composes' URLs start with it.
	PublicURL string
	// SecondsToLive is the default lifetime, MaxSecondsToLive the
	// longest; 0 means ODCS's 24 h and 72 h.
	SecondsToLive, MaxSecondsToLive int64
	// Arches are the default arches (default: this machine's).
	Arches []string
	// Sigkeys are the default signing keys (nil: unsigned packages).
	Sigkeys []string
	// Koji is the hub of tag and build composes, and of module builds
	// found through an MBS; KojiTopURL serves its files (default: the
	// hub URL with /kojihub replaced by /kojifiles).
	Koji       *koji.Client
	KojiTopURL string
	// Modules resolves module composes; nil refuses them.
	Modules ModuleResolver
	// RepoRoots are the directories repo composes may take repositories
	// from; none refuses repo composes.
	RepoRoots []string
	// Outbox receives a message for every state change (nil: none);
	// TopicPrefix goes before [Topic] ("org.fedoraproject.prod.").
	Outbox      Outbox
	TopicPrefix string
	// Workers generate composes at once (default 2, ODCS's
	// NUM_CONCURRENT_PUNGI).
	Workers int
	// ReapInterval is how often expired composes are removed (default
	// 10 s); Timeout fails a compose generating longer (default 1 h;
	// one stuck twice as long is failed by the reaper).
	ReapInterval, Timeout time.Duration
	// RequeueInterrupted makes Run generate again the composes found in
	// generating when it starts: right when this process is the only one
	// on the store (SQLite), wrong when others share it.
	RequeueInterrupted bool
	Logger             *slog.Logger
	Now                func() time.Time
}

// Service is the on-demand compose service.
type Service struct {
	opts Options
	log  *slog.Logger
	kick chan struct{}

	mu       sync.Mutex
	changed  chan struct{}
	cancels  map[int64]context.CancelFunc
	running  sync.WaitGroup
	dirLocks sync.Mutex
}

// New checks the options and returns a service; call Run to generate and
// expire composes.
func New(opts *Options) (*Service, error) {
	o := *opts
	if o.Store == nil {
		return nil, errors.New("odcs: no store")
	}
	if o.TargetDir == "" {
		return nil, errors.New("odcs: no target directory")
	}
	abs, err := filepath.Abs(o.TargetDir)
	if err != nil {
		return nil, err
	}
	o.TargetDir = abs
	if err := os.MkdirAll(o.TargetDir, 0o755); err != nil {
		return nil, fmt.Errorf("odcs: target directory: %w", err)
	}
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	if o.SecondsToLive <= 0 {
		o.SecondsToLive = DefaultSecondsToLive
	}
	if o.MaxSecondsToLive <= 0 {
		o.MaxSecondsToLive = DefaultMaxSecondsToLive
	}
	if o.SecondsToLive > o.MaxSecondsToLive {
		return nil, fmt.Errorf("odcs: the default seconds_to_live %d exceeds the maximum %d", o.SecondsToLive, o.MaxSecondsToLive)
	}
	if len(o.Arches) == 0 {
		o.Arches = []string{HostArch()}
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.ReapInterval <= 0 {
		o.ReapInterval = 10 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	for i, r := range o.RepoRoots {
		if o.RepoRoots[i], err = filepath.Abs(r); err != nil {
			return nil, err
		}
	}
	return &Service{opts: o, log: o.Logger, kick: make(chan struct{}, 1), changed: make(chan struct{}), cancels: map[int64]context.CancelFunc{}}, nil
}

// HostArch is this machine's RPM arch.
func HostArch() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	case "386":
		return "i686"
	}
	return runtime.GOARCH
}

func (s *Service) now() time.Time { return s.opts.Now().UTC().Truncate(time.Second) }

// Limits returns the default and the maximum seconds_to_live.
func (s *Service) Limits() (def, max int64) { return s.opts.SecondsToLive, s.opts.MaxSecondsToLive }

func (s *Service) ttl(asked int64) int64 {
	if asked <= 0 {
		return s.opts.SecondsToLive
	}
	return min(asked, s.opts.MaxSecondsToLive)
}

// decorate sets the public URLs of c.
func (s *Service) decorate(c *Compose) *Compose {
	c.ResultRepo, c.ResultRepofile, c.ToplevelURL = "", "", ""
	if s.opts.PublicURL != "" {
		c.ToplevelURL = s.opts.PublicURL + "/" + c.Name()
		c.ResultRepo = c.ToplevelURL + "/compose/Temporary"
		c.ResultRepofile = c.ResultRepo + "/" + c.Name() + ".repo"
	}
	return c
}

// Dir is the directory of compose c's files.
func (s *Service) Dir(c *Compose) string { return filepath.Join(s.opts.TargetDir, c.Name()) }

// Submit records a compose request by owner and schedules it; the
// compose starts in state wait.
func (s *Service) Submit(ctx context.Context, owner string, req *Request) (*Compose, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	st, _ := ParseSourceType(req.Source.Type)
	var p []string
	switch {
	case (st == SourceTag || st == SourceBuild) && s.opts.Koji == nil:
		p = append(p, fmt.Sprintf("source.type: %s composes need a koji hub, and this server has none", st))
	case st == SourceModule && s.opts.Modules == nil:
		p = append(p, "source.type: module composes need a module resolver, and this server has none")
	case st == SourceRepo:
		if _, err := s.repoDir(strings.TrimSpace(req.Source.Source)); err != nil {
			p = append(p, "source.source: "+err.Error())
		}
	}
	if len(p) > 0 {
		return nil, &RequestError{Problems: p}
	}
	src := strings.Fields(req.Source.Source)
	slices.Sort(src)
	src = slices.Compact(src)
	now := s.now()
	ttl := s.ttl(req.SecondsToLive)
	c := &Compose{
		Owner: owner, SourceType: st, Source: strings.Join(src, " "), State: StateWait, StateReason: "Compose is waiting to be generated",
		TimeSubmitted: now, TimeToExpire: now.Add(time.Duration(ttl) * time.Second), SecondsToLive: ttl,
		Packages: sortedSet(req.Source.Packages), Builds: sortedSet(req.Source.Builds), Sigkeys: req.Source.Sigkeys,
		Arches: sortedSet(req.Arches), KojiEvent: req.Source.KojiEvent, Label: req.Label, ComposeType: req.ComposeType,
		RespinOf: req.RespinOf, Results: ResultRepository,
	}
	if c.Sigkeys == nil {
		c.Sigkeys = slices.Clone(s.opts.Sigkeys)
	}
	if len(c.Arches) == 0 {
		c.Arches = slices.Clone(s.opts.Arches)
	}
	if c.ComposeType == "" {
		c.ComposeType = "test"
	}
	for _, f := range req.Flags {
		v, _ := ParseFlag(f)
		c.Flags |= v
	}
	if err := s.opts.Store.Create(ctx, c); err != nil {
		return nil, err
	}
	s.event(ctx, c)
	s.wake()
	return s.decorate(c), nil
}

func sortedSet(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	l = slices.Clone(l)
	slices.Sort(l)
	return slices.Compact(l)
}

// repoDir checks that dir is a repository inside one of RepoRoots.
func (s *Service) repoDir(dir string) (string, error) {
	if len(s.opts.RepoRoots) == 0 {
		return "", errors.New("repo composes are not enabled on this server (no repository roots)")
	}
	if !filepath.IsAbs(dir) {
		return "", fmt.Errorf("%q is not an absolute path", dir)
	}
	real, err := filepath.EvalSymlinks(filepath.Clean(dir))
	if err != nil {
		return "", fmt.Errorf("repository %s does not exist", dir)
	}
	for _, root := range s.opts.RepoRoots {
		r, err := filepath.EvalSymlinks(root)
		if err != nil {
			continue
		}
		if rel, err := filepath.Rel(r, real); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			if _, err := os.Stat(filepath.Join(real, "repodata", "repomd.xml")); err != nil {
				return "", fmt.Errorf("%s is not a repository (no repodata/repomd.xml)", dir)
			}
			return real, nil
		}
	}
	return "", fmt.Errorf("%s is outside the repository roots this server composes from", dir)
}

// Get returns a compose.
func (s *Service) Get(ctx context.Context, id int64) (*Compose, error) {
	c, err := s.opts.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.decorate(c), nil
}

// List returns the composes matching f and their total count.
func (s *Service) List(ctx context.Context, f *Filter) ([]*Compose, int, error) {
	cs, n, err := s.opts.Store.List(ctx, f)
	for _, c := range cs {
		s.decorate(c)
	}
	return cs, n, err
}

// Renew extends a done compose's life (and that of the compose it reuses
// and those reusing it) to at least now + seconds_to_live; a removed or
// failed compose, or a request changing sigkeys, builds or modules,
// makes a new compose copying the old one (same koji event), as ODCS's
// PATCH does. It returns the compose renewed or created.
func (s *Service) Renew(ctx context.Context, id int64, user string, req *RenewRequest) (*Compose, error) {
	if req == nil {
		req = &RenewRequest{}
	}
	old, err := s.opts.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !slices.Contains([]State{StateDone, StateRemoved, StateFailed}, old.State) {
		return nil, fmt.Errorf("No compose with id %d found in state done, removed or failed (it is %s): %w", id, old.State, ErrNotFound)
	}
	ttl := s.ttl(req.SecondsToLive)
	now := s.now()
	sigkeys := old.Sigkeys
	if req.Sigkeys != nil {
		sigkeys = req.Sigkeys
	}
	var builds, modules []string
	if req.Source != nil {
		builds, modules = req.Source.Builds, req.Source.Modules
	}
	if len(modules) > 0 {
		return nil, &RequestError{Problems: []string{"source.modules: not supported by this server"}}
	}
	if old.State == StateRemoved || old.State == StateFailed || !slices.Equal(sigkeys, old.Sigkeys) || builds != nil {
		c := *old
		c.ID, c.Owner, c.State, c.StateReason = 0, user, StateWait, "Compose is waiting to be generated"
		c.TimeSubmitted, c.TimeStarted, c.TimeDone, c.TimeRemoved, c.RemovedBy = now, time.Time{}, time.Time{}, time.Time{}, ""
		c.TimeToExpire, c.SecondsToLive, c.Sigkeys, c.ReusedID = now.Add(time.Duration(ttl)*time.Second), ttl, sigkeys, 0
		c.RespinOf, c.PungiComposeID = old.PungiComposeID, ""
		if builds != nil {
			c.Builds = sortedSet(builds)
		}
		if err := s.opts.Store.Create(ctx, &c); err != nil {
			return nil, err
		}
		s.event(ctx, &c)
		s.wake()
		return s.decorate(&c), nil
	}
	until := now.Add(time.Duration(ttl) * time.Second)
	related := []*Compose{old}
	if old.ReusedID != 0 {
		if r, err := s.opts.Store.Get(ctx, old.ReusedID); err == nil {
			related = append(related, r)
		}
	}
	reusing, _, err := s.opts.Store.List(ctx, &Filter{ReusedID: old.ID})
	if err != nil {
		return nil, err
	}
	related = append(related, reusing...)
	for _, c := range related {
		if until.After(c.TimeToExpire) && c.State != StateRemoved {
			c.TimeToExpire = until
			if err := s.opts.Store.Update(ctx, c); err != nil {
				return nil, err
			}
		}
	}
	return s.decorate(old), nil
}

// ErrForbidden is returned when the user may not do what was asked.
var ErrForbidden = errors.New("forbidden")

// Delete cancels a waiting or generating compose (failed, "Canceled by
// <user>") or marks a done or failed one for removal now (the reaper
// removes its files and moves it to removed). owner and admin say what
// the caller is: the compose's owner or an admin may cancel or delete.
// It returns ODCS's message.
func (s *Service) Delete(ctx context.Context, id int64, user string, admin bool) (string, error) {
	c, err := s.opts.Store.Get(ctx, id)
	if err != nil {
		return "", err
	}
	if !admin && c.Owner != user {
		return "", fmt.Errorf("%w: compose %d is owned by %s; only its owner or an admin may delete it", ErrForbidden, id, c.Owner)
	}
	switch c.State {
	case StateWait, StateGenerating:
		s.mu.Lock()
		cancel := s.cancels[id]
		s.mu.Unlock()
		if cancel != nil {
			cancel()
		}
		c.State, c.StateReason = StateFailed, "Canceled by "+user
		s.finish(c)
		if err := s.opts.Store.Update(ctx, c); err != nil {
			return "", err
		}
		s.event(ctx, c)
		return fmt.Sprintf("Compose (id=%d) has been canceled", id), nil
	case StateDone, StateFailed:
		c.TimeToExpire, c.RemovedBy = s.now(), user
		if err := s.opts.Store.Update(ctx, c); err != nil {
			return "", err
		}
		s.wake()
		return fmt.Sprintf("The delete request for compose (id=%d) has been accepted and will be processed by backend later.", id), nil
	default:
		return "", &RequestError{Problems: []string{fmt.Sprintf("Compose (id=%d) can not be removed, its state need to be in [done failed] (it is %s).", id, c.State)}}
	}
}

// finish sets the times of a compose entering done or failed: the
// lifetime starts again from now, as in ODCS.
func (s *Service) finish(c *Compose) {
	now := s.now()
	if c.State == StateDone {
		c.TimeDone = now
	}
	ttl := c.TimeToExpire.Sub(c.TimeSubmitted)
	if c.SecondsToLive > 0 {
		ttl = time.Duration(c.SecondsToLive) * time.Second
	}
	c.TimeToExpire = now.Add(ttl)
}

// republish publishes the states a crash or an outbox failure kept from
// the outbox (see [PublishLog]).
func (s *Service) republish(ctx context.Context) error {
	pl, ok := s.opts.Store.(PublishLog)
	if !ok || s.opts.Outbox == nil {
		return nil
	}
	l, err := pl.Unpublished(ctx)
	if err != nil {
		return err
	}
	for _, c := range l {
		s.event(ctx, c)
	}
	return nil
}

// event publishes c's state.
func (s *Service) event(ctx context.Context, c *Compose) {
	if s.opts.Outbox != nil {
		body, err := json.Marshal(Message{Event: "state-changed", Compose: s.decorate(c)})
		if err == nil {
			err = s.opts.Outbox.Publish(context.WithoutCancel(ctx), s.opts.TopicPrefix+Topic, body)
		}
		if err != nil {
			s.log.Error("odcs: publishing a state change failed (published again at the next sweep)", "compose", c.ID, "state", c.State.String(), "err", err)
		} else if pl, ok := s.opts.Store.(PublishLog); ok {
			if err := pl.MarkPublished(context.WithoutCancel(ctx), c.ID, c.State); err != nil {
				s.log.Warn("odcs: recording a published state failed (it may be published again)", "compose", c.ID, "err", err)
			}
		}
	}
	s.mu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

func (s *Service) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Wait blocks until compose id is done, failed or removed, and returns it.
func (s *Service) Wait(ctx context.Context, id int64) (*Compose, error) {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		c, err := s.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if c.State.Final() {
			return c, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-ch:
		case <-time.After(time.Second):
		}
	}
}

// Run generates waiting composes with Workers workers and removes expired
// ones every ReapInterval, until ctx ends. With RequeueInterrupted,
// composes left generating by a process that stopped are generated again.
func (s *Service) Run(ctx context.Context) error {
	stuck, _, err := s.opts.Store.List(ctx, &Filter{States: []State{StateGenerating}})
	if err != nil {
		return err
	}
	for _, c := range stuck {
		if !s.opts.RequeueInterrupted {
			break // other processes may be generating them; the reaper fails stuck ones
		}
		c.State, c.StateReason, c.TimeStarted = StateWait, "Compose is waiting to be generated (again: its generation was interrupted)", time.Time{}
		if err := s.opts.Store.Update(ctx, c); err != nil {
			return err
		}
	}
	work := make(chan int64)
	var wg sync.WaitGroup
	for range s.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				s.generate(ctx, id)
				s.wake() // a worker is free: dispatch what waits
			}
		}()
	}
	defer wg.Wait()
	defer close(work)
	t := time.NewTicker(s.opts.ReapInterval)
	defer t.Stop()
	lastReap := time.Time{}
	for {
		if time.Since(lastReap) >= s.opts.ReapInterval/2 {
			if _, err := s.Reap(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("odcs: removing expired composes failed", "err", err)
			}
			lastReap = time.Now()
		}
		waiting, _, err := s.opts.Store.List(ctx, &Filter{States: []State{StateWait}, OrderBy: "id"})
		if err != nil && ctx.Err() == nil {
			s.log.Warn("odcs: listing waiting composes failed", "err", err)
		}
		var retry <-chan time.Time
	dispatch:
		for _, c := range waiting {
			select {
			case work <- c.ID:
			case <-ctx.Done():
				return nil
			default:
				// Every worker is busy (or not started yet): a free
				// worker wakes the loop, and it looks again soon anyway.
				retry = time.After(250 * time.Millisecond)
				break dispatch
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.kick:
		case <-t.C:
		case <-retry:
		}
	}
}

// Reap removes expired composes: done or failed ones past time_to_expire
// become removed ("Compose is expired." or "Removed by <user>.") and
// their directories are deleted, unless a compose that is not removed
// reuses them; composes generating longer than twice the timeout fail;
// odcs-<id> directories of removed or unknown composes are deleted. It
// publishes the states an outbox failure or a crash kept unpublished
// ([PublishLog]). It returns the composes it removed.
func (s *Service) Reap(ctx context.Context) ([]int64, error) {
	now := s.now()
	expired, _, err := s.opts.Store.List(ctx, &Filter{States: []State{StateDone, StateFailed}, ExpiresBefore: now.Add(time.Second), OrderBy: "id"})
	if err != nil {
		return nil, err
	}
	var removed []int64
	for _, c := range expired {
		if c.TimeToExpire.After(now) {
			continue
		}
		c.State, c.TimeRemoved = StateRemoved, now
		c.StateReason = "Compose is expired."
		if c.RemovedBy != "" {
			c.StateReason = "Removed by " + c.RemovedBy + "."
		}
		if err := s.opts.Store.Update(ctx, c); err != nil {
			return removed, err
		}
		removed = append(removed, c.ID)
		s.event(ctx, c)
		if c.ReusedID == 0 {
			if err := s.removeFiles(ctx, c.ID); err != nil {
				s.log.Warn("odcs: removing compose files failed", "compose", c.ID, "err", err)
			}
		}
	}
	gen, _, err := s.opts.Store.List(ctx, &Filter{States: []State{StateGenerating}})
	if err != nil {
		return removed, err
	}
	for _, c := range gen {
		if !c.TimeStarted.IsZero() && now.Sub(c.TimeStarted) > 2*s.opts.Timeout {
			c.State, c.StateReason = StateFailed, fmt.Sprintf("Compose is stuck in generating for longer than %s.", 2*s.opts.Timeout)
			s.finish(c)
			if err := s.opts.Store.Update(ctx, c); err != nil {
				return removed, err
			}
			s.event(ctx, c)
		}
	}
	if err := s.republish(ctx); err != nil {
		return removed, err
	}
	return removed, s.removeOrphans(ctx)
}

var dirRe = regexp.MustCompile(`^odcs-([0-9]+)$`)

// removeFiles deletes odcs-<id> unless a live compose reuses it.
func (s *Service) removeFiles(ctx context.Context, id int64) error {
	users, _, err := s.opts.Store.List(ctx, &Filter{ReusedID: id, States: []State{StateWait, StateGenerating, StateDone, StateFailed}})
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return nil
	}
	return os.RemoveAll(filepath.Join(s.opts.TargetDir, "odcs-"+strconv.FormatInt(id, 10)))
}

// removeOrphans deletes odcs-<id> directories whose compose is removed
// or unknown.
func (s *Service) removeOrphans(ctx context.Context) error {
	ents, err := os.ReadDir(s.opts.TargetDir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		m := dirRe.FindStringSubmatch(e.Name())
		if m == nil || !e.IsDir() {
			continue
		}
		id, _ := strconv.ParseInt(m[1], 10, 64)
		c, err := s.opts.Store.Get(ctx, id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if c == nil || c.State == StateRemoved {
			if err := s.removeFiles(ctx, id); err != nil {
				return err
			}
		}
	}
	return nil
}
