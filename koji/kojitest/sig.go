package kojitest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/modkit/modkit/internal/xmlrpcx"
)

type param struct {
	name     string
	def      any
	required bool
}

type method struct {
	pyName string // Python function name, for ParameterError messages
	params []param
	extra  bool // **kwargs
	star   bool // *args
	fn     func(*callCtx, args) (any, *xmlrpcx.Fault)
}

var methods = map[string]*method{}

// def registers a method. Each spec is "name" (required) or "name=default"
// with default None, True, False, an integer or ”; "**opts" collects extra
// keyword arguments.
func def(name, pyName string, fn func(*callCtx, args) (any, *xmlrpcx.Fault), specs ...string) {
	m := &method{pyName: pyName, fn: fn}
	for _, s := range specs {
		if strings.HasPrefix(s, "**") {
			m.extra = true
			continue
		}
		n, d, hasDef := strings.Cut(s, "=")
		p := param{name: n, required: !hasDef}
		switch {
		case !hasDef, d == "None":
		case d == "True":
			p.def = true
		case d == "False":
			p.def = false
		case d == "''":
			p.def = ""
		default:
			i, err := strconv.ParseInt(d, 10, 64)
			if err != nil {
				panic("kojitest: bad default " + s)
			}
			p.def = i
		}
		m.params = append(m.params, p)
	}
	methods[name] = m
}

// args are bound call arguments by parameter name.
type args map[string]any

func (m *method) bind(params []any) (args, *xmlrpcx.Fault) {
	pos, kw := xmlrpcx.SplitKwargs(params)
	if m.star && len(pos) >= len(m.params) {
		rest := append([]any{}, pos[len(m.params):]...)
		pos = pos[:len(m.params)]
		kw2 := kw
		a, f := (&method{pyName: m.pyName, params: m.params, extra: m.extra}).bind(pos)
		if f != nil {
			return nil, f
		}
		for k, v := range kw2 {
			a["**"+k] = v
		}
		a["*args"] = rest
		return a, nil
	}
	if len(pos) > len(m.params) {
		return nil, fault(1019, "%s() takes at most %d arguments (%d given)", m.pyName, len(m.params), len(pos))
	}
	a := args{}
	for i, v := range pos {
		a[m.params[i].name] = v
	}
	known := map[string]bool{}
	for _, p := range m.params {
		known[p.name] = true
	}
	for k, v := range kw {
		if !known[k] {
			if m.extra {
				a["**"+k] = v
				continue
			}
			return nil, fault(1019, "%s() got an unexpected keyword argument '%s'", m.pyName, k)
		}
		if _, dup := a[k]; dup {
			return nil, fault(1019, "%s() got multiple values for argument '%s'", m.pyName, k)
		}
		a[k] = v
	}
	for _, p := range m.params {
		if _, ok := a[p.name]; !ok {
			if p.required {
				return nil, fault(1019, "%s() missing 1 required positional argument: '%s'", m.pyName, p.name)
			}
			a[p.name] = p.def
		}
	}
	return a, nil
}

func (a args) has(name string) bool { return a[name] != nil }

func (a args) str(name string) string {
	switch v := a[name].(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return ""
}

func (a args) boolean(name string) bool {
	switch v := a[name].(type) {
	case bool:
		return v
	case int64:
		return v != 0
	case string:
		return v != ""
	}
	return false
}

func (a args) int(name string) int64 {
	switch v := a[name].(type) {
	case int64:
		return v
	case float64:
		return int64(v)
	case bool:
		if v {
			return 1
		}
	case string:
		i, _ := strconv.ParseInt(v, 10, 64)
		return i
	}
	return 0
}

func (a args) optInt(name string) (*int64, *xmlrpcx.Fault) {
	switch v := a[name].(type) {
	case nil:
		return nil, nil
	case int64:
		return &v, nil
	case float64:
		i := int64(v)
		return &i, nil
	}
	return nil, fault(1, "<class 'TypeError'>: %s must be an integer, not %s", name, pyRepr(a[name]))
}

func (a args) strs(name string) []string {
	switch v := a[name].(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func (a args) dict(name string) map[string]any {
	m, _ := a[name].(map[string]any)
	return m
}

// pyRepr formats a value like Python's %r for fault messages.
func pyRepr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case string:
		return "'" + strings.ReplaceAll(x, "'", `\'`) + "'"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case map[string]any:
		return fmt.Sprintf("%v", x)
	}
	return fmt.Sprint(v)
}

// pyTypeName is the Python type name of a decoded XML-RPC value.
func pyTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case string:
		return "str"
	case bool:
		return "bool"
	case int64, int:
		return "int"
	case float64:
		return "float"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}

// pyDict formats a map like Python's repr of a dict, keys sorted.
func pyDict(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(pyRepr(k) + ": ")
		if sub, ok := m[k].(map[string]any); ok {
			b.WriteString(pyDict(sub))
		} else {
			b.WriteString(pyRepr(m[k]))
		}
	}
	b.WriteByte('}')
	return b.String()
}
