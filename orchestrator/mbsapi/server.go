package mbsapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/modkit/modkit/orchestrator"
)

// Prefix is the path prefix of the API.
const Prefix = "/module-build-service/"

// Options configure the handler; nil means defaults.
type Options struct {
	// Auth identifies callers. Nil with NoAuth false refuses every
	// request that needs a user.
	Auth Authenticator
	// NoAuth is the development mode: every caller is "anonymous" in the
	// packager group, and a submit may name its owner.
	NoAuth bool
	// AllowedGroups may submit; default ["packager"].
	AllowedGroups []string
	// AdminGroups may cancel anyone's build; default ["admin"].
	AdminGroups []string
	// SCMAllow lists the allowed scmurl prefixes, compared as normalised
	// URLs on path-segment boundaries ([orchestrator.SCMAllowed]) (MBS
	// SCMURLS). An scmurl outside it is refused with 403 unless
	// AllowCustomSCMURLs; so with neither, every scmurl is refused, as in
	// MBS.
	SCMAllow []string
	// AllowCustomSCMURLs admits any scmurl (MBS ALLOW_CUSTOM_SCMURLS): the
	// server then reads whatever repository a submitter names, local
	// file:// paths of the server included.
	AllowCustomSCMURLs bool
	// AllowYAML allows submitting a modulemd directly instead of an scmurl
	// (MBS's YAML_SUBMIT_ALLOWED).
	AllowYAML bool
	// AllowScratch allows scratch builds.
	AllowScratch bool
	// NoRebuildStrategyOverride refuses a rebuild_strategy other than the
	// service default.
	NoRebuildStrategyOverride bool
	// DefaultRebuildStrategy is the service's default, shown by
	// rebuild-strategies; default "changed-and-after".
	DefaultRebuildStrategy string
	// BaseURL is the public URL of the server, for state_url and page
	// links; empty = derived from each request.
	BaseURL string
	// BaseModules are the base module names, listed in
	// base_module_buildrequires; default ["platform"].
	BaseModules []string
	// Version is reported by about/.
	Version string
	// MaxBodyBytes bounds a submit body; default 16 MiB.
	MaxBodyBytes int64
	// Logger receives request errors; nil = slog.Default().
	Logger *slog.Logger
}

// Handler serves the MBS-compatible API.
type Handler struct {
	svc  *orchestrator.Service
	opts Options
}

// NewHandler returns the API handler over svc. Mount it at the server root:
// it serves paths under [Prefix].
func NewHandler(svc *orchestrator.Service, opts *Options) *Handler {
	h := &Handler{svc: svc}
	if opts != nil {
		h.opts = *opts
	}
	if len(h.opts.AllowedGroups) == 0 {
		h.opts.AllowedGroups = []string{"packager"}
	}
	if len(h.opts.AdminGroups) == 0 {
		h.opts.AdminGroups = []string{"admin"}
	}
	if h.opts.DefaultRebuildStrategy == "" {
		h.opts.DefaultRebuildStrategy = orchestrator.RebuildChangedAndAfter
	}
	if len(h.opts.BaseModules) == 0 {
		h.opts.BaseModules = []string{"platform"}
	}
	if h.opts.Version == "" {
		h.opts.Version = "modkit"
	}
	if h.opts.MaxBodyBytes <= 0 {
		h.opts.MaxBodyBytes = 16 << 20
	}
	if h.opts.Logger == nil {
		h.opts.Logger = slog.Default()
	}
	return h
}

// apiError is an error answered with MBS's error JSON.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) error {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

// writeJSON writes v with keys sorted (maps) and a trailing newline.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		enc.Encode(map[string]any{"error": http.StatusText(status), "message": err.Error(), "status": status})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// writeError maps err to MBS's error JSON and status.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	msg := err.Error()
	var ae *apiError
	var re *orchestrator.RequestError
	switch {
	case errors.As(err, &ae):
		status = ae.status
	case errors.As(err, &re):
		msg = re.Msg
		status = statusOf(re.Err)
	default:
		status = statusOf(err)
	}
	if status == http.StatusInternalServerError {
		h.opts.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, status, map[string]any{"error": http.StatusText(status), "message": msg, "status": status})
}

