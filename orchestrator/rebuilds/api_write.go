package rebuilds

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/modkit/modkit/orchestrator/mbsapi"
)

// WriteOptions enable the API's writes, with the authentication of
// `modkit serve`'s MBS API:
//
//   - PATCH /api/1/events/<id> with {"action": "cancel"} cancels an event
//     ([Service.Cancel]); it needs a manual rebuilder or an admin, and only
//     the event's requester may cancel it unless admin. It answers the
//     canceled event's JSON.
//   - POST /api/1/builds/ with a [ManualRequest] triggers a manual rebuild
//     ([Service.Trigger]) for a manual rebuilder or an admin, recorded with
//     the caller as requester. It answers the event's JSON, after the
//     event was handled (its rebuilds decided and submitted).
//
// Errors are Freshmaker's {"status", "error", "message"}: 401 without
// valid credentials, 403 without the role, 404 for a missing event, 400
// for a bad request.
type WriteOptions struct {
	Service *Service
	// Auth identifies callers; NoAuth makes everyone "anonymous" in group
	// packager (development), as in the MBS API.
	Auth   mbsapi.Authenticator
	NoAuth bool
	// ManualUsers and ManualGroups may trigger manual rebuilds and cancel
	// their own events (Freshmaker's manual_rebuilder role).
	ManualUsers, ManualGroups []string
	// AdminGroups may do both and cancel any event (Freshmaker's admin
	// role); default "admin".
	AdminGroups []string
}

func (o *WriteOptions) admins() []string {
	if len(o.AdminGroups) == 0 {
		return []string{"admin"}
	}
	return o.AdminGroups
}

// maxRequest bounds a write request's body.
const maxRequest = 1 << 20

func (a *api) write(w http.ResponseWriter, r *http.Request, rest string) {
	o := a.opts.Write
	parts := strings.Split(rest, "/")
	switch {
	case r.Method == http.MethodPatch && len(parts) == 2 && parts[0] == "events":
	case r.Method == http.MethodPost && rest == "builds":
	default:
		w.Header().Set("Allow", "GET, HEAD")
		if parts[0] == "events" && len(parts) == 2 {
			w.Header().Set("Allow", "GET, HEAD, PATCH")
		} else if rest == "builds" {
			w.Header().Set("Allow", "GET, HEAD, POST")
		}
		apiError(w, http.StatusMethodNotAllowed, "Method %s is not allowed here", r.Method)
		return
	}
	var user *mbsapi.User
	if o.NoAuth {
		user = &mbsapi.User{Name: "anonymous", Groups: []string{"packager"}}
	} else {
		var err error
		if o.Auth == nil {
			apiError(w, http.StatusUnauthorized, "Authentication is not configured on this server")
			return
		}
		if user, err = o.Auth.Authenticate(r); err != nil {
			apiError(w, http.StatusUnauthorized, "%v", err)
			return
		}
		if user == nil {
			apiError(w, http.StatusUnauthorized, "No 'authorization' header found.")
			return
		}
	}
	admin := user.InGroup(o.admins())
	if !admin && !user.InGroup(o.ManualGroups) && !slices.Contains(o.ManualUsers, user.Name) {
		apiError(w, http.StatusForbidden, "User %s is not in role admin or manual_rebuilder (groups %s, or users %s)",
			user.Name, strings.Join(append(slices.Clone(o.admins()), o.ManualGroups...), ", "), strings.Join(o.ManualUsers, ", "))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequest+1))
	if err != nil {
		apiError(w, http.StatusBadRequest, "Reading the request failed: %v", err)
		return
	}
	if len(body) > maxRequest {
		apiError(w, http.StatusRequestEntityTooLarge, "The request is larger than %d bytes", maxRequest)
		return
	}
	ctx := r.Context()
	if r.Method == http.MethodPatch {
		id, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil || id <= 0 {
			apiError(w, http.StatusBadRequest, "The id %q is not a positive integer", parts[1])
			return
		}
		var req map[string]any
		if err := json.Unmarshal(body, &req); err != nil {
			apiError(w, http.StatusBadRequest, "The request is not a JSON object: %v", err)
			return
		}
		action, ok := req["action"]
		if !ok {
			apiError(w, http.StatusBadRequest, "Missing action in request. Don't know what to do with the event.")
			return
		}
		if action != "cancel" {
			apiError(w, http.StatusBadRequest, "Unsupported action requested: %v (only \"cancel\" is supported).", action)
			return
		}
		ev, err := o.Service.Cancel(ctx, id, user.Name, admin)
		switch {
		case errors.Is(err, ErrNotFound):
			apiError(w, http.StatusNotFound, "No such event found.")
			return
		case errors.Is(err, ErrForbidden):
			apiError(w, http.StatusForbidden, "You must be an admin to cancel someone else's event.")
			return
		case err != nil && ev == nil:
			apiError(w, http.StatusInternalServerError, "%v", err)
			return
		case err != nil:
			// Recorded canceled; the orchestrator's cancel is retried
			// on the next start.
			a.opts.Write.Service.log.Error("rebuilds: canceling module builds failed", "event", id, "error", err)
		}
		a.writeEvent(w, r, ev.ID, http.StatusOK)
		return
	}
	req, err := DecodeManualRequest(body)
	if err != nil {
		apiError(w, http.StatusBadRequest, "%v", err)
		return
	}
	ev, err := o.Service.Trigger(ctx, req, user.Name)
	var re *RequestError
	switch {
	case errors.As(err, &re):
		apiError(w, http.StatusBadRequest, "%v", err)
		return
	case err != nil && ev == nil:
		apiError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	// An error handling a recorded event is in its state and reason.
	a.writeEvent(w, r, ev.ID, http.StatusOK)
}

// writeEvent answers an event's JSON with its dependencies between events
// (depends_on_events, depending_events).
func (a *api) writeEvent(w http.ResponseWriter, r *http.Request, id int64, status int) {
	ctx := r.Context()
	ev, err := a.st.Event(ctx, id)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	bs, _, err := a.st.Builds(ctx, &BuildFilter{EventID: id})
	if err != nil {
		apiError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	j := EventJSON(ev, bs)
	if err := addLinks(r, a.st, j, id); err != nil {
		apiError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	writeJSON(w, status, j)
}

// addLinks adds Freshmaker's depends_on_events and depending_events.
func addLinks(r *http.Request, st Store, j map[string]any, id int64) error {
	ls, ok := st.(linkStore)
	if !ok {
		return nil
	}
	dep, depending, err := ls.links(r.Context(), id)
	if err != nil {
		return err
	}
	j["depends_on_events"], j["depending_events"] = idsOrEmpty(dep), idsOrEmpty(depending)
	return nil
}

func idsOrEmpty(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}
