package kojitest

import (
	"slices"
	"time"
)

// AddUser creates a user with a password (empty: no password login) and
// permissions, and returns its id.
func (h *Hub) AddUser(name, password string, perms ...string) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	u := &user{id: h.st.nextID("user"), name: name, password: password, perms: map[string]bool{}}
	for _, p := range perms {
		u.perms[p] = true
		if !slices.Contains(h.st.permNames, p) {
			h.st.permNames = append(h.st.permNames, p)
		}
	}
	h.st.users[u.id] = u
	return u.id
}

// ExpireSessions marks every open session as older than the hub's
// SessionRenewalTimeout: their next call fails with AuthExpired until they
// renew.
func (h *Hub) ExpireSessions() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.st.sessions {
		s.expired = true
	}
}

// SetOffline makes every call fail with ServerOffline (fault 1014) while on.
func (h *Hub) SetOffline(on bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.st.offline = on
}

// Calls returns the requests the hub answered so far, in order.
func (h *Hub) Calls() []Call {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.st.calls)
}

// Uploaded returns the content of an uploaded file and whether it exists.
func (h *Hub) Uploaded(dir, name string) ([]byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	b, ok := h.st.uploads[dir+"/"+name]
	return slices.Clone(b), ok
}

// LastEvent returns the id of the newest event.
func (h *Hub) LastEvent() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.st.events[len(h.st.events)-1].id
}

func epochTime(sec int64) time.Time { return time.Unix(sec, 0).UTC() }
