package rpmver

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// vercmpVectors is rpm's own comparison table (tests/rpmvercmp.at).
var vercmpVectors = []struct {
	a, b string
	want int
}{
	{"1.0", "1.0", 0},
	{"1.0", "2.0", -1},
	{"2.0", "1.0", 1},
	{"2.0.1", "2.0.1", 0},
	{"2.0", "2.0.1", -1},
	{"2.0.1", "2.0", 1},
	{"2.0.1a", "2.0.1a", 0},
	{"2.0.1a", "2.0.1", 1},
	{"2.0.1", "2.0.1a", -1},
	{"5.5p1", "5.5p1", 0},
	{"5.5p1", "5.5p2", -1},
	{"5.5p2", "5.5p1", 1},
	{"5.5p10", "5.5p10", 0},
	{"5.5p1", "5.5p10", -1},
	{"5.5p10", "5.5p1", 1},
	{"10xyz", "10.1xyz", -1},
	{"10.1xyz", "10xyz", 1},
	{"xyz10", "xyz10", 0},
	{"xyz10", "xyz10.1", -1},
	{"xyz10.1", "xyz10", 1},
	{"xyz.4", "xyz.4", 0},
	{"xyz.4", "8", -1},
	{"8", "xyz.4", 1},
	{"xyz.4", "2", -1},
	{"2", "xyz.4", 1},
	{"5.5p2", "5.6p1", -1},
	{"5.6p1", "5.5p2", 1},
	{"5.6p1", "6.5p1", -1},
	{"6.5p1", "5.6p1", 1},
	{"6.0.rc1", "6.0", 1},
	{"6.0", "6.0.rc1", -1},
	{"10b2", "10a1", 1},
	{"10a2", "10b2", -1},
	{"1.0aa", "1.0aa", 0},
	{"1.0a", "1.0aa", -1},
	{"1.0aa", "1.0a", 1},
	{"10.0001", "10.0001", 0},
	{"10.0001", "10.1", 0},
	{"10.1", "10.0001", 0},
	{"10.0001", "10.0039", -1},
	{"10.0039", "10.0001", 1},
	{"4.999.9", "5.0", -1},
	{"5.0", "4.999.9", 1},
	{"20101121", "20101121", 0},
	{"20101121", "20101122", -1},
	{"20101122", "20101121", 1},
	{"2_0", "2_0", 0},
	{"2.0", "2_0", 0},
	{"2_0", "2.0", 0},
	{"a", "a", 0},
	{"a+", "a+", 0},
	{"a+", "a_", 0},
	{"a_", "a+", 0},
	{"+a", "+a", 0},
	{"+a", "_a", 0},
	{"_a", "+a", 0},
	{"+_", "+_", 0},
	{"_+", "+_", 0},
	{"_+", "_+", 0},
	{"+", "_", 0},
	{"_", "+", 0},
	{"1.0~rc1", "1.0~rc1", 0},
	{"1.0~rc1", "1.0", -1},
	{"1.0", "1.0~rc1", 1},
	{"1.0~rc1", "1.0~rc2", -1},
	{"1.0~rc2", "1.0~rc1", 1},
	{"1.0~rc1~git123", "1.0~rc1~git123", 0},
	{"1.0~rc1~git123", "1.0~rc1", -1},
	{"1.0~rc1", "1.0~rc1~git123", 1},
	{"1.0^", "1.0^", 0},
	{"1.0^", "1.0", 1},
	{"1.0", "1.0^", -1},
	{"1.0^git1", "1.0^git1", 0},
	{"1.0^git1", "1.0", 1},
	{"1.0", "1.0^git1", -1},
	{"1.0^git1", "1.0^git2", -1},
	{"1.0^git2", "1.0^git1", 1},
	{"1.0^git1", "1.01", -1},
	{"1.01", "1.0^git1", 1},
	{"1.0^20160101", "1.0^20160101", 0},
	{"1.0^20160101", "1.0.1", -1},
	{"1.0.1", "1.0^20160101", 1},
	{"1.0^20160101^git1", "1.0^20160101^git1", 0},
	{"1.0^20160102", "1.0^20160101^git1", 1},
	{"1.0^20160101^git1", "1.0^20160102", -1},
	{"1.0~rc1^git1", "1.0~rc1^git1", 0},
	{"1.0~rc1^git1", "1.0~rc1", 1},
	{"1.0~rc1", "1.0~rc1^git1", -1},
	{"1.0^git1~pre", "1.0^git1~pre", 0},
	{"1.0^git1", "1.0^git1~pre", 1},
	{"1.0^git1~pre", "1.0^git1", -1},
	{"1b.fc17", "1b.fc17", 0},
	{"1b.fc17", "1.fc17", -1},
	{"1.fc17", "1b.fc17", 1},
	{"1g.fc17", "1g.fc17", 0},
	{"1g.fc17", "1.fc17", 1},
	{"1.fc17", "1g.fc17", -1},
	{"1.1.α", "1.1.α", 0},
	{"1.1.α", "1.1.β", 0},
	{"1.1.β", "1.1.α", 0},
	{"1.1.αα", "1.1.α", 0},
	{"1.1.α", "1.1.ββ", 0},
	{"1.1.ββ", "1.1.αα", 0},
}

