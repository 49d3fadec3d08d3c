package odcs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/modkit/modkit/orchestrator/mbsapi"
)

// APIOptions configure [NewHandler].
type APIOptions struct {
	// Auth identifies callers; nil with NoAuth makes everyone
	// "anonymous" in AllowedGroups (development).
	Auth   mbsapi.Authenticator
	NoAuth bool
	// AllowedGroups may submit and renew composes (ODCS's
	// allowed_clients; default packager); AdminGroups may delete any
	// compose (default admin).
	AllowedGroups, AdminGroups []string
	// FilesPrefix, when set, serves the target directory's files (the
	// composes and their .repo files) under this URL path (for example
	// "/composes/"), read only.
	FilesPrefix string
	Version     string
}

// NewHandler serves ODCS's REST API under /api/1/: composes/ (GET list
// with filters owner, source_type, source, state, compose_type, label,
// pungi_compose_id, order_by, page and per_page; POST submit),
// composes/<id> (GET, PATCH renew, DELETE) and about/. Errors are
// {"status", "error", "message"}. Reading is anonymous.
func NewHandler(s *Service, opts *APIOptions) http.Handler {
	o := APIOptions{}
	if opts != nil {
		o = *opts
	}
	if len(o.AllowedGroups) == 0 {
		o.AllowedGroups = []string{"packager"}
	}
	if len(o.AdminGroups) == 0 {
		o.AdminGroups = []string{"admin"}
	}
	h := &api{s: s, o: o}
	if o.FilesPrefix != "" {
		h.files = http.StripPrefix(strings.TrimSuffix(o.FilesPrefix, "/"), http.FileServer(noDotDirs{http.Dir(s.opts.TargetDir)}))
	}
	return h
}

// noDotDirs hides the work directories (".work-…") of the target.
type noDotDirs struct{ fs http.FileSystem }

func (n noDotDirs) Open(name string) (http.File, error) {
	for _, p := range strings.Split(name, "/") {
		if strings.HasPrefix(p, ".") {
			return nil, fs.ErrNotExist
		}
	}
	return n.fs.Open(name)
}

type api struct {
	s     *Service
	o     APIOptions
	files http.Handler
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func apiError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]any{"status": status, "error": http.StatusText(status), "message": fmt.Sprintf(format, args...)})
}

func (a *api) fail(w http.ResponseWriter, err error) {
	var re *RequestError
	switch {
	case errors.As(err, &re):
		apiError(w, http.StatusBadRequest, "%s", re.Error())
	case errors.Is(err, ErrNotFound):
		apiError(w, http.StatusNotFound, "%s", err.Error())
	case errors.Is(err, ErrForbidden):
		apiError(w, http.StatusForbidden, "%s", strings.TrimPrefix(err.Error(), "forbidden: "))
	default:
		apiError(w, http.StatusInternalServerError, "%s", err.Error())
	}
}

// user authenticates the caller; it answers 401 and returns nil when the
// request carries no or bad credentials.
func (a *api) user(w http.ResponseWriter, r *http.Request) *mbsapi.User {
	if a.o.NoAuth {
		return &mbsapi.User{Name: "anonymous", Groups: a.o.AllowedGroups}
	}
	if a.o.Auth == nil {
		apiError(w, http.StatusUnauthorized, "No authentication is configured on this server")
		return nil
	}
	u, err := a.o.Auth.Authenticate(r)
	if err != nil {
		apiError(w, http.StatusUnauthorized, "%v", err)
		return nil
	}
	if u == nil {
		apiError(w, http.StatusUnauthorized, "Authentication is required: send \"Authorization: Bearer TOKEN\"")
		return nil
	}
	return u
}

func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if a.files != nil && strings.HasPrefix(r.URL.Path, strings.TrimSuffix(a.o.FilesPrefix, "/")+"/") {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			apiError(w, http.StatusMethodNotAllowed, "Method %s is not allowed here", r.Method)
			return
		}
		a.files.ServeHTTP(w, r)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/1/")
	if !ok {
		apiError(w, http.StatusNotFound, "No such resource %q: the ODCS API is under /api/1/", r.URL.Path)
		return
	}
	parts := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	switch {
	case parts[0] == "about" && len(parts) == 1:
		def, mx := a.s.Limits()
		writeJSON(w, http.StatusOK, map[string]any{"version": a.o.Version, "auth_backend": a.authBackend(),
			"allowed_clients": map[string]any{"groups": a.o.AllowedGroups}, "seconds_to_live": def, "max_seconds_to_live": mx,
			"source_types": []string{"tag", "module", "repo", "build"}, "arches": a.s.opts.Arches})
	case parts[0] == "composes" && len(parts) == 1:
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			a.list(w, r)
		case http.MethodPost:
			a.submit(w, r)
		default:
			w.Header().Set("Allow", "GET, HEAD, POST")
			apiError(w, http.StatusMethodNotAllowed, "Method %s is not allowed here", r.Method)
		}
	case parts[0] == "composes" && len(parts) == 2:
		id, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil || id <= 0 {
			apiError(w, http.StatusBadRequest, "The compose id %q is not a positive integer", parts[1])
			return
		}
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			c, err := a.s.Get(r.Context(), id)
			if err != nil {
				if errors.Is(err, ErrNotFound) {
					apiError(w, http.StatusNotFound, "No such compose found.")
					return
				}
				a.fail(w, err)
				return
			}
			writeJSON(w, http.StatusOK, c)
		case http.MethodPatch:
			a.renew(w, r, id)
		case http.MethodDelete:
			a.delete(w, r, id)
		default:
			w.Header().Set("Allow", "GET, HEAD, PATCH, DELETE")
			apiError(w, http.StatusMethodNotAllowed, "Method %s is not allowed here", r.Method)
		}
	default:
		apiError(w, http.StatusNotFound, "No such resource %q", r.URL.Path)
	}
}

