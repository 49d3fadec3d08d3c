package mbsapi

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/modkit/modkit/orchestrator"
)

var submitKeys = map[string]bool{
	"scmurl": true, "branch": true, "modulemd": true, "yaml": true, "module_name": true,
	"module_stream": true, "scratch": true, "srpms": true, "rebuild_strategy": true,
	"buildrequire_overrides": true, "require_overrides": true, "reuse_components_from": true,
	"owner": true,
}

// scmurlRE is MBS's shape of an scmurl: scheme://host/path[?modpath]#rev.
var scmurlRE = regexp.MustCompile(`^[a-z][a-z0-9+.-]*://[^?#\s]*(\?[^#\s]*)?#[^\s]+$`)

// submit serves POST module-builds/.
func (h *Handler) submit(w http.ResponseWriter, r *http.Request, v int) error {
	u, err := h.user(r)
	if err != nil {
		return err
	}
	if !h.opts.NoAuth && !u.InGroup(h.opts.AllowedGroups) {
		return errorf(http.StatusForbidden, "%s is not in any of %s, only %s", u.Name, fmtGroups(h.opts.AllowedGroups), fmtGroups(u.Groups))
	}
	body, err := h.readSubmit(r)
	if err != nil {
		return err
	}
	var unknown []string
	for k := range body {
		if !submitKeys[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return errorf(http.StatusBadRequest, "The request contains unspecified parameters: %s", strings.Join(unknown, ", "))
	}
	req := &orchestrator.SubmitRequest{Owner: u.Name}
	str := func(key string) (string, error) {
		switch x := body[key].(type) {
		case nil:
			return "", nil
		case string:
			return x, nil
		}
		return "", errorf(http.StatusBadRequest, "The %q parameter must be a string", key)
	}
	if req.SCMURL, err = str("scmurl"); err != nil {
		return err
	}
	if req.Branch, err = str("branch"); err != nil {
		return err
	}
	yamlText, err := str("modulemd")
	if err != nil {
		return err
	}
	if y, err := str("yaml"); err != nil {
		return err
	} else if y != "" {
		yamlText = y
	}
	if req.ModuleName, err = str("module_name"); err != nil {
		return err
	}
	if req.ModuleStream, err = str("module_stream"); err != nil {
		return err
	}
	if req.RebuildStrategy, err = str("rebuild_strategy"); err != nil {
		return err
	}
	if owner, err := str("owner"); err != nil {
		return err
	} else if owner != "" {
		if !h.opts.NoAuth {
			return errorf(http.StatusBadRequest, "The request contains 'owner' parameter, however NO_AUTH is not allowed")
		}
		req.Owner = owner
	}
	switch x := body["scratch"].(type) {
	case nil:
	case bool:
		req.Scratch = x
	case string:
		req.Scratch, err = strconv.ParseBool(x)
		if err != nil {
			return errorf(http.StatusBadRequest, "The \"scratch\" parameter must be a boolean")
		}
	default:
		return errorf(http.StatusBadRequest, "The \"scratch\" parameter must be a boolean")
	}
	if req.Scratch && !h.opts.AllowScratch {
		return errorf(http.StatusForbidden, "Scratch builds are not enabled")
	}
	if _, ok := body["srpms"]; ok {
		if _, isList := body["srpms"].([]any); !isList {
			return errorf(http.StatusBadRequest, "The \"srpms\" parameter must be a list")
		}
		return errorf(http.StatusForbidden, "Custom SRPM builds are not supported by this server")
	}
	switch x := body["reuse_components_from"].(type) {
	case nil:
	case string:
		req.ReuseComponentsFrom = x
	case float64:
		req.ReuseComponentsFrom = strconv.FormatInt(int64(x), 10)
	case json.Number:
		req.ReuseComponentsFrom = x.String()
	default:
		return errorf(http.StatusBadRequest, "The \"reuse_components_from\" parameter must be a module build id or N:S:V:C")
	}
	for key, dst := range map[string]*map[string][]string{
		"buildrequire_overrides": &req.BuildRequireOverrides, "require_overrides": &req.RequireOverrides,
	} {
		if body[key] == nil {
			continue
		}
		m, err := overrides(key, body[key])
		if err != nil {
			return err
		}
		*dst = m
	}
	if req.RebuildStrategy != "" && req.RebuildStrategy != h.opts.DefaultRebuildStrategy && h.opts.NoRebuildStrategyOverride {
		return errorf(http.StatusBadRequest, "The request contains the \"rebuild_strategy\" parameter but overriding the default isn't allowed")
	}
	switch {
	case req.SCMURL != "" && yamlText != "":
		return errorf(http.StatusBadRequest, "Give either scmurl or modulemd, not both")
	case req.SCMURL != "":
		if !scmurlRE.MatchString(req.SCMURL) {
			return errorf(http.StatusBadRequest, "The submitted scmurl %s is not valid", req.SCMURL)
		}
		if !h.scmAllowed(req.SCMURL) {
			return errorf(http.StatusForbidden, "The submitted scmurl %s is not allowed", req.SCMURL)
		}
		if req.Branch == "" {
			return errorf(http.StatusBadRequest, "Missing branch")
		}
		if req.ModuleName != "" || req.ModuleStream != "" {
			return errorf(http.StatusBadRequest, "Module name and stream can only be given with a modulemd, not with an scmurl")
		}
	case yamlText != "":
		if !h.opts.AllowYAML && !req.Scratch {
			return errorf(http.StatusForbidden, "YAML submission is not enabled")
		}
		req.Modulemd = []byte(yamlText)
	default:
		return errorf(http.StatusBadRequest, "Missing scmurl")
	}
	mbs, err := h.svc.Submit(r.Context(), req)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var items []any
	err = h.svc.Store().View(ctx, func(tx orchestrator.Tx) (err error) {
		items, err = renderAll(mbs, func(mb *orchestrator.ModuleBuild) (map[string]any, error) {
			return h.moduleJSON(ctx, tx, r, v, mb, viewDefault)
		})
		return err
	})
	if err != nil {
		return err
	}
	if v == 1 {
		writeJSON(w, http.StatusCreated, items[0])
		return nil
	}
	writeJSON(w, http.StatusCreated, items)
	return nil
}

func fmtGroups(g []string) string {
	if len(g) == 0 {
		return "no groups"
	}
	return "[" + strings.Join(g, ", ") + "]"
}

// scmAllowed checks the SCM URL allowlist on normalised URLs
// ([orchestrator.SCMAllowed]); an empty list allows nothing unless
// AllowCustomSCMURLs.
func (h *Handler) scmAllowed(u string) bool {
	if h.opts.AllowCustomSCMURLs {
		return true
	}
	return len(h.opts.SCMAllow) > 0 && orchestrator.SCMAllowed(h.opts.SCMAllow, u)
}

// overrides checks a {module: [streams]} parameter.
func overrides(key string, v any) (map[string][]string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errorf(http.StatusBadRequest, "The %q parameter must be an object mapping module names to lists of streams", key)
	}
	out := map[string][]string{}
	for name, l := range m {
		list, ok := l.([]any)
		if !ok {
			return nil, errorf(http.StatusBadRequest, "The %q parameter must be an object mapping module names to lists of streams", key)
		}
		for _, s := range list {
			str, ok := s.(string)
			if !ok {
				return nil, errorf(http.StatusBadRequest, "The %q parameter must be an object mapping module names to lists of streams", key)
			}
			out[name] = append(out[name], str)
		}
	}
	return out, nil
}

