// Package pdctest is an in-process PDC server for tests of code that uses
// package pdc: the modules/ endpoint with its filters, DRF's page and
// bare-list answers, token authentication for writes and DRF's error
// bodies.
package pdctest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/modkit/modkit/pdc"
)

// Server is an in-process PDC. Its API root is URL.
type Server struct {
	URL string
	srv *httptest.Server

	mu      sync.Mutex
	tokens  map[string]string // token → user
	modules map[string]*pdc.Module
}

// New starts a server; AddToken makes a token valid for writes.
func New() *Server {
	s := &Server{tokens: map[string]string{}, modules: map[string]*pdc.Module{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + "/rest_api/v1/"
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// AddToken makes token authenticate user.
func (s *Server) AddToken(token, user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = user
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func detail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"detail": msg})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.URL.Path == "/rest_api/v1/unreleasedvariants/" && r.Method == http.MethodGet {
		s.listVariants(w, r)
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/rest_api/v1/modules/")
	if !ok {
		detail(w, 404, "Not found.")
		return
	}
	if r.Method != http.MethodGet {
		auth := r.Header.Get("Authorization")
		tok, isToken := strings.CutPrefix(auth, "Token ")
		switch {
		case auth == "":
			w.Header().Set("WWW-Authenticate", "Token")
			detail(w, 401, "Authentication credentials were not provided.")
			return
		case !isToken || s.tokens[strings.TrimSpace(tok)] == "":
			w.Header().Set("WWW-Authenticate", "Token")
			detail(w, 401, "Invalid token.")
			return
		}
	}
	uid := strings.TrimSuffix(path, "/")
	switch {
	case uid == "" && r.Method == http.MethodGet:
		s.list(w, r)
	case uid == "" && r.Method == http.MethodPost:
		s.create(w, r)
	case uid != "" && r.Method == http.MethodGet:
		if m := s.modules[uid]; m != nil {
			writeJSON(w, 200, m)
		} else {
			detail(w, 404, "Not found.")
		}
	case uid != "" && r.Method == http.MethodPatch:
		s.patch(w, r, uid)
	default:
		detail(w, 405, fmt.Sprintf("Method \"%s\" not allowed.", r.Method))
	}
}

func hasDep(deps []pdc.Dependency, name, stream string) bool {
	for _, d := range deps {
		if (name == "" || strings.EqualFold(d.Dependency, name)) && (stream == "" || strings.EqualFold(d.Stream, stream)) {
			return true
		}
	}
	return false
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var out []pdc.Module
	uids := make([]string, 0, len(s.modules))
	for uid := range s.modules {
		uids = append(uids, uid)
	}
	sort.Strings(uids)
	for _, uid := range uids {
		m := s.modules[uid]
		eq := func(key, v string) bool { return q.Get(key) == "" || strings.EqualFold(q.Get(key), v) }
		if !eq("uid", m.UID) || !eq("name", m.Name) || !eq("stream", m.Stream) || !eq("version", m.Version) ||
			!eq("context", m.Context) || !eq("koji_tag", m.KojiTag) {
			continue
		}
		if a := q.Get("active"); a != "" && !strings.EqualFold(a, strconv.FormatBool(m.Active)) {
			continue
		}
		if (q.Get("runtime_dep_name") != "" || q.Get("runtime_dep_stream") != "") && !hasDep(m.RuntimeDeps, q.Get("runtime_dep_name"), q.Get("runtime_dep_stream")) {
			continue
		}
		if (q.Get("build_dep_name") != "" || q.Get("build_dep_stream") != "") && !hasDep(m.BuildDeps, q.Get("build_dep_name"), q.Get("build_dep_stream")) {
			continue
		}
		out = append(out, *m)
	}
	if out == nil {
		out = []pdc.Module{}
	}
	size := 20
	if v := q.Get("page_size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			detail(w, 404, "Invalid page.")
			return
		}
		if n <= 0 {
			writeJSON(w, 200, out) // paging off: a bare list
			return
		}
		size = min(n, 100)
	}
	page := 1
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || (n-1)*size >= max(len(out), 1) {
			detail(w, 404, "Invalid page.")
			return
		}
		page = n
	}
	lo := (page - 1) * size
	hi := min(lo+size, len(out))
	link := func(p int) any {
		if p < 1 || (p-1)*size >= len(out) {
			return nil
		}
		u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path}
		qq := r.URL.Query()
		qq.Set("page", strconv.Itoa(p))
		u.RawQuery = qq.Encode()
		return u.String()
	}
	writeJSON(w, 200, map[string]any{"count": len(out), "next": link(page + 1), "previous": link(page - 1), "results": out[lo:hi]})
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	var m pdc.Module
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		detail(w, 400, "JSON parse error - "+err.Error())
		return
	}
	errs := map[string][]string{}
	for k, v := range map[string]string{"name": m.Name, "stream": m.Stream, "version": m.Version, "koji_tag": m.KojiTag, "modulemd": m.Modulemd} {
		if v == "" {
			errs[k] = []string{"This field is required."}
		}
	}
	if len(errs) > 0 {
		writeJSON(w, 400, errs)
		return
	}
	if m.Context == "" {
		m.Context = "00000000"
	}
	m.UID = strings.Join([]string{m.Name, m.Stream, m.Version, m.Context}, ":")
	if s.modules[m.UID] != nil {
		writeJSON(w, 400, map[string][]string{"non_field_errors": {"The fields name, stream, version, context must make a unique set."}})
		return
	}
	if m.RuntimeDeps == nil {
		m.RuntimeDeps = []pdc.Dependency{}
	}
	if m.BuildDeps == nil {
		m.BuildDeps = []pdc.Dependency{}
	}
	m.Active = false
	s.modules[m.UID] = &m
	writeJSON(w, 201, m)
}