func (a *api) authBackend() string {
	if a.o.NoAuth {
		return "noauth"
	}
	if n, ok := a.o.Auth.(mbsapi.AuthMethodNamer); ok {
		return n.AuthMethod()
	}
	return "custom"
}

var listParams = []string{"owner", "source_type", "source", "state", "compose_type", "label", "pungi_compose_id", "order_by", "page", "per_page"}

func (a *api) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var bad []string
	for k := range q {
		if !slices.Contains(listParams, k) {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		apiError(w, http.StatusBadRequest, "Unknown query parameter(s) %s (known: %s)", strings.Join(bad, ", "), strings.Join(listParams, ", "))
		return
	}
	f := &Filter{Owner: q.Get("owner"), Source: q.Get("source"), ComposeType: q.Get("compose_type"), Label: q.Get("label"),
		PungiComposeID: q.Get("pungi_compose_id"), OrderBy: q.Get("order_by")}
	var problems []string
	if v := q.Get("source_type"); v != "" {
		t, err := ParseSourceType(v)
		if err != nil {
			problems = append(problems, "source_type: "+err.Error())
		}
		f.SourceType = t
	}
	for _, v := range q["state"] {
		st, err := ParseState(v)
		if err != nil {
			problems = append(problems, "state: "+err.Error())
		}
		f.States = append(f.States, st)
	}
	if o := strings.TrimPrefix(f.OrderBy, "-"); o != "" && !slices.Contains(OrderColumns, o) {
		problems = append(problems, fmt.Sprintf("An invalid order_by key was supplied, allowed keys are: %s", strings.Join(OrderColumns, ", ")))
	}
	page, perPage := 1, 10
	for _, p := range []struct {
		name string
		dst  *int
		max  int
	}{{"page", &page, 1 << 30}, {"per_page", &perPage, 100}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				problems = append(problems, fmt.Sprintf("%s: %q is not a positive integer", p.name, v))
				continue
			}
			*p.dst = min(n, p.max)
		}
	}
	if len(problems) > 0 {
		apiError(w, http.StatusBadRequest, "%s", strings.Join(problems, "; "))
		return
	}
	f.Limit, f.Offset = perPage, (page-1)*perPage
	cs, total, err := a.s.List(r.Context(), f)
	if err != nil {
		a.fail(w, err)
		return
	}
	if cs == nil {
		cs = []*Compose{}
	}
	pages := (total + perPage - 1) / perPage
	link := func(p int) any {
		if p < 1 || p > max(pages, 1) {
			return nil
		}
		v := url.Values{}
		for k, vs := range q {
			if k != "page" && k != "per_page" {
				v[k] = vs
			}
		}
		v.Set("page", strconv.Itoa(p))
		v.Set("per_page", strconv.Itoa(perPage))
		return requestBase(r) + "/api/1/composes/?" + v.Encode()
	}
	meta := map[string]any{"page": page, "pages": pages, "per_page": perPage, "total": total,
		"first": link(1), "last": link(max(pages, 1)), "prev": nil, "next": nil}
	if page > 1 {
		meta["prev"] = link(page - 1)
	}
	if page < pages {
		meta["next"] = link(page + 1)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": cs, "meta": meta})
}

func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (a *api) allowed(w http.ResponseWriter, u *mbsapi.User) bool {
	if u.InGroup(a.o.AllowedGroups) || u.InGroup(a.o.AdminGroups) {
		return true
	}
	apiError(w, http.StatusForbidden, "User %s is not in role allowed_clients (groups %s).", u.Name, strings.Join(a.o.AllowedGroups, ", "))
	return false
}

func (a *api) submit(w http.ResponseWriter, r *http.Request) {
	u := a.user(w, r)
	if u == nil || !a.allowed(w, u) {
		return
	}
	req, err := DecodeRequest(r.Body)
	if err != nil {
		a.fail(w, err)
		return
	}
	c, err := a.s.Submit(r.Context(), u.Name, req)
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (a *api) renew(w http.ResponseWriter, r *http.Request, id int64) {
	u := a.user(w, r)
	if u == nil || !a.allowed(w, u) {
		return
	}
	req, err := DecodeRenewRequest(r.Body)
	if err != nil {
		a.fail(w, err)
		return
	}
	c, err := a.s.Renew(r.Context(), id, u.Name, req)
	if err != nil {
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (a *api) delete(w http.ResponseWriter, r *http.Request, id int64) {
	u := a.user(w, r)
	if u == nil {
		return
	}
	msg, err := a.s.Delete(r.Context(), id, u.Name, u.InGroup(a.o.AdminGroups))
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			apiError(w, http.StatusNotFound, "No such compose found.")
			return
		}
		a.fail(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"status": http.StatusAccepted, "message": msg})
}
