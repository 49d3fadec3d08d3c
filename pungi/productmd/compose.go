package productmd

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Compose types, in productmd's sort order.
const (
	ComposeTest        = "test"
	ComposeCI          = "ci"
	ComposeNightly     = "nightly"
	ComposeProduction  = "production"
	ComposeDevelopment = "development"
)

// ComposeTypes lists the compose types in productmd's order (used when
// comparing composes of the same date).
var ComposeTypes = []string{ComposeTest, ComposeCI, ComposeNightly, ComposeProduction, ComposeDevelopment}

// TypeSuffix returns the compose id suffix of a compose type: ".t", ".ci",
// ".n", ".d", or "" for production. ok is false for an unknown type.
func TypeSuffix(composeType string) (suffix string, ok bool) {
	switch composeType {
	case ComposeProduction:
		return "", true
	case ComposeCI:
		return ".ci", true
	case ComposeNightly:
		return ".n", true
	case ComposeTest:
		return ".t", true
	case ComposeDevelopment:
		return ".d", true
	}
	return "", false
}

var suffixTypes = map[string]string{"t": ComposeTest, "test": ComposeTest, "ci": ComposeCI, "n": ComposeNightly, "nightly": ComposeNightly, "d": ComposeDevelopment}

// LabelNames are the milestone names a label may have, in order.
var LabelNames = []string{"EA", "DevelPhaseExit", "InternalAlpha", "Alpha", "InternalSnapshot", "Beta", "Snapshot", "RC", "Update", "SecurityFix"}

var labelRE = regexp.MustCompile(`^([A-Za-z]+)-(\d+)\.(\d+)$`)

// ValidLabel reports whether label has the form Name-X.Y with Name one of
// LabelNames.
func ValidLabel(label string) bool {
	m := labelRE.FindStringSubmatch(label)
	return m != nil && slices.Contains(LabelNames, m[1])
}

// CompareLabels orders two valid labels by milestone, then version.
func CompareLabels(a, b string) int {
	ma, mb := labelRE.FindStringSubmatch(a), labelRE.FindStringSubmatch(b)
	if ma == nil || mb == nil {
		return strings.Compare(a, b)
	}
	if c := cmp.Compare(slices.Index(LabelNames, ma[1]), slices.Index(LabelNames, mb[1])); c != 0 {
		return c
	}
	for i := 2; i <= 3; i++ {
		x, _ := strconv.Atoi(ma[i])
		y, _ := strconv.Atoi(mb[i])
		if c := cmp.Compare(x, y); c != 0 {
			return c
		}
	}
	return 0
}

// Compose identifies one compose; every metadata file carries it.
type Compose struct {
	ID     string
	Type   string // one of ComposeTypes
	Date   string // YYYYMMDD
	Respin int
	// Label is a milestone label such as "Beta-1.1"; empty for none.
	Label string
	// Final is written only with a label.
	Final bool
}

// IsGA reports whether the compose is a final RC.
func (c *Compose) IsGA() bool { return c.Final && strings.HasPrefix(c.Label, "RC-") }

// Compare orders composes by date, type (ComposeTypes order) and respin.
func (c *Compose) Compare(o *Compose) int {
	if r := strings.Compare(c.Date, o.Date); r != 0 {
		return r
	}
	if r := cmp.Compare(slices.Index(ComposeTypes, c.Type), slices.Index(ComposeTypes, o.Type)); r != 0 {
		return r
	}
	return cmp.Compare(c.Respin, o.Respin)
}

var (
	composeIDRE = regexp.MustCompile(`^.*\d{8}(\.nightly|\.n|\.ci|\.test|\.t)?(\.\d+)?`)
	dateRE      = regexp.MustCompile(`^\d{8}$`)
	legacyIDRE  = regexp.MustCompile(`^.*(\d{8})(\.[a-z]+)?(\.(\d+))?`)
)

// ParseComposeID finds the date, type and respin in a compose id, as
// productmd does for legacy files: the last 8 digits, an optional
// .type suffix and an optional .respin. No suffix means production and no
// respin means 0.
func ParseComposeID(id string) (date, composeType string, respin int, err error) {
	m := legacyIDRE.FindStringSubmatch(id)
	if m == nil {
		return "", "", 0, fmt.Errorf("productmd: compose id %q has no YYYYMMDD date", id)
	}
	date, composeType = m[1], ComposeProduction
	if m[2] != "" {
		t, ok := suffixTypes[m[2][1:]]
		if !ok {
			return "", "", 0, fmt.Errorf("productmd: compose id %q: unknown compose type %s", id, m[2])
		}
		composeType = t
	}
	if m[4] != "" {
		respin, err = strconv.Atoi(m[4])
		if err != nil {
			return "", "", 0, fmt.Errorf("productmd: compose id %q: respin %s: %w", id, m[4], err)
		}
	}
	return date, composeType, respin, nil
}

func (c *Compose) validate(p *problems, field string) {
	switch {
	case c.ID == "":
		p.add(field+".id", "must not be blank")
	case !composeIDRE.MatchString(c.ID):
		p.add(field+".id", "%q is not a compose id (it needs a YYYYMMDD date, optionally followed by .n/.t/.ci and .respin)", c.ID)
	}
	if !dateRE.MatchString(c.Date) {
		p.add(field+".date", "%q is not YYYYMMDD", c.Date)
	}
	if !slices.Contains(ComposeTypes, c.Type) {
		p.add(field+".type", "%q is not one of %s", c.Type, strings.Join(ComposeTypes, ", "))
	}
	if c.Label != "" && !ValidLabel(c.Label) {
		p.add(field+".label", "%q is not NAME-X.Y with NAME one of %s", c.Label, strings.Join(LabelNames, ", "))
	}
}