// readSubmit reads a JSON body, or a multipart form whose "yaml" file part
// is the modulemd.
func (h *Handler) readSubmit(r *http.Request) (map[string]any, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, h.opts.MaxBodyBytes)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		if err := r.ParseMultipartForm(h.opts.MaxBodyBytes); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, errorf(http.StatusRequestEntityTooLarge, "The request body is larger than %d bytes", mbe.Limit)
			}
			return nil, errorf(http.StatusBadRequest, "Invalid multipart form: %v", err)
		}
		defer r.MultipartForm.RemoveAll()
		body := map[string]any{}
		for k, vs := range r.MultipartForm.Value {
			if len(vs) > 0 {
				body[k] = vs[0]
			}
		}
		if fhs := r.MultipartForm.File["yaml"]; len(fhs) > 0 {
			f, err := fhs[0].Open()
			if err != nil {
				return nil, errorf(http.StatusBadRequest, "Cannot read the yaml file: %v", err)
			}
			defer f.Close()
			b, err := io.ReadAll(f)
			if err != nil {
				return nil, errorf(http.StatusBadRequest, "Cannot read the yaml file: %v", err)
			}
			body["yaml"] = string(b)
			if body["module_name"] == nil {
				name := fhs[0].Filename
				name = strings.TrimSuffix(strings.TrimSuffix(name, ".yaml"), ".yml")
				if name != "" {
					body["module_name"] = name
				}
			}
		}
		for _, k := range []string{"buildrequire_overrides", "require_overrides"} {
			if s, ok := body[k].(string); ok {
				var v any
				if err := json.Unmarshal([]byte(s), &v); err != nil {
					return nil, errorf(http.StatusBadRequest, "The %q parameter is not valid JSON", k)
				}
				body[k] = v
			}
		}
		return body, nil
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errorf(http.StatusRequestEntityTooLarge, "The request body is larger than %d bytes", mbe.Limit)
		}
		return nil, errorf(http.StatusBadRequest, "Cannot read the request body: %v", err)
	}
	var body map[string]any
	if err := json.Unmarshal(data, &body); err != nil {
		return nil, errorf(http.StatusBadRequest, "Invalid JSON submitted")
	}
	if body == nil {
		return nil, errorf(http.StatusBadRequest, "Invalid JSON submitted")
	}
	return body, nil
}
