package resolver

import (
	"math"
	"regexp"
	"testing"
)

func TestStreamVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		stream   string
		padded   uint64
		unpadded uint64
		ok       bool
	}{
		{"f28", 280000, 28, true},
		{"f27.0.1", 270001, 270001, true},
		{"el8", 80000, 8, true},
		{"el8.3.0", 80300, 80300, true},
		{"el8.3.0.z", 80300, 80300, true},
		{"el8.10.0", 81000, 81000, true},
		{"master", 0, 0, false},
		{"rawhide", 0, 0, false},
		{"f32", 320000, 32, true},
	}
	for _, tt := range tests {
		t.Run(tt.stream, func(t *testing.T) {
			t.Parallel()
			p, ok := StreamVersion(tt.stream, true)
			u, _ := StreamVersion(tt.stream, false)
			if ok != tt.ok || p != tt.padded || u != tt.unpadded {
				t.Errorf("StreamVersion(%q) = %d/%d %v, want %d/%d %v", tt.stream, p, u, ok, tt.padded, tt.unpadded, tt.ok)
			}
		})
	}
}

func TestPrefixVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		base    string
		version uint64
		want    uint64
	}{
		{"f32", 20200512104430, 3220200512104430},
		{"el8.3.0", 20201001000000, 8030020201001000000},
		{"f28", 0, 0},
		{"master", 5, 5},
		{"el8.3.0", 999990101000000, 999990101000000}, // 80300 prefix would overflow uint64
	}
	for _, tt := range tests {
		if got := PrefixVersion(tt.base, tt.version); got != tt.want {
			t.Errorf("PrefixVersion(%q, %d) = %d, want %d", tt.base, tt.version, got, tt.want)
		}
	}
}

// FuzzStreamVersion checks that any stream name is handled without panics
// and that right padding never lowers the value.
func FuzzStreamVersion(f *testing.F) {
	for _, s := range []string{"f28", "el8.3.0.z", "1.2.3.4.5.6.7.8.9.10", "..", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, okP := StreamVersion(s, true)
		u, okU := StreamVersion(s, false)
		if okP && okU && p < u {
			t.Errorf("StreamVersion(%q): padded %d < unpadded %d", s, p, u)
		}
		_ = PrefixVersion(s, 20200101000000)
	})
}

func TestStreamVersionSuffixed(t *testing.T) {
	t.Parallel()
	suffixes := []StreamSuffix{
		{Pattern: regexp.MustCompile(`el\d+\.\d+\.\d+\.z`), Fraction: 0.1},
		{Pattern: regexp.MustCompile(`el\d+\.\d+\.\d+\.`), Fraction: 0.05}, // shadowed for .z: the first match wins
	}
	tests := []struct {
		stream   string
		rightPad bool
		suffixes []StreamSuffix
		want     float64
		ok       bool
	}{
		{"el8.3.0.z", true, suffixes, 80300.1, true},
		{"el8.3.0.z", false, suffixes, 80300.1, true},
		{"el8.3.0.e4s", true, suffixes, 80300.05, true},
		{"el8.3.0", true, suffixes, 80300, true},
		{"f28", true, suffixes, 280000, true},
		{"f28", false, suffixes, 28, true},
		{"el8.3.0.z", true, nil, 80300, true},
		// re.match semantics: the pattern must match at the start of the stream.
		{"xel8.3.0.z", true, suffixes, 80300, true},
		{"master", true, suffixes, 0, false},
	}
	for _, tt := range tests {
		got, ok := StreamVersionSuffixed(tt.stream, tt.rightPad, tt.suffixes)
		if ok != tt.ok || math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("StreamVersionSuffixed(%q, %v) = %v %v, want %v %v", tt.stream, tt.rightPad, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBranchStream(t *testing.T) {
	t.Parallel()
	rhel := regexp.MustCompile(`^(?:rh)(el)(?:-)(\d+\.\d+\.\d+)(?:-z)?$`)
	tests := []struct {
		name    string
		branch  string
		regexes []*regexp.Regexp
		want    string
	}{
		{"groups joined without separator", "rhel-8.0.0", []*regexp.Regexp{rhel}, "el8.0.0"},
		{"optional group left out", "rhel-8.0.0-z", []*regexp.Regexp{rhel}, "el8.0.0"},
		{"no match", "master", []*regexp.Regexp{rhel}, ""},
		{"no regexes", "rhel-8.0.0", nil, ""},
		{"search, not anchored", "private-f32-test", []*regexp.Regexp{regexp.MustCompile(`(f\d+)`)}, "f32"},
		{"later regex when the first does not match", "epel9", []*regexp.Regexp{rhel, regexp.MustCompile(`^(epel)(\d+)$`)}, "epel9"},
		// The first matching regex decides, even when it captured nothing.
		{"first match with empty groups", "rhel-8", []*regexp.Regexp{regexp.MustCompile(`^rhel-\d+()$`), regexp.MustCompile(`^rh(el-8)$`)}, ""},
		{"no groups at all", "rhel-8", []*regexp.Regexp{regexp.MustCompile(`^rhel`)}, ""},
	}
	for _, tt := range tests {
		if got := BranchStream(tt.branch, tt.regexes); got != tt.want {
			t.Errorf("%s: BranchStream(%q) = %q, want %q", tt.name, tt.branch, got, tt.want)
		}
	}
}
