package modulemd

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNSVCAString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   NSVCA
		want string
	}{
		{NSVCA{Name: "foo", Stream: "a", Version: 5, Context: "c1", Arch: "x86_64"}, "foo:a:5:c1:x86_64"},
		{NSVCA{Name: "foo", Stream: "a"}, "foo:a"},
		{NSVCA{Name: "foo", Stream: "a", Context: "c1"}, "foo:a::c1"},
		{NSVCA{Name: "foo", Stream: "a", Arch: "x86_64"}, "foo:a:::x86_64"},
		{NSVCA{Name: "foo", Version: 5}, "foo::5"},
		{NSVCA{Name: "foo"}, "foo"},
		{NSVCA{Stream: "a", Version: 1}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			if got := tc.in.String(); got != tc.want {
				t.Errorf("%+v.String() = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseNSVCA(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    NSVCA
		wantErr string
	}{
		{in: "foo", want: NSVCA{Name: "foo"}},
		{in: "foo:a", want: NSVCA{Name: "foo", Stream: "a"}},
		{in: "foo:a:5:c1:x86_64", want: NSVCA{Name: "foo", Stream: "a", Version: 5, Context: "c1", Arch: "x86_64"}},
		{in: "foo:a::c1", want: NSVCA{Name: "foo", Stream: "a", Context: "c1"}},
		{in: "foo:a:::x86_64", want: NSVCA{Name: "foo", Stream: "a", Arch: "x86_64"}},
		{in: "foo::5", want: NSVCA{Name: "foo", Version: 5}},
		{in: "foo:a:18446744073709551615", want: NSVCA{Name: "foo", Stream: "a", Version: 18446744073709551615}},
		{in: "", wantErr: `modulemd: parse NSVCA "": empty module name, want name[:stream[:version[:context[:arch]]]]: invalid value`},
		{in: ":a", wantErr: `modulemd: parse NSVCA ":a": empty module name, want name[:stream[:version[:context[:arch]]]]: invalid value`},
		{in: "foo:a:x", wantErr: `modulemd: parse NSVCA "foo:a:x": version "x" is not a base-10 unsigned integer: invalid value`},
		{in: "foo:a:-1", wantErr: `modulemd: parse NSVCA "foo:a:-1": version "-1" is not a base-10 unsigned integer: invalid value`},
		{in: "foo:a:+1", wantErr: `modulemd: parse NSVCA "foo:a:+1": version "+1" is not a base-10 unsigned integer: invalid value`},
		{in: "a:b:1:c:d:e", wantErr: `modulemd: parse NSVCA "a:b:1:c:d:e": 6 fields, want at most 5 (name:stream:version:context:arch): invalid value`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseNSVCA(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || !errors.Is(err, ErrInvalid) {
					t.Fatalf("ParseNSVCA(%q) error = %v, want %q wrapping ErrInvalid", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseNSVCA(%q): %v", tc.in, err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("ParseNSVCA(%q) mismatch (-want +got):\n%s", tc.in, d)
			}
			if rt := got.String(); rt != tc.in {
				t.Errorf("round trip: %q -> %q", tc.in, rt)
			}
		})
	}
}

func TestStreamNSVC(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    Stream
		want string
	}{
		{Stream{Name: "foo", Stream: "a"}, "foo:a:0"},
		{Stream{Name: "foo", Stream: "a", Version: 3, Context: "c"}, "foo:a:3:c"},
		{Stream{Name: "foo", Stream: "a", Version: 3, Context: "c", Arch: "x"}, "foo:a:3:c"},
		{Stream{Name: "foo"}, ""},
		{Stream{Stream: "a"}, ""},
	}
	for _, tc := range tests {
		if got := tc.s.NSVC(); got != tc.want {
			t.Errorf("NSVC() of %+v = %q, want %q", tc.s.NSVCA(), got, tc.want)
		}
	}
	s := Stream{Name: "foo", Stream: "a", Version: 3, Context: "c", Arch: "x"}
	if got, want := s.NSVCA(), (NSVCA{"foo", "a", 3, "c", "x"}); got != want {
		t.Errorf("NSVCA() = %+v, want %+v", got, want)
	}
}

func FuzzParseNSVCA(f *testing.F) {
	for _, s := range []string{"foo", "foo:a:5:c1:x86_64", "foo::5", "a:b:c", ":::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNSVCA(s)
		if err != nil {
			return
		}
		again, err := ParseNSVCA(n.String())
		if err != nil {
			t.Fatalf("ParseNSVCA(%q) ok but re-parsing %q failed: %v", s, n.String(), err)
		}
		if again != n {
			t.Fatalf("round trip of %q: %+v != %+v", s, again, n)
		}
	})
}