func (s *Server) patch(w http.ResponseWriter, r *http.Request, uid string) {
	m := s.modules[uid]
	if m == nil {
		detail(w, 404, "Not found.")
		return
	}
	var fields map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&fields); err != nil {
		detail(w, 400, "JSON parse error - "+err.Error())
		return
	}
	for k, v := range fields {
		var err error
		switch k {
		case "active":
			err = json.Unmarshal(v, &m.Active)
		case "koji_tag":
			err = json.Unmarshal(v, &m.KojiTag)
		case "modulemd":
			err = json.Unmarshal(v, &m.Modulemd)
		case "rpms":
			err = json.Unmarshal(v, &m.RPMs)
		case "runtime_deps":
			err = json.Unmarshal(v, &m.RuntimeDeps)
		case "build_deps":
			err = json.Unmarshal(v, &m.BuildDeps)
		case "uid", "name", "stream", "version", "context":
			writeJSON(w, 400, map[string][]string{k: {"Field is read-only after creation."}})
			return
		}
		if err != nil {
			writeJSON(w, 400, map[string][]string{k: {err.Error()}})
			return
		}
	}
	writeJSON(w, 200, m)
}

// variantNames maps unreleasedvariants/ filters to modules/ ones.
var variantNames = map[string]string{"variant_id": "name", "variant_uid": "uid", "variant_name": "name",
	"variant_version": "stream", "variant_release": "version", "variant_context": "context"}

// listVariants answers unreleasedvariants/ from the modules, renamed.
func (s *Server) listVariants(w http.ResponseWriter, r *http.Request) {
	q := url.Values{}
	for k, vs := range r.URL.Query() {
		if n, ok := variantNames[k]; ok {
			k = n
		}
		q[k] = vs
	}
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = q.Encode()
	rec := httptest.NewRecorder()
	s.list(rec, r2)
	var out any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || rec.Code != 200 {
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		return
	}
	rename := func(v any) any {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		return map[string]any{"variant_id": m["name"], "variant_uid": m["uid"], "variant_name": m["name"], "variant_type": "module",
			"variant_version": m["stream"], "variant_release": m["version"], "variant_context": m["context"],
			"koji_tag": m["koji_tag"], "modulemd": m["modulemd"], "runtime_deps": m["runtime_deps"], "build_deps": m["build_deps"],
			"active": m["active"], "rpms": m["rpms"]}
	}
	switch v := out.(type) {
	case []any:
		for i := range v {
			v[i] = rename(v[i])
		}
	case map[string]any:
		if res, ok := v["results"].([]any); ok {
			for i := range res {
				res[i] = rename(res[i])
			}
		}
		for _, k := range []string{"next", "previous"} {
			if l, ok := v[k].(string); ok {
				v[k] = strings.Replace(l, "/modules/", "/unreleasedvariants/", 1)
			}
		}
	}
	writeJSON(w, 200, out)
}
