package rebuilds

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/modkit/modkit/orchestrator"
)

// HandlerManual is the handler name rules use for modules named in a
// manual rebuild request. A manual request for a component branch is
// decided as a push of it, by [HandlerGitRPMSpecChange]'s rules.
const HandlerManual = "RebuildModulesOnManualRequest"

// TopicManual is the topic suffix of a manual rebuild request
// ([ManualRequest] as the body): [Service.Trigger] handles one, and so
// does [Service.Handle] for a message of a topic ending in it.
const TopicManual = "rebuilds.manual"

// ManualRequest asks for rebuilds, Freshmaker's POST /api/1/builds/ for
// modules: either Modules, or Component and Branch (as if the component's
// spec changed on the branch), or only DependsOnEvent, which repeats the
// directly affected rebuilds of that event. The rebuilds then go on down
// the dependency chain as for any event.
type ManualRequest struct {
	// Modules are name:stream (the newest ready build of the stream) or
	// name:stream:version[:context] (that build, which must be ready).
	Modules []string `json:"modules,omitempty"`
	// Component is an RPM component's name; Branch its dist-git branch;
	// Rev, optional, the commit to report.
	Component string `json:"component,omitempty"`
	Branch    string `json:"branch,omitempty"`
	Rev       string `json:"rev,omitempty"`
	// DryRun records what would be rebuilt and builds nothing.
	DryRun bool `json:"dry_run,omitempty"`
	// DependsOnEvent (Freshmaker's freshmaker_event_id) links the new
	// event to an earlier one; without Modules and Component, the new
	// event rebuilds again what that event rebuilt directly.
	DependsOnEvent int64 `json:"freshmaker_event_id,omitempty"`
}

// RequestError is a manual request that cannot be handled (HTTP 400).
type RequestError struct{ Msg string }

func (e *RequestError) Error() string { return e.Msg }

var (
	nameStream = regexp.MustCompile(`^[A-Za-z0-9_.+-]+:[A-Za-z0-9_.+-]+(:[0-9]+(:[A-Za-z0-9]+)?)?$`)
	plainName  = regexp.MustCompile(`^[A-Za-z0-9_.+-]+$`)
)

// DecodeManualRequest reads a request strictly: unknown fields, wrong
// types and malformed module names are errors naming the field.
func DecodeManualRequest(data []byte) (*ManualRequest, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r ManualRequest
	if err := dec.Decode(&r); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, &RequestError{fmt.Sprintf("%q must be %s, not a JSON %s", te.Field, goTypeName(te.Type.Kind().String()), te.Value)}
		}
		return nil, &RequestError{fmt.Sprintf("the request is not a JSON object of modules, component, branch, rev, dry_run and freshmaker_event_id: %v", err)}
	}
	if dec.More() {
		return nil, &RequestError{"the request has data after its JSON object"}
	}
	return &r, r.validate()
}

func goTypeName(kind string) string {
	switch kind {
	case "slice":
		return "an array of strings"
	case "int64":
		return "an integer"
	case "bool":
		return "a boolean"
	}
	return "a string"
}

func (r *ManualRequest) validate() error {
	var problems []string
	for i, m := range r.Modules {
		if !nameStream.MatchString(m) {
			problems = append(problems, fmt.Sprintf("modules[%d]: %q is not name:stream or name:stream:version[:context]", i, m))
		}
	}
	switch {
	case len(r.Modules) > 0 && (r.Component != "" || r.Branch != ""):
		problems = append(problems, `give either "modules" or "component" and "branch", not both`)
	case r.Component != "" || r.Branch != "":
		if !plainName.MatchString(r.Component) {
			problems = append(problems, fmt.Sprintf("component: %q is not a component name", r.Component))
		}
		if r.Branch == "" || strings.ContainsAny(r.Branch, " \t\n") {
			problems = append(problems, fmt.Sprintf("branch: %q is not a branch name", r.Branch))
		}
	case len(r.Modules) == 0 && r.DependsOnEvent == 0:
		problems = append(problems, `you must at least provide "modules", "component" and "branch", or "freshmaker_event_id"`)
	}
	if r.DependsOnEvent < 0 {
		problems = append(problems, `"freshmaker_event_id" must be a positive integer`)
	}
	if len(problems) > 0 {
		return &RequestError{strings.Join(problems, "; ")}
	}
	return nil
}

