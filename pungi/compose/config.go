package compose

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/modkit/modkit/pungi/productmd"
)

// ConfigSchema is the JSON Schema of the compose configuration.
//
//go:embed config.schema.json
var ConfigSchema []byte

// Config is a compose configuration (YAML; see ConfigSchema). Paths are
// absolute after LoadConfig.
type Config struct {
	Release     productmd.Release      `yaml:"-"`
	BaseProduct *productmd.BaseProduct `yaml:"-"`
	ComposeType string                 `yaml:"compose_type"`
	Label       string                 `yaml:"label"`
	NoLabel     bool                   `yaml:"no_label"`
	Final       bool                   `yaml:"final"`
	// VariantsFile is the path of variants.xml.
	VariantsFile       string `yaml:"variants_file"`
	ModuleDefaultsDir  DirRef `yaml:"module_defaults_dir"`
	ModuleObsoletesDir DirRef `yaml:"module_obsoletes_dir"`
	// Sigkeys in order of preference, lower case; "" allows unsigned.
	Sigkeys       []string       `yaml:"sigkeys"`
	Arches        []string       `yaml:"arches"`
	FilterModules []ModuleFilter `yaml:"filter_modules"`
	// ExtraFiles are copied into the variants' os trees (Pungi's
	// extra_files phase).
	ExtraFiles     []ExtraFilesRule `yaml:"extra_files"`
	LookasideRepos []string         `yaml:"lookaside_repos"`
	Koji           *KojiConfig      `yaml:"koji"`
	Local          *LocalConfig     `yaml:"local"`
	Repos          []string         `yaml:"repos"`
	TargetDir      string           `yaml:"target_dir"`
	OldComposes    []string         `yaml:"old_composes"`
	LatestLink     *bool            `yaml:"latest_link"`

	// File is the configuration file's path.
	File string `yaml:"-"`
}

// DirRef is a directory, or a directory in a git repository.
type DirRef struct {
	Path   string // a local directory
	Repo   string // a git repository (URL or path)
	Branch string
	Dir    string // inside Repo
}

// IsZero reports whether no directory was configured.
func (d DirRef) IsZero() bool { return d.Path == "" && d.Repo == "" }

// UnmarshalYAML accepts a string or {repo, branch, dir}.
func (d *DirRef) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		d.Path = n.Value
		return nil
	}
	var g struct{ Repo, Branch, Dir string }
	if err := n.Decode(&g); err != nil {
		return err
	}
	d.Repo, d.Branch, d.Dir = g.Repo, g.Branch, g.Dir
	return nil
}

// ModuleFilter leaves modules out of variants (filter_modules).
type ModuleFilter struct {
	// Variant is a regular expression matched against variant UIDs.
	Variant string `yaml:"variant"`
	// Modules maps an arch (or "*") to NAME[:STREAM] glob patterns.
	Modules map[string][]string `yaml:"modules"`
}

// ExtraFilesRule copies files into the os trees of the variants whose UID
// matches Variant, per arch (or "*").
type ExtraFilesRule struct {
	Variant string                      `yaml:"variant"`
	Files   map[string][]ExtraFileEntry `yaml:"files"`
}

// ExtraFileEntry is one file (File) or directory (Dir, copied with its
// content) placed at Target inside the tree ("" for its top).
type ExtraFileEntry struct {
	File   string `yaml:"file"`
	Dir    string `yaml:"dir"`
	Target string `yaml:"target"`
}

// KojiConfig is the koji source.
type KojiConfig struct {
	URL        string   `yaml:"url"`
	TopURL     string   `yaml:"topurl"`
	Event      int64    `yaml:"event"`
	ModuleTags []string `yaml:"module_tags"`
	// CacheDir keeps complete builds' answers across composes (see
	// KojiSource.CacheDir); relative to the configuration file.
	CacheDir string `yaml:"cache_dir"`
}

// LocalConfig is the local-builds source.
type LocalConfig struct {
	StateDir string `yaml:"state_dir"`
}

// ConfigError is a configuration problem at a line and column.
type ConfigError struct {
	File         string
	Line, Column int
	Msg          string
}

func (e *ConfigError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
}

var schemaPrinter = message.NewPrinter(language.English)

var compiledSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(ConfigSchema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("config.schema.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("config.schema.json")
})

// LoadConfig reads and checks a configuration file: against the JSON
// Schema (every problem, each with its line and column), then the rules
// the schema cannot state. Relative paths become relative to the file.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("compose: %w", err)
	}
	return ParseConfig(path, data)
}