func statusOf(err error) int {
	switch {
	case errors.Is(err, orchestrator.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, orchestrator.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, orchestrator.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, orchestrator.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, orchestrator.ErrUnprocessable):
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h.serve(w, r); err != nil {
		h.writeError(w, r, err)
	}
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) error {
	rest, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok {
		return errorf(http.StatusNotFound, "The requested URL was not found on the server.")
	}
	parts := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	v, err := strconv.Atoi(parts[0])
	if err != nil || (v != 1 && v != 2) {
		return errorf(http.StatusNotFound, "The requested API version is not available")
	}
	parts = parts[1:]
	if len(parts) == 0 {
		return errorf(http.StatusNotFound, "The requested URL was not found on the server.")
	}
	var id int64
	if len(parts) >= 2 {
		id, err = strconv.ParseInt(parts[1], 10, 64)
		if err != nil || id <= 0 {
			return errorf(http.StatusNotFound, "The requested URL was not found on the server.")
		}
	}
	route := parts[0]
	switch {
	case route == "module-builds" && len(parts) == 1:
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			return h.listModules(w, r, v)
		case http.MethodPost:
			return h.submit(w, r, v)
		}
		return methodNotAllowed(w, "GET, HEAD, POST")
	case route == "module-builds" && len(parts) == 2:
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			return h.getModule(w, r, v, id)
		case http.MethodPatch:
			return h.cancel(w, r, v, id)
		}
		return methodNotAllowed(w, "GET, HEAD, PATCH")
	case route == "module-builds" && len(parts) == 3 && parts[2] == "messages":
		return getOnly(w, r, func() error {
			return h.messages(w, r, v, &orchestrator.LogMessageFilter{ModuleID: id}, "module", id)
		})
	case route == "component-builds" && len(parts) == 1:
		return getOnly(w, r, func() error { return h.listComponents(w, r, v) })
	case route == "component-builds" && len(parts) == 2:
		return getOnly(w, r, func() error { return h.getComponent(w, r, v, id) })
	case route == "component-builds" && len(parts) == 3 && parts[2] == "messages":
		return getOnly(w, r, func() error {
			return h.messages(w, r, v, &orchestrator.LogMessageFilter{ComponentID: id}, "component", id)
		})
	case route == "about" && len(parts) == 1:
		return getOnly(w, r, func() error { return h.about(w) })
	case route == "rebuild-strategies" && len(parts) == 1:
		return getOnly(w, r, func() error { return h.rebuildStrategies(w) })
	}
	return errorf(http.StatusNotFound, "The requested URL was not found on the server.")
}

// getOnly serves a GET or HEAD with serve (net/http drops the body of a
// HEAD reply) and answers any other method with 405.
func getOnly(w http.ResponseWriter, r *http.Request, serve func() error) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return methodNotAllowed(w, "GET, HEAD")
	}
	return serve()
}

// about serves GET about/.
func (h *Handler) about(w http.ResponseWriter) error {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	writeJSON(w, http.StatusOK, map[string]any{"api_version": 2, "auth_method": h.authMethod(), "version": h.opts.Version})
	return nil
}

// authMethod names the authentication in use: "none" (NoAuth), the
// Authenticator's own name when it has one ([AuthMethodNamer]; "tokens" for
// [Tokens]), "custom" for another Authenticator, and "unconfigured" when
// there is none (every request that needs a user is refused).
func (h *Handler) authMethod() string {
	switch {
	case h.opts.NoAuth:
		return "none"
	case h.opts.Auth == nil:
		return "unconfigured"
	}
	if n, ok := h.opts.Auth.(AuthMethodNamer); ok {
		return n.AuthMethod()
	}
	return "custom"
}

