package rebuilds

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
)

// Handler names, as rules and decisions spell them (Freshmaker's).
const (
	HandlerGitRPMSpecChange = "RebuildModulesOnGitRPMSpecChange"
	HandlerGitMMDChange     = "RebuildModulesOnGitMMDChange"
	HandlerModuleReady      = "UpdateDBOnModuleBuild"
)

// Rules are an allowlist and a blocklist in Freshmaker's
// HANDLER_BUILD_ALLOWLIST/BLOCKLIST shape:
//
//	{"global" | "<HandlerName>": {"module" | "image" | "rpm": rule}}
//
// A rule is an object whose values are regular expressions (or lists of
// them, any of which may match), matched at the start of the value like
// Python's re.match; every key present in both the rule and the criteria
// must match, and an object sharing no key with the criteria does not
// match. ["any", [rules...]] and ["all", [rules...]] combine rules. A
// handler's rule for a type is used instead of the global one; when the
// handler's and the global rule are both objects, their keys are merged,
// the handler's winning. A build is allowed when the allowlist has no rule
// for its type or its rule matches, and the blocklist's rule does not match.
type Rules struct {
	Allowlist, Blocklist map[string]map[string]*Rule
}

// Rule is one compiled rule.
type Rule struct {
	// Keys holds an object rule: key -> alternatives.
	Keys map[string][]*regexp.Regexp
	// Op is "any" or "all" for a combination of Sub.
	Op  string
	Sub []*Rule
	src string
}

// String is the rule's JSON source.
func (r *Rule) String() string { return r.src }

// RuleError lists every problem of a rules document.
type RuleError struct {
	Problems []string
}

func (e *RuleError) Error() string {
	return "invalid rebuild rules: " + strings.Join(e.Problems, "; ")
}

// ParseRules reads an allowlist and a blocklist (each a JSON document, or
// empty for none). A regular expression that does not compile, or a rule of
// another shape, is a *RuleError naming it by its path
// ("allowlist.global.module.name[1]").
func ParseRules(allow, block []byte) (*Rules, error) {
	var problems []string
	r := &Rules{}
	var err error
	r.Allowlist, err = parseList("allowlist", allow, &problems)
	if err != nil {
		problems = append(problems, err.Error())
	}
	r.Blocklist, err = parseList("blocklist", block, &problems)
	if err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return nil, &RuleError{Problems: problems}
	}
	return r, nil
}

func parseList(what string, data []byte, problems *[]string) (map[string]map[string]*Rule, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	var raw map[string]map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%s: expected {\"global\"|handler: {artifact type: rule}}: %v", what, err)
	}
	out := map[string]map[string]*Rule{}
	for h, types := range raw {
		out[h] = map[string]*Rule{}
		for typ, rr := range types {
			if !slices.Contains([]string{"module", "image", "rpm"}, typ) {
				*problems = append(*problems, fmt.Sprintf("%s.%s.%s: unknown artifact type (expected module, image or rpm)", what, h, typ))
				continue
			}
			var v any
			if err := json.Unmarshal(rr, &v); err != nil {
				*problems = append(*problems, fmt.Sprintf("%s.%s.%s: %v", what, h, typ, err))
				continue
			}
			if rule := compileRule(fmt.Sprintf("%s.%s.%s", what, h, typ), v, problems); rule != nil {
				out[h][typ] = rule
			}
		}
	}
	return out, nil
}

