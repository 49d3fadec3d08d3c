package productmd

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// ini is a parsed INI file in the dialect of Python's configparser as
// productmd uses it: case-sensitive keys, "=" or ":" delimiters, full-line
// "#" and ";" comments, indented continuation lines, %-interpolation, and
// duplicate sections or keys rejected.
type ini struct {
	sections map[string]map[string]string
	order    []string
}

func (f *ini) has(section, key string) bool {
	_, ok := f.sections[section][key]
	return ok
}

func (f *ini) hasSection(section string) bool { _, ok := f.sections[section]; return ok }

// get returns the value with interpolation applied.
func (f *ini) get(section, key string) (string, error) {
	v, ok := f.sections[section][key]
	if !ok {
		if !f.hasSection(section) {
			return "", fmt.Errorf("no section [%s]", section)
		}
		return "", fmt.Errorf("no option %q in section [%s]", key, section)
	}
	return f.interpolate(section, key, v, 0)
}

func (f *ini) interpolate(section, key, v string, depth int) (string, error) {
	if !strings.Contains(v, "%") {
		return v, nil
	}
	if depth > 10 {
		return "", fmt.Errorf("[%s] %s: interpolation too deep", section, key)
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '%' {
			b.WriteByte(v[i])
			continue
		}
		switch {
		case i+1 < len(v) && v[i+1] == '%':
			b.WriteByte('%')
			i++
		case i+1 < len(v) && v[i+1] == '(':
			end := strings.Index(v[i:], ")s")
			if end < 0 {
				return "", fmt.Errorf("[%s] %s: bad interpolation in %q", section, key, v)
			}
			name := v[i+2 : i+end]
			ref, ok := f.sections[section][name]
			if !ok {
				ref, ok = f.sections["DEFAULT"][name]
			}
			if !ok {
				return "", fmt.Errorf("[%s] %s: %%(%s)s refers to an unknown option", section, key, name)
			}
			r, err := f.interpolate(section, name, ref, depth+1)
			if err != nil {
				return "", err
			}
			b.WriteString(r)
			i += end + 1
		default:
			return "", fmt.Errorf("[%s] %s: '%%' must be followed by '%%' or '(' in %q", section, key, v)
		}
	}
	return b.String(), nil
}

// keys returns the keys of a section in file order.
func (f *ini) keys(section string) []string {
	var ks []string
	for k := range f.sections[section] {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func parseINI(kind string, data []byte) (*ini, error) {
	f := &ini{sections: map[string]map[string]string{}}
	var cur string
	var lastKey string
	lines := bytes.Split(data, []byte("\n"))
	for n, raw := range lines {
		line := strings.TrimRight(string(raw), "\r")
		errAt := func(format string, args ...any) error {
			return &SyntaxError{Kind: kind, Line: n + 1, Column: 1, Msg: fmt.Sprintf(format, args...)}
		}
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';' {
			if trimmed == "" {
				lastKey = "" // an empty line ends a continuation in our writer's files
			}
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if cur == "" || lastKey == "" {
				return nil, errAt("indented line outside an option's value")
			}
			f.sections[cur][lastKey] += "\n" + trimmed
			continue
		}
		if trimmed[0] == '[' {
			end := strings.IndexByte(trimmed, ']')
			if end < 0 {
				return nil, errAt("section header without ']'")
			}
			cur = trimmed[1:end]
			if f.hasSection(cur) {
				return nil, errAt("section [%s] appears twice", cur)
			}
			f.sections[cur] = map[string]string{}
			f.order = append(f.order, cur)
			lastKey = ""
			continue
		}
		if cur == "" {
			return nil, errAt("option before the first section header")
		}
		i := strings.IndexAny(line, "=:")
		if i < 0 {
			return nil, errAt("expected KEY = VALUE")
		}
		key := strings.TrimSpace(line[:i])
		if key == "" {
			return nil, errAt("empty option name")
		}
		if _, dup := f.sections[cur][key]; dup {
			return nil, errAt("option %q appears twice in section [%s]", key, cur)
		}
		f.sections[cur][key] = strings.TrimSpace(line[i+1:])
		lastKey = key
	}
	return f, nil
}

// iniWriter writes sections and keys sorted, as productmd's
// SortedConfigParser does.
type iniWriter map[string]map[string]string

func (w iniWriter) set(section, key, value string) {
	if w[section] == nil {
		w[section] = map[string]string{}
	}
	w[section][key] = value
}

func (w iniWriter) bytes() []byte {
	var b bytes.Buffer
	secs := make([]string, 0, len(w))
	for s := range w {
		secs = append(secs, s)
	}
	slices.SortFunc(secs, comparePython)
	for _, s := range secs {
		fmt.Fprintf(&b, "[%s]\n", s)
		keys := make([]string, 0, len(w[s]))
		for k := range w[s] {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, comparePython)
		for _, k := range keys {
			fmt.Fprintf(&b, "%s = %s\n", k, strings.ReplaceAll(w[s][k], "\n", "\n\t"))
		}
		b.WriteString("\n")
	}
	return b.Bytes()
}
