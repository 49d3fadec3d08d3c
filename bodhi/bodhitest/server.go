package bodhitest

import (
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/modkit/modkit/bodhi"
	"github.com/modkit/modkit/koji"
)

// Default users, as bodhi-server up creates them.
const (
	AdminUser    = "bodhiadmin" // in bodhiadmin (admin) and packager
	PackagerUser = "packager1"  // in packager; may submit any package
)

// Server is an in-process Bodhi. Create it with [New]; Close it when done.
type Server struct {
	URL  string
	srv  *httptest.Server
	koji *koji.Client

	// Now returns the server's clock (time.Now by default).
	Now func() time.Time
	// MandatoryDaysInTesting is the days an update must spend in testing
	// before a stable request without enough karma; 0 (the default, as
	// bodhi-server's configuration) turns the check off. Fedora uses 7.
	MandatoryDaysInTesting int

	mu       sync.Mutex
	users    map[string]*user
	cookies  map[string]string // auth_tkt value → user name
	tokens   map[string]string // OIDC access token → user name
	sessions map[string]string // session cookie → csrf token
	releases []*bodhi.Release
	updates  []*update
	builds   map[string]*build // by NVR
	comments []*bodhi.Comment
	nextID   int64

	overrides    map[string]*override // by NVR
	overrideList []*override          // in submission order
}

type user struct {
	id     int64
	name   string
	groups []string
}

func (u *user) json() *bodhi.User {
	gs := []bodhi.Group{}
	for _, g := range u.groups {
		gs = append(gs, bodhi.Group{Name: g})
	}
	return &bodhi.User{ID: u.id, Name: u.name, Groups: gs}
}

func (u *user) in(groups ...string) bool {
	for _, g := range groups {
		for _, h := range u.groups {
			if g == h {
				return true
			}
		}
	}
	return false
}

type build struct {
	bodhi.Build
	id      int64
	pkg     string // package name (modules: name:stream)
	vr      string // koji version-release, compared as RPM versions
	release *bodhi.Release
	update  *update
}

type update struct {
	bodhi.Update
	id      int64
	base    string // the server's URL
	release *bodhi.Release
	builds  []*build
	user    *user
}

// New starts a server that reads builds from kc (anonymous reads are
// enough). It has the users AdminUser and PackagerUser.
func New(kc *koji.Client) *Server {
	s := &Server{koji: kc, Now: time.Now, users: map[string]*user{}, cookies: map[string]string{},
		tokens: map[string]string{}, sessions: map[string]string{}, builds: map[string]*build{}, overrides: map[string]*override{}}
	s.AddUser(AdminUser, "bodhiadmin", "packager")
	s.AddUser(PackagerUser, "packager")
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + "/"
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// AddUser creates (or replaces) a user in groups and returns its session
// cookie, "auth_tkt=...", for bodhi.WithSessionCookie.
func (s *Server) AddUser(name string, groups ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	s.users[name] = &user{id: s.nextID, name: name, groups: groups}
	v := randHex(32)
	s.cookies[v] = name
	return "auth_tkt=" + v
}

// Cookie returns a new session cookie for an existing user.
func (s *Server) Cookie(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := randHex(32)
	s.cookies[v] = name
	return "auth_tkt=" + v
}

// AddToken makes GET /oidc/login-token accept token as an OIDC access
// token of the named user.
func (s *Server) AddToken(token, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = name
}

// SetStatus records a push as Bodhi's composer does (testing or stable):
// the status and its date, pushed, no request, unlocked, and the comment
// "This update has been pushed to <status>." of the user bodhi. It has
// the signature of composer.PushOptions.Mark without the context.
func (s *Server) SetStatus(alias, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.update(alias)
	if u == nil {
		return fmt.Errorf("bodhitest: no update %s", alias)
	}
	u.Status = status
	u.Request = nil
	u.Locked = false
	u.Pushed = status == bodhi.StatusTesting || status == bodhi.StatusStable
	now := bodhi.Time{Time: s.Now().UTC().Truncate(time.Second)}
	switch status {
	case bodhi.StatusTesting:
		u.DateTesting = now
	case bodhi.StatusStable:
		u.DateStable = now
	}
	if u.Pushed {
		u.DatePushed = now
		u.Comments = append(u.Comments, s.comment(u, nil, "This update has been pushed to "+status+".", 0, now))
	}
	return nil
}

// ForgetSessions drops every CSRF session, as when Bodhi's session
// cookies expire: writes then need a new GET /csrf.
func (s *Server) ForgetSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.sessions)
}

