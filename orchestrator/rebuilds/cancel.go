package rebuilds

import (
	"context"
	"errors"
	"fmt"

	"github.com/modkit/modkit/orchestrator"
)

// ErrForbidden is returned by [Service.Cancel] for a user who may not
// cancel the event.
var ErrForbidden = errors.New("forbidden")

// Cancel cancels event id on user's request, as Freshmaker's PATCH
// {"action": "cancel"} does: the event becomes canceled; its planned
// rebuilds are canceled before they reach the orchestrator ("Build
// canceled before running on external build system."), and its running
// ones are canceled in the orchestrator ([orchestrator.Service.Cancel])
// and recorded canceled. No further rebuild is decided for the event.
// Only the event's requester may cancel it unless admin.
//
// The states are recorded first and the orchestrator's builds canceled
// after, so a service stopped in between cancels them on its next start
// ([Service.Resume] calls [Service.FinishCancels]). Canceling a finished
// or canceled event again changes nothing and succeeds.
func (s *Service) Cancel(ctx context.Context, id int64, user string, admin bool) (*Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ev, err := s.st.Event(ctx, id)
	if err != nil {
		return nil, err
	}
	if ev.Requester != user && !admin {
		return nil, fmt.Errorf("%w: you must be an admin to cancel someone else's event (event %d was requested by %s)", ErrForbidden, id, ev.Requester)
	}
	if ev.State != EventCanceled {
		ev.State, ev.StateReason, ev.TimeDone = EventCanceled, fmt.Sprintf("Event id %d requested for canceling by user %s", id, user), s.now()
		// The event first, so no build of it is submitted from now on.
		if err := s.st.UpdateEvent(ctx, ev); err != nil {
			return nil, err
		}
	}
	bs, _, err := s.st.Builds(ctx, &BuildFilter{EventID: id, States: []BuildState{BuildPlanned, BuildBuilding}})
	if err != nil {
		return nil, err
	}
	for _, b := range bs {
		switch {
		case b.State == BuildPlanned:
			b.StateReason = "Build canceled before running on external build system."
		case b.Type == ArtifactImage:
			b.StateReason = fmt.Sprintf("Canceled by %s (image build task %d canceled).", user, b.BuildID)
		default:
			b.StateReason = fmt.Sprintf("Canceled by %s (module build %d canceled in the orchestrator).", user, b.BuildID)
		}
		b.State, b.TimeCompleted = BuildCanceled, s.now()
		if err := s.st.UpdateBuild(ctx, b); err != nil {
			return nil, err
		}
	}
	s.log.Info("rebuilds: event canceled", "event", id, "by", user, "builds", len(bs))
	return ev, s.finishCancels(ctx, id, user)
}

// FinishCancels cancels in the orchestrator the module builds of
// canceled events that are still running (a service stopped between
// recording a cancel and performing it).
func (s *Service) FinishCancels(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	evs, _, err := s.st.Events(ctx, &EventFilter{States: []EventState{EventCanceled}})
	if err != nil {
		return err
	}
	var errs []error
	for _, ev := range evs {
		errs = append(errs, s.finishCancels(ctx, ev.ID, s.opts.Owner))
	}
	return errors.Join(errs...)
}

func (s *Service) finishCancels(ctx context.Context, eventID int64, user string) error {
	bs, _, err := s.st.Builds(ctx, &BuildFilter{EventID: eventID, States: []BuildState{BuildCanceled}})
	if err != nil {
		return err
	}
	var errs []error
	for _, b := range bs {
		if b.BuildID == 0 {
			continue
		}
		if b.Type == ArtifactImage {
			// BuildID is the image builder's id (a koji task), not a
			// module build.
			if err := s.cancelImage(ctx, b); err != nil {
				errs = append(errs, fmt.Errorf("rebuilds: cancel image rebuild %d of event %d: %w", b.ID, eventID, err))
			}
			continue
		}
		mb, err := s.orch.Get(ctx, b.BuildID)
		if err != nil {
			if !errors.Is(err, orchestrator.ErrNotFound) {
				errs = append(errs, err)
			}
			continue
		}
		if !mb.State.Active() {
			continue
		}
		if _, err := s.orch.Cancel(ctx, b.BuildID, user); err != nil && !errors.Is(err, orchestrator.ErrInvalid) {
			errs = append(errs, fmt.Errorf("rebuilds: cancel module build %d of event %d: %w", b.BuildID, eventID, err))
		}
	}
	return errors.Join(errs...)
}

// canceled reports whether event id was canceled: nothing more is
// decided or submitted for it.
func (s *Service) canceled(ctx context.Context, id int64) (bool, error) {
	ev, err := s.st.Event(ctx, id)
	if err != nil {
		return false, err
	}
	return ev.State == EventCanceled, nil
}

// ImageBuildCanceler is an optional interface of an [ImageBuilder]: it
// stops a submitted build (koji's cancelTask). Without it a canceled
// event's running image builds are left to finish; their results are
// ignored.
type ImageBuildCanceler interface {
	CancelContainerBuild(ctx context.Context, id int64) error
}

// cancelImage stops the running build of canceled image rebuild b, when
// the builder can.
func (s *Service) cancelImage(ctx context.Context, b *ArtifactBuild) error {
	io := s.opts.Images
	if io == nil || io.Builder == nil {
		return nil
	}
	c, ok := io.Builder.(ImageBuildCanceler)
	if !ok {
		return nil
	}
	st, err := io.Builder.ContainerBuild(ctx, b.BuildID)
	if err != nil {
		return err
	}
	if st.Finished {
		return nil
	}
	return c.CancelContainerBuild(ctx, b.BuildID)
}
