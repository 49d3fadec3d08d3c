package compose

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestConfigSchemaIsJSONSchema(t *testing.T) {
	t.Parallel()
	var v map[string]any
	if err := json.Unmarshal(ConfigSchema, &v); err != nil {
		t.Fatal(err)
	}
	if _, err := compiledSchema(); err != nil {
		t.Fatal(err)
	}
}

func TestParseConfig(t *testing.T) {
	t.Parallel()
	cfg, err := ParseConfig("/etc/c/compose.yaml", []byte(`
release: {name: Fedora, short: Fedora, version: "39", type: updates}
base_product: {name: RHEL, short: RHEL, version: "9"}
compose_type: production
label: RC-1.0
variants_file: v.xml
module_defaults_dir: {repo: https://pagure.io/releng/fedora-module-defaults.git, branch: f39}
module_obsoletes_dir: obs
sigkeys: [ABCDEF12, "", null]
koji: {url: "https://koji.example.org/kojihub", event: 42, module_tags: [f39-modular]}
repos: [r1, /abs/r2]
filter_modules:
  - variant: "^Server$"
    modules: {"*": ["perl"], x86_64: ["nodejs:1*"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Release.Type != "updates" || !cfg.Release.IsLayered || cfg.BaseProduct.Type != "ga" || !slices.Equal(cfg.Sigkeys, []string{"abcdef12", "", ""}) {
		t.Errorf("release/base/sigkeys: %+v %+v %v", cfg.Release, cfg.BaseProduct, cfg.Sigkeys)
	}
	if cfg.VariantsFile != "/etc/c/v.xml" || cfg.Repos[0] != "/etc/c/r1" || cfg.Repos[1] != "/abs/r2" || cfg.ModuleObsoletesDir.Path != "/etc/c/obs" {
		t.Errorf("paths not made absolute: %s %v %s", cfg.VariantsFile, cfg.Repos, cfg.ModuleObsoletesDir.Path)
	}
	if cfg.ModuleDefaultsDir.Repo == "" || cfg.ModuleDefaultsDir.Branch != "f39" || cfg.Koji.Event != 42 {
		t.Errorf("defaults git ref / koji: %+v %+v", cfg.ModuleDefaultsDir, cfg.Koji)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, yaml, want string }{
		{"unknown key and bad enum at their lines", "release: {name: A, short: A, version: \"1\"}\nvariants_file: v.xml\nrepos: [r]\ncompose_type: weekly\nbogus: 1\n",
			"c.yaml:4:15: compose_type"},
		{"unknown key", "release: {name: A, short: A, version: \"1\"}\nvariants_file: v.xml\nrepos: [r]\nbogus: 1\n", "c.yaml:1:1: (top level): additional properties 'bogus' not allowed"},
		{"bad version", "release: {name: A, short: A, version: \"1..2\"}\nvariants_file: v.xml\nrepos: [r]\n", "c.yaml:1:39: release.version"},
		{"bad sigkey", "release: {name: A, short: A, version: \"1\"}\nvariants_file: v.xml\nrepos: [r]\nsigkeys: [xyz]\n", "c.yaml:4:11: sigkeys.0"},
		{"production without label", "release: {name: A, short: A, version: \"1\"}\nvariants_file: v.xml\nrepos: [r]\ncompose_type: production\n", "needs a label"},
		{"no source", "release: {name: A, short: A, version: \"1\"}\nvariants_file: v.xml\n", "no source of module builds"},
		{"bad variant regexp", "release: {name: A, short: A, version: \"1\"}\nvariants_file: v.xml\nrepos: [r]\nfilter_modules: [{variant: \"(\", modules: {}}]\n", "c.yaml:4:28: variant pattern"},
		{"yaml syntax", "release: [\n", "c.yaml:"},
		{"missing required", "variants_file: v.xml\nrepos: [r]\n", "missing property 'release'"},
	}
	for _, c := range cases {
		_, err := ParseConfig(filepath.Join("d", "c.yaml"), []byte(c.yaml))
		var ce *ConfigError
		if err == nil || !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("release: {name: A, short: A, version: \"1\"}\nvariants_file: v.xml\nrepos: [r]\n"))
	f.Add([]byte("release: &a {name: A, short: A, version: \"1\"}\nbase_product: *a\nvariants_file: v\nlocal: {state_dir: s}\nfilter_modules: [{variant: x, modules: {a: [b]}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig("fuzz.yaml", data)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error without a position type: %v", err)
			}
			return
		}
		if cfg.Release.Name == "" || cfg.VariantsFile == "" {
			t.Fatalf("accepted a config without release or variants: %+v", cfg)
		}
	})
}
