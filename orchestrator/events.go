package orchestrator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// Topics of the events the service publishes (after Options.TopicPrefix).
const (
	TopicModuleStateChange    = "module.state.change"
	TopicComponentStateChange = "component.state.change"
)

// TimeJSON is a time as the MBS API writes it ("2006-01-02T15:04:05Z"), or
// null when zero.
type TimeJSON time.Time

// MarshalJSON implements json.Marshaler.
func (t TimeJSON) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + time.Time(t).UTC().Format("2006-01-02T15:04:05Z") + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *TimeJSON) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = TimeJSON{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.Parse("2006-01-02T15:04:05Z", s)
	if err != nil {
		v, err = time.Parse(time.RFC3339, s)
	}
	*t = TimeJSON(v)
	return err
}

// BuildRequire is one entry of xmd.mbs.buildrequires: the module build a
// module build was built against.
type BuildRequire struct {
	Stream       string   `json:"stream"`
	Version      string   `json:"version"`
	Context      string   `json:"context"`
	Ref          string   `json:"ref"`
	KojiTag      string   `json:"koji_tag"`
	FilteredRPMs []string `json:"filtered_rpms"`
}

// ModuleMessage is the body of a module.state.change event, MBS's "default"
// module build JSON without tasks. The REST API builds on it.
type ModuleMessage struct {
	ID              int64                   `json:"id"`
	Name            string                  `json:"name"`
	Stream          string                  `json:"stream"`
	Version         string                  `json:"version"`
	Context         string                  `json:"context"`
	State           ModuleState             `json:"state"`
	StateName       string                  `json:"state_name"`
	StateReason     *string                 `json:"state_reason"`
	Scratch         bool                    `json:"scratch"`
	KojiTag         *string                 `json:"koji_tag"`
	Owner           string                  `json:"owner"`
	SCMURL          *string                 `json:"scmurl"`
	RebuildStrategy string                  `json:"rebuild_strategy"`
	Siblings        []int64                 `json:"siblings"`
	ComponentBuilds []int64                 `json:"component_builds"`
	BuildRequires   map[string]BuildRequire `json:"buildrequires"`
	SRPMs           []string                `json:"srpms"`
	TimeSubmitted   TimeJSON                `json:"time_submitted"`
	TimeModified    TimeJSON                `json:"time_modified"`
	TimeCompleted   TimeJSON                `json:"time_completed"`
}

// ComponentMessage is the body of a component.state.change event and the
// component build JSON of the REST API.
type ComponentMessage struct {
	ID          int64   `json:"id"`
	Package     string  `json:"package"`
	Format      string  `json:"format"`
	TaskID      *string `json:"task_id"`
	State       *int    `json:"state"`
	StateName   *string `json:"state_name"`
	StateReason *string `json:"state_reason"`
	ModuleBuild int64   `json:"module_build"`
	NVR         *string `json:"nvr"`
}

func strOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// NewModuleMessage renders mb as MBS's default JSON (without tasks), reading
// its siblings and component ids through tx.
func NewModuleMessage(ctx context.Context, tx Tx, mb *ModuleBuild) (*ModuleMessage, error) {
	m := &ModuleMessage{
		ID: mb.ID, Name: mb.Name, Stream: mb.Stream, Version: mb.Version, Context: mb.Context,
		State: mb.State, StateName: mb.State.String(), StateReason: strOrNil(mb.StateReason),
		Scratch: mb.Scratch, KojiTag: strOrNil(mb.KojiTag), Owner: mb.Owner, SCMURL: strOrNil(mb.SCMURL),
		RebuildStrategy: mb.RebuildStrategy, Siblings: []int64{}, ComponentBuilds: []int64{},
		BuildRequires: map[string]BuildRequire{}, SRPMs: []string{},
		TimeSubmitted: TimeJSON(mb.TimeSubmitted), TimeModified: TimeJSON(mb.TimeModified),
		TimeCompleted: TimeJSON(mb.TimeCompleted),
	}
	sibs, _, err := tx.ListModuleBuilds(ctx, &ModuleBuildFilter{
		Name: mb.Name, Stream: mb.Stream, SourceVersion: mb.SourceVersion, Scratch: &mb.Scratch,
		OrderBy: []Order{{Field: "id"}},
	})
	if err != nil {
		return nil, err
	}
	for _, sb := range sibs {
		if sb.ID != mb.ID {
			m.Siblings = append(m.Siblings, sb.ID)
		}
	}
	comps, _, err := tx.ListComponentBuilds(ctx, &ComponentBuildFilter{ModuleID: mb.ID})
	if err != nil {
		return nil, err
	}
	for _, c := range comps {
		m.ComponentBuilds = append(m.ComponentBuilds, c.ID)
	}
	m.BuildRequires = buildRequiresOf(mb.Modulemd)
	return m, nil
}