func randHex(n int) string {
	b := make([]byte, n/2)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// newAlias makes <id_prefix>-<year>-<first 10 hex of sha1(random)>.
func (s *Server) newAlias(prefix string) string {
	sum := sha1.Sum([]byte(randHex(32)))
	return fmt.Sprintf("%s-%d-%s", prefix, s.Now().UTC().Year(), hex.EncodeToString(sum[:])[:10])
}

// errorEntry is one {location, name, description}.
type errorEntry = bodhi.ErrorDetail

type apiError struct {
	status int
	errs   []errorEntry
}

func fail(status int, location, name, desc string) *apiError {
	return &apiError{status: status, errs: []errorEntry{{Location: location, Name: name, Description: desc}}}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, map[string]any{"status": "error", "errors": e.errs})
}

// reqCtx is one request as the handlers see it.
type reqCtx struct {
	r    *http.Request
	user *user
	body map[string]any
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rc := &reqCtx{r: r}
	if c, err := r.Cookie("auth_tkt"); err == nil {
		rc.user = s.users[s.cookies[c.Value]]
	}
	path := strings.TrimPrefix(r.URL.Path, "/")
	parts := strings.Split(strings.TrimSuffix(path, "/"), "/")
	if r.Method == http.MethodPost {
		if e := s.checkWrite(rc); e != nil {
			writeError(w, e)
			return
		}
	}
	var out any
	var e *apiError
	status := http.StatusOK
	switch {
	case r.Method == http.MethodGet && path == "csrf":
		out = s.csrf(w, r)
	case r.Method == http.MethodGet && path == "oidc/login-token":
		e = s.loginToken(w, r)
		status = http.StatusAccepted
		out = map[string]any{}
	case path == "releases/" && r.Method == http.MethodGet:
		out, e = s.listReleases(r)
	case path == "releases/" && r.Method == http.MethodPost:
		out, e = s.saveRelease(rc)
	case len(parts) == 2 && parts[0] == "releases" && r.Method == http.MethodGet:
		if rel := s.release(parts[1]); rel != nil {
			out = rel
		} else {
			e = fail(404, "body", "name", "No such release")
		}
	case path == "updates/" && r.Method == http.MethodGet:
		out, e = s.listUpdates(r)
	case path == "updates/" && r.Method == http.MethodPost:
		out, e = s.saveUpdate(rc)
	case len(parts) == 2 && parts[0] == "updates" && r.Method == http.MethodGet:
		out, e = s.getUpdate(rc, parts[1])
	case len(parts) == 3 && parts[0] == "updates" && parts[2] == "request" && r.Method == http.MethodPost:
		out, e = s.setRequest(rc, parts[1])
	case len(parts) == 3 && parts[0] == "updates" && parts[2] == "get-test-results" && r.Method == http.MethodGet:
		// Like a Bodhi whose Greenwave cannot be reached.
		if s.update(parts[1]) == nil {
			e = fail(404, "url", "id", "Invalid update id")
		} else {
			e = fail(502, "body", "request", "Greenwave is not available")
		}
	case len(parts) == 3 && parts[0] == "updates" && parts[2] == "waive-test-results" && r.Method == http.MethodPost:
		// Test gating is off, as in bodhi-server's configuration.
		if s.update(parts[1]) == nil {
			e = fail(404, "url", "id", "Invalid update id")
		} else {
			e = fail(400, "body", "request", "Test gating is not enabled")
		}
	case len(parts) == 3 && parts[0] == "updates" && parts[2] == "trigger-tests" && r.Method == http.MethodPost:
		if u := s.update(parts[1]); u == nil {
			e = fail(404, "url", "id", "Invalid update id")
		} else if u.Status != bodhi.StatusTesting {
			e = fail(400, "body", "request", "Update is not in testing status")
		} else {
			out = map[string]any{"update": u.json()}
		}
	case path == "builds/" && r.Method == http.MethodGet:
		out, e = s.listBuilds(r)
	case len(parts) == 2 && parts[0] == "builds" && r.Method == http.MethodGet:
		if b := s.builds[parts[1]]; b != nil {
			out = b.Build
		} else {
			e = fail(404, "url", "nvr", "No such build")
		}
	case path == "comments/" && r.Method == http.MethodGet:
		out, e = s.listComments(r)
	case path == "comments/" && r.Method == http.MethodPost:
		out, e = s.addComment(rc)
	case len(parts) == 2 && parts[0] == "comments" && r.Method == http.MethodGet:
		out, e = s.getComment(parts[1])
	case path == "packages/" && r.Method == http.MethodGet:
		out, e = s.listPackages(r)
	case path == "users/" && r.Method == http.MethodGet:
		out, e = s.listUsers(r)
	case len(parts) == 2 && parts[0] == "users" && r.Method == http.MethodGet:
		if u := s.users[parts[1]]; u != nil {
			out = map[string]any{"user": u.json()}
		} else {
			e = fail(404, "url", "name", "No such user")
		}
	case path == "composes/" && r.Method == http.MethodGet:
		out = map[string]any{"composes": []any{}}
	case len(parts) == 3 && parts[0] == "composes" && r.Method == http.MethodGet:
		// Bodhi answers an absent compose with its HTML 404 page.
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, "<!DOCTYPE html>\n<html><body><h1>404 <small>Not Found</small></h1><p>The resource could not be found.</p></body></html>\n")
		return
	case path == "overrides/" && r.Method == http.MethodGet:
		out, e = s.listOverrides(r)
	case path == "overrides/" && r.Method == http.MethodPost:
		out, e = s.saveOverride(rc)
	case len(parts) == 2 && parts[0] == "overrides" && r.Method == http.MethodGet:
		out, e = s.getOverride(parts[1])
	case path == "latest_builds" && r.Method == http.MethodGet:
		out = s.latestBuilds(r)
	default:
		e = fail(404, "url", "path", "The resource could not be found.")
	}
	if e != nil {
		writeError(w, e)
		return
	}
	writeJSON(w, status, out)
}

