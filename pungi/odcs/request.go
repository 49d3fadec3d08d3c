package odcs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// Request is a compose request (the body of POST /api/1/composes/).
type Request struct {
	Source RequestSource `json:"source"`
	// SecondsToLive is the lifetime asked for; 0 means the server's
	// default, more than its maximum is cut to the maximum.
	SecondsToLive  int64    `json:"seconds_to_live,omitempty"`
	Flags          []string `json:"flags,omitempty"`
	Results        []string `json:"results,omitempty"`
	Arches         []string `json:"arches,omitempty"`
	LookasideRepos []string `json:"lookaside_repos,omitempty"`
	Label          string   `json:"label,omitempty"`
	// ComposeType is test (the default), nightly, ci, production or
	// development.
	ComposeType string `json:"compose_type,omitempty"`
	RespinOf    string `json:"respin_of,omitempty"`
}

// RequestSource is the source of a compose request.
type RequestSource struct {
	// Type is tag, module, repo or build.
	Type string `json:"type"`
	// Source is a koji tag, space-separated N:S[:V[:C]] module specs, or a
	// repository directory (repo); empty for build.
	Source string `json:"source,omitempty"`
	// Packages limits a tag or build compose to these binary package
	// names.
	Packages []string `json:"packages,omitempty"`
	// Builds are koji build NVRs: the content of a build compose, or extra
	// builds of a tag compose.
	Builds []string `json:"builds,omitempty"`
	// Sigkeys in order of preference; "" allows unsigned packages. Nil
	// means the server's default.
	Sigkeys   []string `json:"sigkeys,omitempty"`
	KojiEvent int64    `json:"koji_event,omitempty"`
	// ModularKojiTags add the module builds of these koji tags to a tag
	// compose (not supported by this server: refused).
	ModularKojiTags []string `json:"modular_koji_tags,omitempty"`
	Modules         []string `json:"modules,omitempty"`
}

// RenewRequest is the optional body of PATCH /api/1/composes/<id>.
type RenewRequest struct {
	SecondsToLive int64    `json:"seconds_to_live,omitempty"`
	Sigkeys       []string `json:"sigkeys,omitempty"`
	Source        *struct {
		Builds  []string `json:"builds,omitempty"`
		Modules []string `json:"modules,omitempty"`
	} `json:"source,omitempty"`
}

// RequestError lists every problem of a request; the API answers 400.
type RequestError struct {
	Problems []string
}

func (e *RequestError) Error() string {
	if len(e.Problems) == 1 {
		return e.Problems[0]
	}
	return strings.Join(e.Problems, "; ")
}

// MaxRequestSize is the largest request body read.
const MaxRequestSize = 1 << 20

// DecodeRequest reads a compose request strictly: unknown fields, wrong
// types and trailing data are errors, as is anything [Request.Validate]
// refuses. "seconds-to-live" is read as seconds_to_live (ODCS's old
// spelling). Every problem is reported at once in a *RequestError.
func DecodeRequest(r io.Reader) (*Request, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxRequestSize+1))
	if err != nil {
		return nil, &RequestError{Problems: []string{"reading the request: " + err.Error()}}
	}
	if len(data) > MaxRequestSize {
		return nil, &RequestError{Problems: []string{fmt.Sprintf("the request is larger than %d bytes", MaxRequestSize)}}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &RequestError{Problems: []string{"No JSON POST data submitted"}}
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, &RequestError{Problems: []string{"the request is not a JSON object: " + jsonProblem(err)}}
	}
	if v, ok := raw["seconds-to-live"]; ok {
		if _, both := raw["seconds_to_live"]; both {
			return nil, &RequestError{Problems: []string{"give seconds_to_live or seconds-to-live, not both"}}
		}
		raw["seconds_to_live"] = v
		delete(raw, "seconds-to-live")
		data, _ = json.Marshal(raw)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var req Request
	if err := dec.Decode(&req); err != nil {
		return nil, &RequestError{Problems: []string{jsonProblem(err)}}
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	return &req, nil
}

// DecodeRenewRequest reads the optional body of a renew request (empty
// means defaults).
func DecodeRenewRequest(r io.Reader) (*RenewRequest, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxRequestSize+1))
	if err != nil || len(data) > MaxRequestSize {
		return nil, &RequestError{Problems: []string{"the request body is unreadable or too large"}}
	}
	var req RenewRequest
	if len(bytes.TrimSpace(data)) == 0 {
		return &req, nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, &RequestError{Problems: []string{"the request is not a JSON object: " + jsonProblem(err)}}
	}
	if v, ok := raw["seconds-to-live"]; ok {
		raw["seconds_to_live"] = v
		delete(raw, "seconds-to-live")
		data, _ = json.Marshal(raw)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, &RequestError{Problems: []string{jsonProblem(err)}}
	}
	if req.SecondsToLive < 0 {
		return nil, &RequestError{Problems: []string{"seconds_to_live: must not be negative"}}
	}
	return &req, nil
}

func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s: expected %s, got JSON %s", te.Field, te.Type, te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, err)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