// ParseConfig is LoadConfig for data read from path.
func ParseConfig(path string, data []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		l, _ := yamlLine(err)
		return nil, &ConfigError{File: path, Line: l, Msg: err.Error()}
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, &ConfigError{File: path, Msg: "empty configuration"}
	}
	pos := map[string][2]int{}
	inst, err := toJSON(root.Content[0], "", pos, 0)
	if err != nil {
		return nil, &ConfigError{File: path, Msg: err.Error()}
	}
	sch, err := compiledSchema()
	if err != nil {
		return nil, fmt.Errorf("compose: config schema: %w", err)
	}
	if err := sch.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return nil, schemaErrors(path, ve, pos)
		}
		return nil, &ConfigError{File: path, Msg: err.Error()}
	}
	var raw struct {
		Release     yaml.Node `yaml:"release"`
		BaseProduct yaml.Node `yaml:"base_product"`
		Config      `yaml:",inline"`
	}
	if err := root.Content[0].Decode(&raw); err != nil {
		l, _ := yamlLine(err)
		return nil, &ConfigError{File: path, Line: l, Msg: err.Error()}
	}
	cfg := raw.Config
	var rel struct {
		Name, Short, Version, Type string
		Internal                   bool
	}
	_ = raw.Release.Decode(&rel)
	cfg.Release = productmd.Release{Name: rel.Name, Short: rel.Short, Version: rel.Version, Type: rel.Type, Internal: rel.Internal}
	if cfg.Release.Type == "" {
		cfg.Release.Type = "ga"
	}
	if raw.BaseProduct.Kind != 0 {
		var bp productmd.BaseProduct
		_ = raw.BaseProduct.Decode(&bp)
		if bp.Type == "" {
			bp.Type = "ga"
		}
		cfg.BaseProduct = &bp
		cfg.Release.IsLayered = true
	}
	cfg.File = path
	if cfg.ComposeType == "" {
		cfg.ComposeType = productmd.ComposeNightly
	}
	at := func(key string) (int, int) { p := pos[key]; return p[0], p[1] }
	if cfg.ComposeType == productmd.ComposeProduction && cfg.Label == "" && !cfg.NoLabel {
		l, c := at("/compose_type")
		return nil, &ConfigError{File: path, Line: l, Column: c, Msg: "a production compose needs a label (label: RC-1.0) or no_label: true, as Pungi requires"}
	}
	if cfg.Label != "" && cfg.NoLabel {
		l, c := at("/no_label")
		return nil, &ConfigError{File: path, Line: l, Column: c, Msg: "label and no_label: true exclude each other"}
	}
	if cfg.Koji == nil && cfg.Local == nil && len(cfg.Repos) == 0 {
		return nil, &ConfigError{File: path, Msg: "no source of module builds: set koji, local or repos"}
	}
	for i, r := range cfg.ExtraFiles {
		if _, err := compileVariantRE(r.Variant); err != nil {
			l, c := at(fmt.Sprintf("/extra_files/%d/variant", i))
			return nil, &ConfigError{File: path, Line: l, Column: c, Msg: fmt.Sprintf("variant pattern %q: %v", r.Variant, err)}
		}
		for a, es := range r.Files {
			for j, e := range es {
				if t := filepath.Clean("/" + e.Target); e.Target != "" && (filepath.IsAbs(e.Target) || strings.HasPrefix(filepath.Clean(e.Target), "..") || t == "/") {
					l, c := at(fmt.Sprintf("/extra_files/%d/files/%s/%d/target", i, a, j))
					return nil, &ConfigError{File: path, Line: l, Column: c, Msg: fmt.Sprintf("target %q must be a relative path inside the tree", e.Target)}
				}
			}
		}
	}
	for i, f := range cfg.FilterModules {
		if _, err := compileVariantRE(f.Variant); err != nil {
			l, c := at(fmt.Sprintf("/filter_modules/%d/variant", i))
			return nil, &ConfigError{File: path, Line: l, Column: c, Msg: fmt.Sprintf("variant pattern %q: %v", f.Variant, err)}
		}
	}
	// sigkeys may hold null (Pungi's None: unsigned allowed), which the
	// YAML decoder drops from a []string: read the list from the node.
	if doc := root.Content[0]; doc.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(doc.Content); i += 2 {
			if doc.Content[i].Value == "sigkeys" && doc.Content[i+1].Kind == yaml.SequenceNode {
				cfg.Sigkeys = []string{}
				for _, n := range doc.Content[i+1].Content {
					k := ""
					if n.Tag != "!!null" {
						k = n.Value
					}
					cfg.Sigkeys = append(cfg.Sigkeys, k)
				}
			}
		}
	}
	for i, k := range cfg.Sigkeys {
		cfg.Sigkeys[i] = strings.ToLower(k)
	}
	base := filepath.Dir(path)
	if a, err := filepath.Abs(base); err == nil {
		base = a
	}
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) || strings.Contains(p, "://") {
			return p
		}
		return filepath.Join(base, p)
	}
	cfg.VariantsFile = abs(cfg.VariantsFile)
	cfg.ModuleDefaultsDir.Path = abs(cfg.ModuleDefaultsDir.Path)
	cfg.ModuleObsoletesDir.Path = abs(cfg.ModuleObsoletesDir.Path)
	if cfg.ModuleDefaultsDir.Repo != "" {
		cfg.ModuleDefaultsDir.Repo = abs(cfg.ModuleDefaultsDir.Repo)
	}
	if cfg.ModuleObsoletesDir.Repo != "" {
		cfg.ModuleObsoletesDir.Repo = abs(cfg.ModuleObsoletesDir.Repo)
	}
	if cfg.Local != nil {
		cfg.Local.StateDir = abs(cfg.Local.StateDir)
	}
	for i := range cfg.Repos {
		cfg.Repos[i] = abs(cfg.Repos[i])
	}
	for i := range cfg.LookasideRepos {
		cfg.LookasideRepos[i] = abs(cfg.LookasideRepos[i])
	}
	for i := range cfg.OldComposes {
		cfg.OldComposes[i] = abs(cfg.OldComposes[i])
	}
	cfg.TargetDir = abs(cfg.TargetDir)
	if cfg.Koji != nil {
		cfg.Koji.CacheDir = abs(cfg.Koji.CacheDir)
	}
	for i, r := range cfg.ExtraFiles {
		for a := range r.Files {
			for j := range r.Files[a] {
				e := &cfg.ExtraFiles[i].Files[a][j]
				e.File, e.Dir = abs(e.File), abs(e.Dir)
			}
		}
	}
	return &cfg, nil
}