// checkWrite applies Bodhi's checks to a POST: a JSON body, a logged-in
// user, and the session's CSRF token.
func (s *Server) checkWrite(rc *reqCtx) *apiError {
	rc.body = map[string]any{}
	if err := json.NewDecoder(http.MaxBytesReader(nil, rc.r.Body, 8<<20)).Decode(&rc.body); err != nil {
		return fail(400, "body", "", "Invalid JSON: "+err.Error())
	}
	if rc.user == nil {
		return fail(403, "body", "HTTPForbidden", "Unauthorized: "+serviceName(rc.r.URL.Path)+"__POST failed permission check")
	}
	tok, _ := rc.body["csrf_token"].(string)
	sess, err := rc.r.Cookie("session")
	if tok == "" {
		return fail(400, "body", "csrf_token", "Required")
	}
	if err != nil || s.sessions[sess.Value] == "" || s.sessions[sess.Value] != tok {
		return fail(400, "body", "csrf_token", csrfMismatch)
	}
	return nil
}

// csrfMismatch is Bodhi's answer to a wrong CSRF token.
const csrfMismatch = "CSRF tokens do not match.  This happens if you have the page open for a long time. Please reload the page and try to submit your data again. Make sure to save your input somewhere before reloading. "

// serviceName is the Cornice service behind a POST path, as Bodhi's
// permission errors name it.
func serviceName(path string) string {
	switch {
	case path == "/updates/":
		return "new_update"
	case strings.HasSuffix(path, "/request"):
		return "set_request"
	case path == "/releases/":
		return "save_release"
	case path == "/comments/":
		return "new_comment"
	case path == "/overrides/":
		return "save_override"
	}
	return "unknown"
}

func (s *Server) csrf(w http.ResponseWriter, r *http.Request) any {
	if c, err := r.Cookie("session"); err == nil && s.sessions[c.Value] != "" {
		return map[string]string{"csrf_token": s.sessions[c.Value]}
	}
	sess, tok := randHex(40), randHex(40)
	s.sessions[sess] = tok
	http.SetCookie(w, &http.Cookie{Name: "session", Value: sess, Path: "/", HttpOnly: true})
	return map[string]string{"csrf_token": tok}
}

func (s *Server) loginToken(w http.ResponseWriter, r *http.Request) *apiError {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	name := s.tokens[strings.TrimSpace(tok)]
	if !ok || name == "" || s.users[name] == nil {
		return fail(401, "header", "Authorization", "Invalid or missing access token")
	}
	v := randHex(32)
	s.cookies[v] = name
	http.SetCookie(w, &http.Cookie{Name: "auth_tkt", Value: v, Path: "/", HttpOnly: true})
	return nil
}

// paging reads page and rows_per_page with Bodhi's bounds.
func paging(r *http.Request) (page, rows int, e *apiError) {
	page, rows = 1, 20
	q := r.URL.Query()
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, fail(400, "querystring", "page", v+" is less than minimum value 1")
		}
		page = n
	}
	if v := q.Get("rows_per_page"); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			return 0, 0, fail(400, "querystring", "rows_per_page", `"`+v+`" is not a number`)
		case n < 1:
			return 0, 0, fail(400, "querystring", "rows_per_page", v+" is less than minimum value 1")
		case n > bodhi.MaxRowsPerPage:
			return 0, 0, fail(400, "querystring", "rows_per_page", v+" is greater than maximum value 1000")
		}
		rows = n
	}
	return page, rows, nil
}