func (c *Compose) payload() obj {
	o := obj{"id": c.ID, "type": c.Type, "date": c.Date, "respin": c.Respin}
	if c.Label != "" {
		o["label"] = c.Label
		o["final"] = c.Final
	}
	return o
}

type rawCompose struct {
	ID     *string `json:"id"`
	Type   *string `json:"type"`
	Date   *string `json:"date"`
	Respin *int    `json:"respin"`
	Label  *string `json:"label"`
	Final  any     `json:"final"`
}

// decodeCompose reads payload.compose as productmd does: before header 0.3
// the date, type and respin come from the id.
func decodeCompose(h Header, raw *rawCompose, p *problems) Compose {
	var c Compose
	if raw == nil {
		p.add("payload.compose", "missing")
		return c
	}
	if raw.ID == nil {
		p.add("payload.compose.id", "missing")
	} else {
		c.ID = *raw.ID
	}
	if raw.Type == nil {
		p.add("payload.compose.type", "missing")
	}
	if raw.Label != nil {
		c.Label = *raw.Label
	}
	c.Final = truthy(raw.Final)
	if !h.atLeast(0, 3) {
		d, t, r, err := ParseComposeID(c.ID)
		if err != nil {
			p.add("payload.compose.id", "%v", err)
		}
		c.Date, c.Type, c.Respin = d, t, r
		return c
	}
	if raw.Type != nil {
		c.Type = *raw.Type
	}
	if raw.Date == nil {
		p.add("payload.compose.date", "missing")
	} else {
		c.Date = *raw.Date
	}
	if raw.Respin == nil {
		p.add("payload.compose.respin", "missing")
	} else {
		c.Respin = *raw.Respin
	}
	return c
}

// truthy is Python's bool() of a decoded JSON value.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case float64:
		return x != 0
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	case json.Number:
		return x != "0"
	}
	return true
}

// ---- releases ----

// ReleaseTypes are the release types productmd accepts.
var ReleaseTypes = []string{"fast", "ga", "updates", "updates-testing", "eus", "aus", "els", "tus", "e4s"}

var (
	releaseVersionRE = regexp.MustCompile(`^([^0-9].*|([0-9]+(\.?[0-9]+)*))$`)
	releaseShortRE   = regexp.MustCompile(`^[a-z]+([a-z0-9]*-?[a-z0-9]+)*$`)
)

// ValidReleaseVersion reports whether v is a release version: dotted
// integers, or anything starting with a non-digit ("Rawhide").
func ValidReleaseVersion(v string) bool { return releaseVersionRE.MatchString(v) }

// ValidReleaseShort reports whether a short name fits a release id (lower
// case letters, digits and single dashes). composeinfo itself accepts any
// short name ("Fedora"); release ids use the lower-case form.
func ValidReleaseShort(s string) bool { return releaseShortRE.MatchString(s) }

// BaseProduct is the product a layered product is built on.
type BaseProduct struct {
	Name    string
	Short   string
	Version string
	Type    string // a release type; "" reads as "ga"
}

// Release describes the released product.
type Release struct {
	Name      string
	Short     string
	Version   string
	Type      string // one of ReleaseTypes; "" is written as "ga"
	IsLayered bool
	Internal  bool
}

// MajorVersion returns the first dotted component of the version.
func MajorVersion(version string) string { v, _, _ := strings.Cut(version, "."); return v }

func typeSuffix(t string) string {
	if t == "" || strings.EqualFold(t, "ga") {
		return ""
	}
	return "-" + strings.ToLower(t)
}

func orGA(t string) string {
	if t == "" {
		return "ga"
	}
	return t
}

func validateProduct(p *problems, field, version, typ string) {
	if !ValidReleaseVersion(version) {
		p.add(field+".version", "%q is not a release version (dotted integers, or text starting with a non-digit)", version)
	}
	if !slices.Contains(ReleaseTypes, orGA(typ)) {
		p.add(field+".type", "%q is not one of %s", typ, strings.Join(ReleaseTypes, ", "))
	}
}

// ComposeIDFor returns the id Pungi gives a compose of release (layered on
// base when not nil) made on date with the given type and respin:
// SHORT-VERSION[-RELTYPE][-BASESHORT-BASEVERSION[-BASETYPE]]-DATE[.t|.n|.ci|.d].RESPIN.
func ComposeIDFor(release Release, base *BaseProduct, date, composeType string, respin int) (string, error) {
	suffix, ok := TypeSuffix(composeType)
	if !ok {
		return "", fmt.Errorf("productmd: unknown compose type %q (want one of %s)", composeType, strings.Join(ComposeTypes, ", "))
	}
	if !dateRE.MatchString(date) {
		return "", fmt.Errorf("productmd: compose date %q is not YYYYMMDD", date)
	}
	id := release.Short + "-" + release.Version + typeSuffix(release.Type)
	if release.IsLayered && base != nil {
		id += "-" + base.Short + "-" + base.Version + typeSuffix(base.Type)
	}
	return fmt.Sprintf("%s-%s%s.%d", id, date, suffix, respin), nil
}