func yamlLine(err error) (int, int) {
	msg := err.Error()
	if i := strings.Index(msg, "line "); i >= 0 {
		j := i + 5
		for j < len(msg) && msg[j] >= '0' && msg[j] <= '9' {
			j++
		}
		n, _ := strconv.Atoi(msg[i+5 : j])
		return n, 0
	}
	return 0, 0
}

// toJSON converts a YAML node to the JSON value the schema validates,
// recording each value's position by JSON pointer. Scalars keep YAML's
// types (ints, bools, null, strings).
func toJSON(n *yaml.Node, ptr string, pos map[string][2]int, depth int) (any, error) {
	if depth > 100 {
		return nil, errors.New("the configuration nests deeper than 100 levels")
	}
	pos[ptr] = [2]int{n.Line, n.Column}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, errors.New("unresolvable alias")
		}
		return toJSON(n.Alias, ptr, pos, depth+1)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			v, err := toJSON(n.Content[i+1], ptr+"/"+k, pos, depth+1)
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
		return m, nil
	case yaml.SequenceNode:
		a := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, err := toJSON(c, ptr+"/"+strconv.Itoa(i), pos, depth+1)
			if err != nil {
				return nil, err
			}
			a[i] = v
		}
		return a, nil
	}
	switch n.Tag {
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			return i, nil
		}
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err == nil {
			return b, nil
		}
	case "!!null":
		return nil, nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err == nil {
			return f, nil
		}
	}
	return n.Value, nil
}

// schemaErrors turns the schema's verdict into one error per leaf problem,
// each at the position of the value concerned.
func schemaErrors(path string, ve *jsonschema.ValidationError, pos map[string][2]int) error {
	var leaves []*jsonschema.ValidationError
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			leaves = append(leaves, e)
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	var errs []error
	seen := map[string]bool{}
	for _, l := range leaves {
		ptr := ""
		for _, p := range l.InstanceLocation {
			ptr += "/" + p
		}
		msg := l.ErrorKind.LocalizedString(schemaPrinter)
		where := strings.TrimPrefix(ptr, "/")
		if where == "" {
			where = "(top level)"
		}
		text := strings.ReplaceAll(where, "/", ".") + ": " + msg
		if seen[text] {
			continue
		}
		seen[text] = true
		p := pos[ptr]
		errs = append(errs, &ConfigError{File: path, Line: p[0], Column: p[1], Msg: text})
	}
	slices.SortFunc(errs, func(a, b error) int {
		x, y := a.(*ConfigError), b.(*ConfigError)
		if x.Line != y.Line {
			return x.Line - y.Line
		}
		return x.Column - y.Column
	})
	return errors.Join(errs...)
}

// resolveDir returns a local directory for d, exporting a git ref into
// tmp when needed.
func resolveDir(ctx context.Context, d DirRef, tmp string) (string, error) {
	if d.Repo == "" {
		return d.Path, nil
	}
	dst := filepath.Join(tmp, "git-"+strconv.Itoa(len(d.Repo))+"-"+filepath.Base(d.Repo))
	args := []string{"clone", "--quiet", "--depth", "1"}
	if d.Branch != "" {
		args = append(args, "--branch", d.Branch)
	}
	args = append(args, "--", d.Repo, dst)
	if err := runQuiet(ctx, "git", args...); err != nil {
		return "", fmt.Errorf("compose: fetching %s: %w", d.Repo, err)
	}
	return filepath.Join(dst, d.Dir), nil
}