func TestCompare(t *testing.T) {
	t.Parallel()
	for _, tc := range vercmpVectors {
		t.Run(tc.a+"_vs_"+tc.b, func(t *testing.T) {
			t.Parallel()
			if got := Compare(tc.a, tc.b); got != tc.want {
				t.Errorf("Compare(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

// TestCompareAgainstRPM runs the vector table and a few extra cases through
// the system rpm's own rpm.vercmp (lua) and checks we agree with it.
func TestCompareAgainstRPM(t *testing.T) {
	t.Parallel()
	rpmBin, err := exec.LookPath("rpm")
	if err != nil {
		if os.Getenv("MODKIT_REQUIRE_TOOLS") == "1" {
			t.Fatal("rpm not found in PATH and MODKIT_REQUIRE_TOOLS=1")
		}
		t.Skip("rpm not found in PATH; install rpm to cross-check rpmvercmp")
	}
	// rpm.vercmp refuses empty strings, so none appear here.
	pairs := [][2]string{{"~", "^"}, {"~", "1"}, {"^", "1"}, {"1..2", "1.2"},
		{"007", "7"}, {"a1", "1a"}, {"1.0~~", "1.0~"}, {"2^a", "2~a"}, {"1_2_3", "1.2.3b"},
		{"99999999999999999999999", "99999999999999999999998"}}
	for _, v := range vercmpVectors {
		if !strings.ContainsAny(v.a+v.b, "αβ") {
			pairs = append(pairs, [2]string{v.a, v.b})
		}
	}
	var script strings.Builder
	script.WriteString("%{lua:\n")
	for _, p := range pairs {
		fmt.Fprintf(&script, "print(rpm.vercmp(%q, %q) .. \" \")\n", p[0], p[1])
	}
	script.WriteString("}")
	var out bytes.Buffer
	cmd := exec.Command(rpmBin, "--eval", script.String())
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("rpm --eval: %v", err)
	}
	lines := strings.Fields(out.String())
	if len(lines) != len(pairs) {
		t.Fatalf("rpm printed %d results for %d pairs: %q", len(lines), len(pairs), out.String())
	}
	for i, p := range pairs {
		want := lines[i]
		if got := fmt.Sprint(Compare(p[0], p[1])); got != want {
			t.Errorf("Compare(%q, %q) = %s, rpm says %s", p[0], p[1], got, want)
		}
	}
}

func TestParseEVR(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    EVR
		wantErr bool
	}{
		{in: "1.0", want: EVR{Version: "1.0"}},
		{in: "1.0-3.fc40", want: EVR{Version: "1.0", Release: "3.fc40"}},
		{in: "2:1.0-3", want: EVR{Epoch: 2, Version: "1.0", Release: "3"}},
		{in: "0:1.0-1-2", want: EVR{Version: "1.0-1", Release: "2"}},
		{in: ":1.0", wantErr: true},
		{in: "x:1.0", wantErr: true},
		{in: "+1:1.0", wantErr: true},
		{in: "1:", wantErr: true},
		{in: "-1", wantErr: true},
		{in: "99999999999999999999:1", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseEVR(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ParseEVR(%q) = %+v, want an error", tc.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseEVR(%q): %v", tc.in, err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("ParseEVR(%q) mismatch (-want +got):\n%s", tc.in, d)
			}
		})
	}
}

func TestEVRString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   EVR
		want string
	}{
		{EVR{Version: "1"}, "1"},
		{EVR{Version: "1", Release: "2"}, "1-2"},
		{EVR{Epoch: 3, Version: "1", Release: "2"}, "3:1-2"},
	}
	for _, tc := range tests {
		if got := tc.in.String(); got != tc.want {
			t.Errorf("%+v.String() = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCompareEVR(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0-1", "1.0-1", 0},
		{"1:1.0-1", "2.0-1", 1},
		{"0:1.0-1", "1.0-1", 0},
		{"1.0-2", "1.0-10", -1},
		{"1.0~rc1-1", "1.0-1", -1},
		{"2.0", "2.0-1", -1},
		{"10:1", "9:9", 1},
		{"99999999999999999999999:1", "9:1", 1},
		{"x:1", "x:1", 0},
	}
	for _, tc := range tests {
		t.Run(tc.a+"_vs_"+tc.b, func(t *testing.T) {
			t.Parallel()
			if got := CompareEVRStrings(tc.a, tc.b); got != tc.want {
				t.Errorf("CompareEVRStrings(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
			if got := CompareEVRStrings(tc.b, tc.a); got != -tc.want {
				t.Errorf("CompareEVRStrings(%q, %q) = %d, want %d", tc.b, tc.a, got, -tc.want)
			}
			ea, errA := ParseEVR(tc.a)
			eb, errB := ParseEVR(tc.b)
			if errA == nil && errB == nil {
				if got := CompareEVR(ea, eb); got != tc.want {
					t.Errorf("CompareEVR(%v, %v) = %d, want %d", ea, eb, got, tc.want)
				}
			}
		})
	}
}

func FuzzCompare(f *testing.F) {
	for _, v := range vercmpVectors {
		f.Add(v.a, v.b)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, ba := Compare(a, b), Compare(b, a)
		if ab != -ba {
			t.Fatalf("not antisymmetric: Compare(%q, %q) = %d, Compare(%q, %q) = %d", a, b, ab, b, a, ba)
		}
		if ab < -1 || ab > 1 {
			t.Fatalf("Compare(%q, %q) = %d, want -1, 0 or 1", a, b, ab)
		}
		if Compare(a, a) != 0 {
			t.Fatalf("Compare(%q, %q) != 0", a, a)
		}
		if c, d := CompareEVRStrings(a, b), CompareEVRStrings(b, a); c != -d {
			t.Fatalf("CompareEVRStrings not antisymmetric on %q, %q: %d, %d", a, b, c, d)
		}
	})
}