// rebuildStrategies serves GET rebuild-strategies/.
func (h *Handler) rebuildStrategies(w http.ResponseWriter) error {
	var items []any
	for _, s := range orchestrator.RebuildStrategies {
		def := s.Name == h.opts.DefaultRebuildStrategy
		items = append(items, map[string]any{
			"name": s.Name, "description": s.Description, "default": def,
			"allowed": def || !h.opts.NoRebuildStrategyOverride,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func methodNotAllowed(w http.ResponseWriter, allow string) error {
	w.Header().Set("Allow", allow)
	return errorf(http.StatusMethodNotAllowed, "The method is not allowed for the requested URL.")
}

// baseURL is the scheme://host of the server.
func (h *Handler) baseURL(r *http.Request) string {
	if h.opts.BaseURL != "" {
		return strings.TrimRight(h.opts.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// user authenticates the caller; it fails with 401 when there is no valid
// user.
func (h *Handler) user(r *http.Request) (*User, error) {
	if h.opts.NoAuth {
		return &User{Name: "anonymous", Groups: []string{"packager"}}, nil
	}
	if h.opts.Auth == nil {
		return nil, errorf(http.StatusUnauthorized, "Authentication is not configured on this server")
	}
	u, err := h.opts.Auth.Authenticate(r)
	if err != nil {
		return nil, errorf(http.StatusUnauthorized, "%v", err)
	}
	if u == nil {
		return nil, errorf(http.StatusUnauthorized, "No 'authorization' header found.")
	}
	return u, nil
}

// boolArg reads a flag such as verbose=1 or short=true.
func boolArg(q url.Values, key string) bool {
	v := strings.ToLower(q.Get(key))
	return v == "1" || v == "true" || v == "yes"
}

// page reads page and per_page.
func page(q url.Values) (pg, per int, err error) {
	pg, per = 1, 10
	if v := q.Get("page"); v != "" {
		if pg, err = strconv.Atoi(v); err != nil || pg < 1 {
			return 0, 0, errorf(http.StatusBadRequest, "The page parameter must be a positive integer, not %q", v)
		}
	}
	if v := q.Get("per_page"); v != "" {
		if per, err = strconv.Atoi(v); err != nil || per < 1 || per > 1000 {
			return 0, 0, errorf(http.StatusBadRequest, "The per_page parameter must be an integer from 1 to 1000, not %q", v)
		}
	}
	return pg, per, nil
}

// meta builds MBS's pagination block with absolute links that keep the
// other query arguments.
func (h *Handler) meta(r *http.Request, pg, per, total int) map[string]any {
	pages := (total + per - 1) / per
	link := func(p int) any {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		q.Set("per_page", strconv.Itoa(per))
		return h.baseURL(r) + r.URL.Path + "?" + q.Encode()
	}
	var prev, next any
	if pg > 1 {
		prev = link(pg - 1)
	}
	if pg < pages {
		next = link(pg + 1)
	}
	return map[string]any{
		"page": pg, "pages": pages, "per_page": per, "total": total,
		"first": link(1), "last": link(max(pages, 1)), "prev": prev, "next": next,
	}
}

// orderArgs reads order_by / order_desc_by.
func orderArgs(q url.Values, allowed []string) ([]orchestrator.Order, error) {
	asc, desc := q["order_by"], q["order_desc_by"]
	if len(asc) > 0 && len(desc) > 0 {
		return nil, errorf(http.StatusBadRequest, "You may not specify both order_by and order_desc_by")
	}
	var out []orchestrator.Order
	for _, f := range asc {
		if !slices.Contains(allowed, f) {
			return nil, errorf(http.StatusBadRequest, "An invalid ordering key of %q was supplied", f)
		}
		out = append(out, orchestrator.Order{Field: f})
	}
	for _, f := range desc {
		if !slices.Contains(allowed, f) {
			return nil, errorf(http.StatusBadRequest, "An invalid ordering key of %q was supplied", f)
		}
		out = append(out, orchestrator.Order{Field: f, Desc: true})
	}
	return out, nil
}