// pageOf slices items into Bodhi's paged answer under key.
func pageOf[T any](r *http.Request, key string, items []T) (map[string]any, *apiError) {
	page, rows, e := paging(r)
	if e != nil {
		return nil, e
	}
	total := len(items)
	pages := (total + rows - 1) / rows
	lo := min((page-1)*rows, total)
	hi := min(lo+rows, total)
	return map[string]any{key: append([]T{}, items[lo:hi]...), "page": page, "pages": pages,
		"rows_per_page": rows, "total": total}, nil
}

func (s *Server) release(name string) *bodhi.Release {
	for _, r := range s.releases {
		if r.Name == name || r.LongName == name || r.DistTag == name {
			return r
		}
	}
	return nil
}

func (s *Server) update(alias string) *update {
	for _, u := range s.updates {
		if u.Alias == alias {
			return u
		}
	}
	return nil
}

func (s *Server) listReleases(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	var out []bodhi.Release
	for _, rel := range s.releases {
		if n := q.Get("name"); n != "" && !strings.EqualFold(n, rel.Name) {
			continue
		}
		if st := q["state"]; len(st) > 0 && !contains(st, rel.State) {
			continue
		}
		if q.Get("exclude_archived") == "true" && rel.State == "archived" {
			continue
		}
		out = append(out, *rel)
	}
	return pageOf(r, "releases", out)
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func str(body map[string]any, key string) string {
	v, _ := body[key].(string)
	return v
}

func (s *Server) saveRelease(rc *reqCtx) (any, *apiError) {
	if !rc.user.in("bodhiadmin", "releng") {
		return nil, fail(403, "body", "HTTPForbidden", "Unauthorized: save_release__POST failed permission check")
	}
	b := rc.body
	var errs []errorEntry
	for _, k := range []string{"name", "long_name", "version", "id_prefix", "branch", "dist_tag", "stable_tag",
		"testing_tag", "candidate_tag", "override_tag"} {
		if str(b, k) == "" {
			errs = append(errs, errorEntry{Location: "body", Name: k, Description: "Required"})
		}
	}
	if len(errs) > 0 {
		return nil, &apiError{status: 400, errs: errs}
	}
	ctx := rc.r.Context()
	for _, k := range []string{"candidate_tag", "testing_tag", "stable_tag", "override_tag", "pending_testing_tag", "pending_stable_tag"} {
		if t := str(b, k); t != "" {
			if _, err := s.koji.GetTag(ctx, koji.Name(t), nil); err != nil {
				errs = append(errs, errorEntry{Location: "body", Name: k, Description: "Invalid tag: " + t})
			}
		}
	}
	if len(errs) > 0 {
		return nil, &apiError{status: 400, errs: errs}
	}
	rel := &bodhi.Release{Name: str(b, "name"), LongName: str(b, "long_name"), Version: str(b, "version"),
		IDPrefix: str(b, "id_prefix"), Branch: str(b, "branch"), DistTag: str(b, "dist_tag"),
		StableTag: str(b, "stable_tag"), TestingTag: str(b, "testing_tag"), CandidateTag: str(b, "candidate_tag"),
		PendingSigningTag: str(b, "pending_signing_tag"), PendingTestingTag: str(b, "pending_testing_tag"),
		PendingStableTag: str(b, "pending_stable_tag"), OverrideTag: str(b, "override_tag"),
		State: orDefault(str(b, "state"), "disabled"), MailTemplate: orDefault(str(b, "mail_template"), "fedora_errata_template"),
		PackageManager: orDefault(str(b, "package_manager"), "unspecified"), ComposedByBodhi: true}
	if v, ok := b["composed_by_bodhi"].(bool); ok {
		rel.ComposedByBodhi = v
	}
	if edited := str(b, "edited"); edited != "" {
		old := s.release(edited)
		if old == nil {
			return nil, fail(400, "body", "edited", "Invalid release: "+edited)
		}
		*old = *rel
		return old, nil
	}
	if s.release(rel.Name) != nil {
		return nil, fail(409, "body", "name", "Release "+rel.Name+" already exists")
	}
	s.releases = append(s.releases, rel)
	return rel, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var _ = context.Background