func compileRule(path string, v any, problems *[]string) *Rule {
	src, _ := json.Marshal(v)
	switch v := v.(type) {
	case map[string]any:
		r := &Rule{Keys: map[string][]*regexp.Regexp{}, src: string(src)}
		for k, val := range v {
			var pats []any
			switch val := val.(type) {
			case string:
				pats = []any{val}
			case []any:
				pats = val
			default:
				*problems = append(*problems, fmt.Sprintf("%s.%s: expected a regular expression or a list of them", path, k))
				continue
			}
			for i, p := range pats {
				ps, ok := p.(string)
				if !ok {
					*problems = append(*problems, fmt.Sprintf("%s.%s[%d]: expected a regular expression string", path, k, i))
					continue
				}
				re, err := regexp.Compile(`^(?:` + ps + `)`)
				if err != nil {
					at := path + "." + k
					if len(pats) > 1 || isList(val) {
						at = fmt.Sprintf("%s[%d]", at, i)
					}
					why := err.Error()
					var se *syntax.Error
					if errors.As(err, &se) {
						why = se.Code.String()
					}
					*problems = append(*problems, fmt.Sprintf("%s: bad regular expression %q: %s", at, ps, why))
					continue
				}
				r.Keys[k] = append(r.Keys[k], re)
			}
		}
		return r
	case []any:
		if len(v) != 2 {
			*problems = append(*problems, fmt.Sprintf("%s: expected [\"any\"|\"all\", [rules]]", path))
			return nil
		}
		op, _ := v[0].(string)
		subs, ok := v[1].([]any)
		if (op != "any" && op != "all") || !ok {
			*problems = append(*problems, fmt.Sprintf("%s: expected [\"any\"|\"all\", [rules]]", path))
			return nil
		}
		r := &Rule{Op: op, src: string(src)}
		for i, s := range subs {
			if sr := compileRule(fmt.Sprintf("%s[%d]", path, i), s, problems); sr != nil {
				r.Sub = append(r.Sub, sr)
			}
		}
		return r
	}
	*problems = append(*problems, fmt.Sprintf("%s: expected an object or [\"any\"|\"all\", [rules]]", path))
	return nil
}

func isList(v any) bool { _, ok := v.([]any); return ok }

// Match reports whether r matches criteria.
func (r *Rule) Match(criteria map[string]string) bool {
	switch r.Op {
	case "any":
		return slices.ContainsFunc(r.Sub, func(s *Rule) bool { return s.Match(criteria) })
	case "all":
		return len(r.Sub) > 0 && !slices.ContainsFunc(r.Sub, func(s *Rule) bool { return !s.Match(criteria) })
	}
	shared := false
	for k, res := range r.Keys {
		val, ok := criteria[k]
		if !ok {
			continue
		}
		shared = true
		if !slices.ContainsFunc(res, func(re *regexp.Regexp) bool { return re.MatchString(val) }) {
			return false
		}
	}
	return shared
}

// rule returns the effective rule of list for handler and type, and where it
// came from ("global.module", "<handler>.module", "global+<handler>.module").
func rule(list map[string]map[string]*Rule, handler, typ string) (*Rule, string) {
	g, h := list["global"][typ], list[handler][typ]
	switch {
	case g == nil && h == nil:
		return nil, ""
	case h == nil:
		return g, "global." + typ
	case g == nil || g.Keys == nil || h.Keys == nil:
		return h, handler + "." + typ
	}
	m := &Rule{Keys: map[string][]*regexp.Regexp{}}
	for k, v := range g.Keys {
		m.Keys[k] = v
	}
	for k, v := range h.Keys {
		m.Keys[k] = v
	}
	m.src = "merge(" + g.src + ", " + h.src + ")"
	return m, "global+" + handler + "." + typ
}

// Decide decides whether handler may build an artifact of type typ with the
// given criteria ("name", "stream", ...), and says which rule decided.
func (r *Rules) Decide(handler string, typ ArtifactType, criteria map[string]string) (bool, string) {
	if r == nil {
		return true, "no rules configured"
	}
	t := typ.Name()
	if a, where := rule(r.Allowlist, handler, t); a != nil && !a.Match(criteria) {
		return false, fmt.Sprintf("not in allowlist %s %s", where, a)
	}
	if b, where := rule(r.Blocklist, handler, t); b != nil && b.Match(criteria) {
		return false, fmt.Sprintf("blocked by blocklist %s %s", where, b)
	}
	if a, where := rule(r.Allowlist, handler, t); a != nil {
		return true, fmt.Sprintf("allowed by allowlist %s %s", where, a)
	}
	return true, "no allowlist rule for " + t + " and no blocklist rule matched"
}
