package resolver

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ModuleStatus is a module's persisted state, dnf's "state=" key.
type ModuleStatus string

// The states dnf writes. The empty status is the default state (dnf reads an
// unknown word as the default state too).
const (
	StatusDefault  ModuleStatus = ""
	StatusEnabled  ModuleStatus = "enabled"
	StatusDisabled ModuleStatus = "disabled"
)

// ModuleConfig is one module's entry in /etc/dnf/modules.d/NAME.module.
type ModuleConfig struct {
	// Stream is the enabled stream ("" unless Status is StatusEnabled).
	Stream string
	// Status is enabled, disabled or default.
	Status ModuleStatus
	// Profiles are the installed profiles, in the order dnf recorded them.
	Profiles []string
}

// State is a client's persisted module state, as dnf keeps it in
// /etc/dnf/modules.d: one entry per module that has a file. The zero State
// (or nil) has every module in its default state.
type State struct {
	// Modules maps a module name to its entry.
	Modules map[string]*ModuleConfig
}

// Enabled returns the enabled stream of name, or "".
func (s *State) Enabled(name string) string {
	if s == nil {
		return ""
	}
	if c := s.Modules[name]; c != nil && c.Status == StatusEnabled {
		return c.Stream
	}
	return ""
}

// Status returns name's state (the default state when it has no entry).
func (s *State) Status(name string) ModuleStatus {
	if s == nil || s.Modules[name] == nil {
		return StatusDefault
	}
	return s.Modules[name].Status
}

// Profiles returns the installed profiles of name.
func (s *State) Profiles(name string) []string {
	if s == nil || s.Modules[name] == nil {
		return nil
	}
	return s.Modules[name].Profiles
}

// Clone returns a deep copy of s (never nil).
func (s *State) Clone() *State {
	c := &State{Modules: map[string]*ModuleConfig{}}
	if s == nil {
		return c
	}
	for n, m := range s.Modules {
		cp := *m
		cp.Profiles = slices.Clone(m.Profiles)
		c.Modules[n] = &cp
	}
	return c
}

// entry returns the entry of name, creating a default one.
func (s *State) entry(name string) *ModuleConfig {
	if s.Modules == nil {
		s.Modules = map[string]*ModuleConfig{}
	}
	if s.Modules[name] == nil {
		s.Modules[name] = &ModuleConfig{}
	}
	return s.Modules[name]
}

// StateError is a malformed modules.d file.
type StateError struct {
	File string
	Line int
	Msg  string
}

func (e *StateError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// ReadState reads every *.module file of dir (dnf's /etc/dnf/modules.d). A
// missing directory is the empty state. Like dnf, every section of a file
// counts, whatever the file's name; the last section of a name wins.
func ReadState(dir string) (*State, error) {
	st := &State{Modules: map[string]*ModuleConfig{}}
	files, err := filepath.Glob(filepath.Join(dir, "*.module"))
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	slices.Sort(files)
	var errs []error
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := parseModuleFile(f, data, st); err != nil {
			errs = append(errs, err)
		}
	}
	return st, errors.Join(errs...)
}

// parseModuleFile reads one INI file in libdnf's ConfigParser dialect
// (sections, key=value or key: value, # and ; comments).
func parseModuleFile(name string, data []byte, st *State) error {
	var errs []error
	var cur *ModuleConfig
	sc := bufio.NewScanner(bytes.NewReader(data))
	for ln := 1; sc.Scan(); ln++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			if !strings.HasSuffix(line, "]") || len(line) < 3 {
				errs = append(errs, &StateError{name, ln, fmt.Sprintf("malformed section header %q", line)})
				cur = nil
				continue
			}
			sec := strings.TrimSpace(line[1 : len(line)-1])
			cur = &ModuleConfig{}
			st.Modules[sec] = cur
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			k, v, ok = strings.Cut(line, ":")
		}
		if !ok {
			errs = append(errs, &StateError{name, ln, fmt.Sprintf("expected key=value, found %q", line)})
			continue
		}
		if cur == nil {
			errs = append(errs, &StateError{name, ln, "key outside a [module] section"})
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "stream":
			cur.Stream = v
		case "state":
			switch v {
			case "1", "true", "enabled":
				cur.Status = StatusEnabled
			case "0", "false", "disabled":
				cur.Status = StatusDisabled
			default:
				cur.Status = StatusDefault
			}
		case "profiles":
			cur.Profiles = splitList(v)
		}
	}
	return errors.Join(errs...)
}

// splitList splits a libdnf string list (commas and/or white space).
func splitList(v string) []string {
	l := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	if len(l) == 0 {
		return nil
	}
	return l
}

// FormatModuleFile returns the file dnf writes for one module.
func FormatModuleFile(name string, c *ModuleConfig) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "[%s]\nname=%s\nstream=%s\nprofiles=%s\nstate=%s\n", name, name, c.Stream, strings.Join(c.Profiles, ","), c.Status)
	return b.Bytes()
}

// WriteState writes the entries of st that differ from what dir holds, one
// NAME.module file each, as dnf does on a transaction; entries of modules
// that never had a file and are in their default state with no profiles are
// not written.
func WriteState(dir string, st *State) error {
	old, err := ReadState(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range sortedKeys(st.Modules) {
		c := st.Modules[name]
		o := old.Modules[name]
		if o == nil {
			o = &ModuleConfig{}
			if c.Status == StatusDefault && c.Stream == "" && len(c.Profiles) == 0 {
				continue
			}
		}
		if o.Stream == c.Stream && o.Status == c.Status && slices.Equal(o.Profiles, c.Profiles) {
			if _, err := os.Stat(filepath.Join(dir, name+".module")); err == nil {
				continue
			}
		}
		p := filepath.Join(dir, name+".module")
		tmp := p + ".tmp"
		if err := os.WriteFile(tmp, FormatModuleFile(name, c), 0o644); err != nil {
			return err
		}
		if err := os.Rename(tmp, p); err != nil {
			return err
		}
	}
	return nil
}
