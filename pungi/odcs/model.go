package odcs

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// State is a compose state; the numbers are ODCS's.
type State int

// Compose states.
const (
	StateWait       State = 0
	StateGenerating State = 1
	StateDone       State = 2
	StateRemoved    State = 3
	StateFailed     State = 4
)

var stateNames = []string{"wait", "generating", "done", "removed", "failed"}

func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// Final reports whether no worker will change the compose any more on its
// own (done composes still expire).
func (s State) Final() bool { return s == StateDone || s == StateRemoved || s == StateFailed }

// ParseState reads a state name ("done") or number ("2").
func ParseState(v string) (State, error) {
	if i := slices.Index(stateNames, v); i >= 0 {
		return State(i), nil
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 && n < len(stateNames) {
		return State(n), nil
	}
	return 0, fmt.Errorf("unknown compose state %q (want one of %s, or 0-4)", v, strings.Join(stateNames, ", "))
}

// SourceType says what a compose's source names; the numbers are ODCS's.
type SourceType int

// Source types. This server generates tag, module, repo and build
// composes; the others are known so that their names and numbers read
// right, and are refused on submit.
const (
	SourceTag          SourceType = 1
	SourceModule       SourceType = 2
	SourceRepo         SourceType = 3
	SourcePulp         SourceType = 4
	SourceRawConfig    SourceType = 5
	SourceBuild        SourceType = 6
	SourcePungiCompose SourceType = 7
)

var sourceTypeNames = map[SourceType]string{
	SourceTag: "tag", SourceModule: "module", SourceRepo: "repo", SourcePulp: "pulp",
	SourceRawConfig: "raw_config", SourceBuild: "build", SourcePungiCompose: "pungi_compose",
}

func (t SourceType) String() string {
	if n, ok := sourceTypeNames[t]; ok {
		return n
	}
	return "source_type(" + strconv.Itoa(int(t)) + ")"
}

// Supported reports whether this server generates composes of type t.
func (t SourceType) Supported() bool {
	return t == SourceTag || t == SourceModule || t == SourceRepo || t == SourceBuild
}

// ParseSourceType reads a source type name ("module") or number ("2").
func ParseSourceType(v string) (SourceType, error) {
	for t, n := range sourceTypeNames {
		if n == v {
			return t, nil
		}
	}
	if n, err := strconv.Atoi(v); err == nil {
		if _, ok := sourceTypeNames[SourceType(n)]; ok {
			return SourceType(n), nil
		}
	}
	return 0, fmt.Errorf("unknown source type %q (want tag, module, repo, build, pulp, raw_config or pungi_compose, or their numbers)", v)
}

// Flags are a compose's flags (bits as in ODCS).
type Flags uint

// Compose flags.
const (
	FlagNoDeps                      Flags = 1
	FlagNoInheritance               Flags = 2
	FlagIncludeUnpublishedPulpRepos Flags = 4
	FlagCheckDeps                   Flags = 8
	FlagIncludeDoneModules          Flags = 16
	FlagIgnoreAbsentPulpRepos       Flags = 32
	FlagNoReuse                     Flags = 64
	FlagUseOnlyCompatibleArch       Flags = 128
)

var flagNames = []struct {
	f    Flags
	name string
}{
	{FlagNoDeps, "no_deps"}, {FlagNoInheritance, "no_inheritance"},
	{FlagIncludeUnpublishedPulpRepos, "include_unpublished_pulp_repos"}, {FlagCheckDeps, "check_deps"},
	{FlagIncludeDoneModules, "include_done_modules"}, {FlagIgnoreAbsentPulpRepos, "ignore_absent_pulp_repos"},
	{FlagNoReuse, "no_reuse"}, {FlagUseOnlyCompatibleArch, "use_only_compatible_arch"},
}

// supportedFlags are the flags this server acts on (the Pulp ones are
// refused: it has no Pulp source).
const supportedFlags = FlagNoDeps | FlagNoInheritance | FlagCheckDeps | FlagIncludeDoneModules | FlagNoReuse

// Names returns the names of the set flags, in bit order.
func (f Flags) Names() []string {
	out := []string{}
	for _, n := range flagNames {
		if f&n.f != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// ParseFlag reads one flag name.
func ParseFlag(name string) (Flags, error) {
	for _, n := range flagNames {
		if n.name == name {
			return n.f, nil
		}
	}
	return 0, fmt.Errorf("unknown flag %q", name)
}

// Results are what a compose produces (bits as in ODCS).
type Results uint

// Compose results. This server produces repositories.
const (
	ResultRepository Results = 1
	ResultISO        Results = 2
	ResultOSTree     Results = 4
	ResultBootISO    Results = 8
)

var resultNames = []struct {
	r    Results
	name string
}{{ResultRepository, "repository"}, {ResultISO, "iso"}, {ResultOSTree, "ostree"}, {ResultBootISO, "boot.iso"}}

// Names returns the names of the set results.
func (r Results) Names() []string {
	out := []string{}
	for _, n := range resultNames {
		if r&n.r != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// ParseResult reads one result name.
func ParseResult(name string) (Results, error) {
	for _, n := range resultNames {
		if n.name == name {
			return n.r, nil
		}
	}
	return 0, fmt.Errorf("unknown result %q", name)
}

// Compose is one on-demand compose. Its JSON form is ODCS's: list fields
// are space-separated strings, times are "2006-01-02T15:04:05Z" or null,
// flags and results are lists of names.
type Compose struct {
	ID         int64
	Owner      string
	SourceType SourceType
	// Source is what the source type names: a koji tag, space-separated
	// module specs (full N:S:V:C once resolved), a repository path, or
	// empty for build composes.
	Source      string
	State       State
	StateReason string

	TimeSubmitted time.Time
	TimeStarted   time.Time
	TimeDone      time.Time
	TimeToExpire  time.Time
	TimeRemoved   time.Time
	RemovedBy     string

	Packages        []string
	Builds          []string
	Sigkeys         []string
	Arches          []string
	Modules         []string
	LookasideRepos  []string
	ModularKojiTags []string
	Flags           Flags
	Results         Results
	KojiEvent       int64
	Label           string
	ComposeType     string
	PungiComposeID  string
	RespinOf        string
	// ReusedID is the compose whose files this one serves (0 when it has
	// its own).
	ReusedID int64
	// SecondsToLive is the lifetime asked for (the clock starts again
	// when the compose is done or failed, as in ODCS).
	SecondsToLive int64

	// ResultRepo, ResultRepofile and ToplevelURL are the public URLs of
	// the compose's Temporary variant, its .repo file and its top
	// directory; set by the service when it returns a compose.
	ResultRepo, ResultRepofile, ToplevelURL string
}

// Name is the compose's directory name, odcs-<id> (of the reused compose
// when it reuses one).
func (c *Compose) Name() string {
	if c.ReusedID != 0 {
		return "odcs-" + strconv.FormatInt(c.ReusedID, 10)
	}
	return "odcs-" + strconv.FormatInt(c.ID, 10)
}

const timeLayout = "2006-01-02T15:04:05Z"

type jsonTime time.Time

func (t jsonTime) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + time.Time(t).UTC().Format(timeLayout) + `"`), nil
}

func (t *jsonTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = jsonTime{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.Parse(timeLayout, s)
	if err != nil {
		if v, err = time.Parse(time.RFC3339, s); err != nil {
			return fmt.Errorf("time %q: want %s", s, timeLayout)
		}
	}
	*t = jsonTime(v.UTC())
	return nil
}

// wireCompose is ODCS's compose JSON.
type wireCompose struct {
	ID                    int64    `json:"id"`
	Owner                 string   `json:"owner"`
	SourceType            int      `json:"source_type"`
	Source                string   `json:"source"`
	State                 int      `json:"state"`
	StateName             string   `json:"state_name"`
	StateReason           *string  `json:"state_reason"`
	TimeToExpire          jsonTime `json:"time_to_expire"`
	TimeSubmitted         jsonTime `json:"time_submitted"`
	TimeStarted           jsonTime `json:"time_started"`
	TimeDone              jsonTime `json:"time_done"`
	TimeRemoved           jsonTime `json:"time_removed"`
	RemovedBy             *string  `json:"removed_by"`
	ResultRepo            string   `json:"result_repo"`
	ResultRepofile        string   `json:"result_repofile"`
	ToplevelURL           string   `json:"toplevel_url"`
	Flags                 []string `json:"flags"`
	Results               []string `json:"results"`
	Sigkeys               string   `json:"sigkeys"`
	KojiEvent             *int64   `json:"koji_event"`
	KojiTaskID            *int64   `json:"koji_task_id"`
	Packages              *string  `json:"packages"`
	Builds                *string  `json:"builds"`
	Arches                string   `json:"arches"`
	MultilibArches        string   `json:"multilib_arches"`
	MultilibMethod        int      `json:"multilib_method"`
	LookasideRepos        string   `json:"lookaside_repos"`
	ModularKojiTags       *string  `json:"modular_koji_tags"`
	ModuleDefaultsURL     *string  `json:"module_defaults_url"`
	Label                 *string  `json:"label"`
	ComposeType           string   `json:"compose_type"`
	PungiComposeID        *string  `json:"pungi_compose_id"`
	TargetDir             string   `json:"target_dir"`
	ScratchModules        *string  `json:"scratch_modules"`
	ParentPungiComposeIDs *string  `json:"parent_pungi_compose_ids"`
	ScratchBuildTasks     *string  `json:"scratch_build_tasks"`
	Modules               *string  `json:"modules"`
	RespinOf              *string  `json:"respin_of"`
	BaseModuleBrName      *string  `json:"base_module_br_name"`
	BaseModuleBrStream    *string  `json:"base_module_br_stream"`
	BaseModuleBrLTE       *string  `json:"base_module_br_stream_version_lte"`
	BaseModuleBrGTE       *string  `json:"base_module_br_stream_version_gte"`
	// ReusedID is a modkit addition: the compose whose files this one
	// serves.
	ReusedID *int64 `json:"reused_id"`
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optList(l []string) *string {
	if len(l) == 0 {
		return nil
	}
	s := strings.Join(l, " ")
	return &s
}

func optInt(n int64) *int64 {
	if n == 0 {
		return nil
	}
	return &n
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func splitList(s string) []string { return strings.Fields(s) }

// MarshalJSON writes ODCS's compose JSON.
func (c *Compose) MarshalJSON() ([]byte, error) {
	w := wireCompose{
		ID: c.ID, Owner: c.Owner, SourceType: int(c.SourceType), Source: c.Source, State: int(c.State), StateName: c.State.String(),
		StateReason: optString(c.StateReason), TimeToExpire: jsonTime(c.TimeToExpire), TimeSubmitted: jsonTime(c.TimeSubmitted),
		TimeStarted: jsonTime(c.TimeStarted), TimeDone: jsonTime(c.TimeDone), TimeRemoved: jsonTime(c.TimeRemoved),
		RemovedBy: optString(c.RemovedBy), ResultRepo: c.ResultRepo, ResultRepofile: c.ResultRepofile, ToplevelURL: c.ToplevelURL,
		Flags: c.Flags.Names(), Results: c.Results.Names(), Sigkeys: strings.Join(c.Sigkeys, " "), KojiEvent: optInt(c.KojiEvent),
		Packages: optList(c.Packages), Builds: optList(c.Builds), Arches: strings.Join(c.Arches, " "),
		LookasideRepos: strings.Join(c.LookasideRepos, " "), ModularKojiTags: optList(c.ModularKojiTags), Label: optString(c.Label),
		ComposeType: c.ComposeType, PungiComposeID: optString(c.PungiComposeID), TargetDir: "default", Modules: optList(c.Modules),
		RespinOf: optString(c.RespinOf), ReusedID: optInt(c.ReusedID),
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads ODCS's compose JSON.
func (c *Compose) UnmarshalJSON(b []byte) error {
	var w wireCompose
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*c = Compose{
		ID: w.ID, Owner: w.Owner, SourceType: SourceType(w.SourceType), Source: w.Source, State: State(w.State),
		StateReason: deref(w.StateReason), TimeToExpire: time.Time(w.TimeToExpire), TimeSubmitted: time.Time(w.TimeSubmitted),
		TimeStarted: time.Time(w.TimeStarted), TimeDone: time.Time(w.TimeDone), TimeRemoved: time.Time(w.TimeRemoved),
		RemovedBy: deref(w.RemovedBy), ResultRepo: w.ResultRepo, ResultRepofile: w.ResultRepofile, ToplevelURL: w.ToplevelURL,
		Sigkeys: splitList(w.Sigkeys), Packages: splitList(deref(w.Packages)), Builds: splitList(deref(w.Builds)),
		Arches: splitList(w.Arches), LookasideRepos: splitList(w.LookasideRepos), ModularKojiTags: splitList(deref(w.ModularKojiTags)),
		Label: deref(w.Label), ComposeType: w.ComposeType, PungiComposeID: deref(w.PungiComposeID), Modules: splitList(deref(w.Modules)),
		RespinOf: deref(w.RespinOf),
	}
	if w.KojiEvent != nil {
		c.KojiEvent = *w.KojiEvent
	}
	if w.ReusedID != nil {
		c.ReusedID = *w.ReusedID
	}
	for _, f := range w.Flags {
		if v, err := ParseFlag(f); err == nil {
			c.Flags |= v
		}
	}
	for _, r := range w.Results {
		if v, err := ParseResult(r); err == nil {
			c.Results |= v
		}
	}
	return nil
}