func (r *ManualRequest) key() string {
	if r.Component != "" {
		return "rpms/" + r.Component + "@" + r.Branch
	}
	return strings.Join(r.Modules, " ")
}

// Trigger records and handles a manual rebuild request by requester, as
// Freshmaker's manual trigger does, and returns the event. A request
// naming no module or component inherits them from DependsOnEvent. The
// request is recorded before the event, so a service restarted in the
// middle resumes it ([Service.Resume]).
func (s *Service) Trigger(ctx context.Context, req *ManualRequest, requester string) (*Event, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	r := *req
	if r.DependsOnEvent != 0 {
		dep, err := s.st.Event(ctx, r.DependsOnEvent)
		if errors.Is(err, ErrNotFound) {
			return nil, &RequestError{fmt.Sprintf("the provided \"freshmaker_event_id\" %d is not an event", r.DependsOnEvent)}
		}
		if err != nil {
			return nil, err
		}
		if len(r.Modules) == 0 && r.Component == "" {
			bs, _, err := s.st.Builds(ctx, &BuildFilter{EventID: dep.ID})
			if err != nil {
				return nil, err
			}
			for _, b := range bs {
				if b.RebuildReason == ReasonDirectlyAffected && b.Type == ArtifactModule && !slices.Contains(r.Modules, b.Name) {
					r.Modules = append(r.Modules, b.Name)
				}
			}
			if len(r.Modules) == 0 {
				return nil, &RequestError{fmt.Sprintf("event %d rebuilt no module directly, so there is nothing to rebuild again", dep.ID)}
			}
		}
	}
	var b [12]byte
	rand.Read(b[:])
	id := "manual-" + hex.EncodeToString(b[:])
	body, err := json.Marshal(&r)
	if err != nil {
		return nil, err
	}
	m := Message{ID: id, Topic: "modkit." + TopicManual, Body: body, DryRun: r.DryRun, Requester: requester}
	if rs, ok := s.st.(requestStore); ok {
		if err := rs.saveRequest(ctx, m); err != nil {
			return nil, err
		}
	}
	ev, err := s.Handle(ctx, m)
	if ev != nil && r.DependsOnEvent != 0 {
		if ls, ok := s.st.(linkStore); ok {
			if lerr := ls.linkEvents(ctx, ev.ID, r.DependsOnEvent); lerr != nil && err == nil {
				err = lerr
			}
		}
	}
	return ev, err
}

// parseManual reads a manual request message.
func parseManual(m Message) (parsed, bool, error) {
	r, err := DecodeManualRequest(m.Body)
	if err != nil {
		return parsed{}, false, fmt.Errorf("message %s (%s): %w", m.ID, m.Topic, err)
	}
	return parsed{typ: EventManual, key: r.key(), manual: r}, true, nil
}

// manual handles a manual request: named modules are rebuilt by
// HandlerManual's rules, a component branch as a push of it.
func (h *handling) manual(ctx context.Context, r *ManualRequest) error {
	if r.Component != "" {
		rev := r.Rev
		if rev == "" {
			rev = "manual"
		}
		return h.specChange(ctx, &GitPush{Namespace: "rpms", Repo: r.Component, Branch: r.Branch, Rev: rev})
	}
	cur, err := h.s.current(ctx)
	if err != nil {
		return err
	}
	var missing []string
	for _, want := range r.Modules {
		parts := strings.Split(want, ":")
		ns := parts[0] + ":" + parts[1]
		mb := cur.builds[ns]
		if len(parts) > 2 {
			mb, err = h.s.findReady(ctx, parts)
			if err != nil {
				return err
			}
		}
		if mb == nil {
			missing = append(missing, want)
			continue
		}
		why := fmt.Sprintf("manual rebuild of %s requested by %s", want, h.ev.Requester)
		if _, err := h.s.consider(ctx, h.ev, HandlerManual, mb, nil, ReasonDirectlyAffected, "manual request by "+h.ev.Requester+" -> "+ns, why); err != nil {
			return err
		}
	}
	if len(missing) == len(r.Modules) {
		h.skip("no ready module build matches %s", strings.Join(missing, ", "))
		return nil
	}
	if err := h.finish(ctx); err != nil {
		return err
	}
	if len(missing) > 0 {
		h.reason += "; no ready module build matches " + strings.Join(missing, ", ")
	}
	return nil
}