var (
	nameRe   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*$`)
	archRe   = regexp.MustCompile(`^[a-z0-9_]+$`)
	sigkeyRe = regexp.MustCompile(`^[0-9a-fA-F]{8}([0-9a-fA-F]{8})?$|^$`)
	// A module spec: N:S[:V[:C]].
	moduleRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*:[A-Za-z0-9._+-]+(:[0-9]+(:[A-Za-z0-9]+)?)?$`)
	labelRe  = regexp.MustCompile(`^[A-Za-z0-9._-]*$`)
)

// ComposeTypes are the compose types a request may name.
var ComposeTypes = []string{"test", "nightly", "ci", "production", "development"}

// BaseModules are module names a module compose may not request (as in
// ODCS's base_module_names).
var BaseModules = []string{"platform", "bootstrap"}

// Validate checks the request's values (not whether the koji tag, builds
// or modules exist: that is found out when the compose is generated).
func (r *Request) Validate() error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	st, err := ParseSourceType(r.Source.Type)
	switch {
	case r.Source.Type == "":
		add("source.type: missing (tag, module, repo or build)")
	case err != nil:
		add("source.type: %v", err)
	case !st.Supported():
		add("source.type: %s composes are not supported by this server (tag, module, repo and build are)", st)
	}
	src := strings.Fields(r.Source.Source)
	if len(src) == 0 && st != SourceBuild && r.Source.Type != "" && err == nil {
		add("source.source: No source provided for %s", st)
	}
	switch st {
	case SourceTag:
		if len(src) > 1 {
			add("source.source: a tag compose takes one koji tag, got %d", len(src))
		}
		for _, s := range src {
			if !nameRe.MatchString(s) {
				add("source.source: %q is not a koji tag name", s)
			}
		}
	case SourceModule:
		for _, s := range src {
			if !moduleRe.MatchString(s) {
				add("source.source: Module definition must be in \"n:s\", \"n:s:v\" or \"n:s:v:c\" format, but got %q", s)
				continue
			}
			if n, _, _ := strings.Cut(s, ":"); slices.Contains(BaseModules, n) {
				add("source.source: composes of base modules are not possible, but %s was requested", s)
			}
		}
		if len(r.Source.Packages) > 0 {
			add("source.packages: not allowed for module composes")
		}
		if len(r.Source.Builds) > 0 {
			add("source.builds: not allowed for module composes")
		}
	case SourceRepo:
		if len(src) > 1 {
			add("source.source: a repo compose takes one repository directory, got %d", len(src))
		}
	case SourceBuild:
		if len(src) > 0 {
			add("source.source: must be empty for build composes (list the builds in source.builds)")
		}
		if len(r.Source.Builds) == 0 {
			add("source.builds: a build compose needs at least one koji build NVR")
		}
	}
	for _, b := range r.Source.Builds {
		if strings.Count(b, "-") < 2 || !nameRe.MatchString(b) {
			add("source.builds: %q is not a koji build N-V-R", b)
		}
	}
	for _, pk := range r.Source.Packages {
		if !nameRe.MatchString(pk) {
			add("source.packages: %q is not a package name", pk)
		}
	}
	for _, k := range r.Source.Sigkeys {
		if !sigkeyRe.MatchString(k) {
			add("source.sigkeys: %q is not a key id (8 or 16 hex digits, or \"\" for unsigned)", k)
		}
	}
	if len(r.Source.ModularKojiTags) > 0 {
		add("source.modular_koji_tags: not supported by this server")
	}
	if len(r.Source.Modules) > 0 {
		add("source.modules: not supported by this server")
	}
	if r.Source.KojiEvent < 0 {
		add("source.koji_event: must not be negative")
	}
	if r.SecondsToLive < 0 {
		add("seconds_to_live: must not be negative")
	}
	for _, f := range r.Flags {
		v, err := ParseFlag(f)
		switch {
		case err != nil:
			add("flags: Unknown flag %s", f)
		case v&supportedFlags == 0:
			add("flags: %s is not supported by this server (it has no Pulp source)", f)
		}
	}
	for _, res := range r.Results {
		v, err := ParseResult(res)
		switch {
		case err != nil:
			add("results: Unknown result %s", res)
		case v != ResultRepository:
			add("results: %s is not supported by this server (it makes repositories)", res)
		}
	}
	for _, a := range r.Arches {
		if !archRe.MatchString(a) || a == "src" || a == "noarch" {
			add("arches: %q is not a binary RPM arch", a)
		}
	}
	for _, l := range r.LookasideRepos {
		add("lookaside_repos: not supported by this server (got %q)", l)
	}
	if r.ComposeType != "" && !slices.Contains(ComposeTypes, r.ComposeType) {
		add("compose_type: %q is not one of %s", r.ComposeType, strings.Join(ComposeTypes, ", "))
	}
	if !labelRe.MatchString(r.Label) {
		add("label: %q has characters other than letters, digits, '.', '_' and '-'", r.Label)
	}
	if len(p) > 0 {
		return &RequestError{Problems: p}
	}
	return nil
}