// NewComponentMessage renders c as MBS's component build JSON.
func NewComponentMessage(c *ComponentBuild) *ComponentMessage {
	m := &ComponentMessage{
		ID: c.ID, Package: c.Package, Format: c.Format, TaskID: strOrNil(c.TaskID),
		StateReason: strOrNil(c.StateReason), ModuleBuild: c.ModuleID, NVR: strOrNil(c.NVR),
	}
	if c.State != nil {
		st := int(*c.State)
		name := c.State.String()
		m.State, m.StateName = &st, &name
	}
	return m
}

// buildRequiresOf reads xmd.mbs.buildrequires from a stored modulemd.
func buildRequiresOf(yaml string) map[string]BuildRequire {
	out := map[string]BuildRequire{}
	if yaml == "" {
		return out
	}
	s, err := decodeStream(yaml)
	if err != nil {
		return out
	}
	brs, _ := xmdGet(s.XMD, "mbs", "buildrequires").(map[string]any)
	names := make([]string, 0, len(brs))
	for n := range brs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		e, _ := brs[n].(map[string]any)
		br := BuildRequire{
			Stream: xmdString(e, "stream"), Version: xmdString(e, "version"),
			Context: xmdString(e, "context"), Ref: xmdString(e, "ref"), KojiTag: xmdString(e, "koji_tag"),
			FilteredRPMs: []string{},
		}
		if l, ok := e["filtered_rpms"].([]any); ok {
			for _, v := range l {
				if s, ok := v.(string); ok {
					br.FilteredRPMs = append(br.FilteredRPMs, s)
				}
			}
		}
		out[n] = br
	}
	return out
}

// xmdString reads a scalar of an xmd map as a string.
func xmdString(m map[string]any, key string) string {
	switch v := m[key].(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// Subscribe registers fn to receive every event after its state change is
// committed, in commit order, from the goroutine of [Service.Run]. Delivery
// is at least once: events still in the outbox when the service stops are
// delivered again after a restart. With several processes sharing a store,
// the process holding the outbox lease delivers the events (use a
// [Publisher] to reach consumers elsewhere). The returned function
// unregisters fn.
func (s *Service) Subscribe(fn func(Event)) (unsubscribe func()) {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	s.nextSub++
	id := s.nextSub
	s.subs[id] = fn
	return func() {
		s.subMu.Lock()
		delete(s.subs, id)
		s.subMu.Unlock()
	}
}

// publish records an event in the outbox; it is sent once tx commits.
func (s *Service) publish(ctx context.Context, tx Tx, topic string, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", topic, err)
	}
	return tx.AddEvent(ctx, &Event{MessageID: NewMessageID(), Topic: s.opts.TopicPrefix + topic, Time: s.now(), Body: b})
}

// Publisher sends events to a message bus. The sub-package amqpbus
// publishes to an AMQP broker in fedora-messaging's format.
type Publisher interface {
	// Publish sends events, in order, and returns nil once the bus has
	// accepted every one of them (AMQP: the broker confirmed them). After
	// an error the same events, and maybe more, are passed again later;
	// each keeps its MessageID, so the bus's consumers can drop
	// duplicates.
	Publish(ctx context.Context, events []Event) error
}

// dispatch publishes committed outbox rows, while this process holds the
// outbox lease, until ctx ends.
func (s *Service) dispatch(ctx context.Context) {
	var holding bool
	var renewed time.Time
	defer func() {
		if holding {
			s.store.Release(context.WithoutCancel(ctx), leaseOutbox, s.opts.Holder)
		}
	}()
	backoff := time.Duration(0)
	for {
		if !holding || time.Since(renewed) > s.opts.LeaseTTL/3 {
			ok, err := s.store.Claim(ctx, leaseOutbox, s.opts.Holder, s.opts.LeaseTTL)
			if err != nil && ctx.Err() == nil {
				s.log.Warn("claim the outbox", "err", err)
			}
			holding = ok && err == nil
			if holding {
				renewed = time.Now()
			}
		}
		wait := s.opts.PollInterval
		if holding {
			n, err := s.dispatchOnce(ctx)
			if err != nil && ctx.Err() == nil {
				// A bus outage: retry, backing off up to 5 s.
				backoff = min(max(2*backoff, 100*time.Millisecond), 5*time.Second)
				wait = backoff
				s.log.Warn("event dispatch failed; retrying", "err", err, "in", backoff)
			} else {
				backoff = 0
				if n > 0 {
					continue
				}
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.outboxKick:
			t.Stop()
			if backoff > 0 {
				// Do not hammer a broker that is down.
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff):
				}
			}
		case <-t.C:
		}
	}
}