// findReady returns the ready build name:stream:version[:context].
func (s *Service) findReady(ctx context.Context, parts []string) (*orchestrator.ModuleBuild, error) {
	f := &orchestrator.ModuleBuildFilter{Name: parts[0], Stream: parts[1], Version: parts[2],
		States: []orchestrator.ModuleState{orchestrator.StateReady}, Scratch: new(bool)}
	if len(parts) > 3 {
		f.Context = parts[3]
	}
	l, _, err := s.orch.List(ctx, f)
	if err != nil || len(l) == 0 {
		return nil, err
	}
	return l[0], nil
}

// Resume handles again the manual requests whose handling a stop
// interrupted (events still initialized). Bus messages need no such
// step: an interrupted one was not acknowledged and comes again.
func (s *Service) Resume(ctx context.Context) error {
	rs, ok := s.st.(requestStore)
	if !ok {
		return nil
	}
	// The tables of requests, links and leases, before any message.
	if sq, ok := s.st.(*SQLStore); ok {
		if err := sq.ensureTables(ctx); err != nil {
			return err
		}
	}
	evs, _, err := s.st.Events(ctx, &EventFilter{Types: []EventType{EventManual}, States: []EventState{EventInitialized}})
	if err != nil {
		return err
	}
	var errs []error
	for _, ev := range evs {
		m, err := rs.request(ctx, ev.MessageID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, err := s.Handle(ctx, m); err != nil && !errors.Is(err, ErrBusy) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// requestStore keeps manual requests (table rebuild_requests).
type requestStore interface {
	saveRequest(ctx context.Context, m Message) error
	request(ctx context.Context, messageID string) (Message, error)
}

// linkStore keeps the dependencies between events (table
// rebuild_event_links).
type linkStore interface {
	linkEvents(ctx context.Context, eventID, dependsOn int64) error
	links(ctx context.Context, eventID int64) (dependsOn, depending []int64, err error)
}

func (s *SQLStore) saveRequest(ctx context.Context, m Message) error {
	if err := s.ensureTables(ctx); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO rebuild_requests (message_id, topic, body, dry_run, requester) VALUES (?, ?, ?, ?, ?)`),
		m.ID, m.Topic, string(m.Body), m.DryRun, m.Requester)
	if err != nil {
		return fmt.Errorf("rebuilds: record request %s: %w", m.ID, err)
	}
	return nil
}

func (s *SQLStore) request(ctx context.Context, id string) (Message, error) {
	if err := s.ensureTables(ctx); err != nil {
		return Message{}, err
	}
	m := Message{ID: id}
	var body string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT topic, body, dry_run, requester FROM rebuild_requests WHERE message_id = ?`), id).
		Scan(&m.Topic, &body, &m.DryRun, &m.Requester)
	if err != nil {
		return m, fmt.Errorf("rebuilds: read request %s: %w", id, err)
	}
	m.Body = json.RawMessage(body)
	return m, nil
}

func (s *SQLStore) linkEvents(ctx context.Context, eventID, dependsOn int64) error {
	if err := s.ensureTables(ctx); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO rebuild_event_links (event_id, depends_on_id) VALUES (?, ?) ON CONFLICT DO NOTHING`), eventID, dependsOn)
	if err != nil {
		return fmt.Errorf("rebuilds: link event %d to %d: %w", eventID, dependsOn, err)
	}
	return nil
}

func (s *SQLStore) links(ctx context.Context, eventID int64) (dependsOn, depending []int64, err error) {
	if err := s.ensureTables(ctx); err != nil {
		return nil, nil, err
	}
	for _, q := range []struct {
		sql string
		dst *[]int64
	}{
		{`SELECT depends_on_id FROM rebuild_event_links WHERE event_id = ? ORDER BY depends_on_id`, &dependsOn},
		{`SELECT event_id FROM rebuild_event_links WHERE depends_on_id = ? ORDER BY event_id`, &depending},
	} {
		rows, err := s.db.QueryContext(ctx, s.q(q.sql), eventID)
		if err != nil {
			return nil, nil, err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, nil, err
			}
			*q.dst = append(*q.dst, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, err
		}
	}
	return dependsOn, depending, nil
}