func (s *Service) dispatchOnce(ctx context.Context) (int, error) {
	var events []*Event
	if err := s.store.View(ctx, func(tx Tx) error {
		var err error
		events, err = tx.PendingEvents(ctx, 500)
		return err
	}); err != nil || len(events) == 0 {
		return 0, err
	}
	if s.opts.Publisher != nil {
		evs := make([]Event, len(events))
		for i, e := range events {
			evs[i] = *e
		}
		if err := s.opts.Publisher.Publish(ctx, evs); err != nil {
			return 0, fmt.Errorf("publish %d events: %w", len(evs), err)
		}
	}
	s.subMu.Lock()
	subs := make([]func(Event), 0, len(s.subs))
	keys := make([]int, 0, len(s.subs))
	for k := range s.subs {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		subs = append(subs, s.subs[k])
	}
	s.subMu.Unlock()
	ids := make([]int64, len(events))
	for i, e := range events {
		for _, fn := range subs {
			fn(*e)
		}
		ids[i] = e.ID
	}
	err := s.store.Update(ctx, func(tx Tx) error { return tx.MarkEventsSent(ctx, ids) })
	s.signalSent()
	return len(events), err
}

// signalSent wakes the callers of Flush.
func (s *Service) signalSent() {
	s.mu.Lock()
	close(s.sent)
	s.sent = make(chan struct{})
	s.mu.Unlock()
}

// Flush waits until every event committed before the call has been
// delivered to the subscribers. [Service.Run] must be running (in this
// process: the events are delivered from its goroutine). Use it after
// [Service.Wait] to see the events of the final state changes before
// stopping the service.
func (s *Service) Flush(ctx context.Context) error {
	var last int64
	if err := s.store.View(ctx, func(tx Tx) error {
		pending, err := tx.PendingEvents(ctx, 1<<30)
		if len(pending) > 0 {
			last = pending[len(pending)-1].ID
		}
		return err
	}); err != nil || last == 0 {
		return err
	}
	for {
		s.mu.Lock()
		ch := s.sent
		s.mu.Unlock()
		var first int64
		if err := s.store.View(ctx, func(tx Tx) error {
			pending, err := tx.PendingEvents(ctx, 1)
			if len(pending) > 0 {
				first = pending[0].ID
			}
			return err
		}); err != nil {
			return err
		}
		if first == 0 || first > last {
			return nil
		}
		s.kickOutbox()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		case <-time.After(s.opts.PollInterval):
		}
	}
}

// kickOutbox wakes the dispatcher after a commit.
func (s *Service) kickOutbox() {
	select {
	case s.outboxKick <- struct{}{}:
	default:
	}
}

// NewMessageID returns a random (version 4) UUID, the form of
// fedora-messaging's message ids.
func NewMessageID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
