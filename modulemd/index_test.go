package modulemd

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// newTestStream returns a minimal valid v2 stream.
func newTestStream(name, stream string, version uint64, context, arch string) *Stream {
	return &Stream{
		MDVersionNumber: 2,
		Name:            name, Stream: stream, Version: version, Context: context, Arch: arch,
		Summary: "summary", Description: "description",
		License: License{Module: []string{"MIT"}},
	}
}

func nsvcas(ss []*Stream) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.NSVCA().String()
	}
	return out
}

func TestIndexAddStreamDuplicates(t *testing.T) {
	t.Parallel()
	base := func() []*Stream {
		return []*Stream{newTestStream("foo", "a", 1, "c1", "x86_64")}
	}
	changed := newTestStream("foo", "a", 1, "c1", "x86_64")
	changed.Summary = "other"
	tests := []struct {
		name    string
		add     *Stream
		wantErr error
		wantMsg string
		want    []string
	}{
		{name: "new NSVCA", add: newTestStream("foo", "a", 2, "c1", "x86_64"),
			want: []string{"foo:a:1:c1:x86_64", "foo:a:2:c1:x86_64"}},
		{name: "equal content dedupes", add: newTestStream("foo", "a", 1, "c1", "x86_64"),
			want: []string{"foo:a:1:c1:x86_64"}},
		{name: "different content conflicts", add: changed, wantErr: ErrConflict,
			wantMsg: "data: encountered two streams with matching NSVCA foo:a:1:c1:x86_64 but differing content"},
		{name: "version 0 is a wildcard", add: func() *Stream { s := newTestStream("foo", "a", 0, "c1", "x86_64"); return s }(),
			wantErr: ErrConflict},
		{name: "missing context is a wildcard", add: newTestStream("foo", "a", 1, "", "x86_64"), wantErr: ErrConflict},
		{name: "stream name is a glob", add: newTestStream("foo", "?", 1, "c1", "x86_64"), wantErr: ErrConflict},
		{name: "different context coexists", add: newTestStream("foo", "a", 1, "c2", "x86_64"),
			want: []string{"foo:a:1:c1:x86_64", "foo:a:1:c2:x86_64"}},
		{name: "other module", add: newTestStream("bar", "a", 1, "c1", "x86_64"),
			want: []string{"bar:a:1:c1:x86_64", "foo:a:1:c1:x86_64"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			idx := NewIndex(nil)
			for _, s := range base() {
				if err := idx.AddStream(s); err != nil {
					t.Fatal(err)
				}
			}
			err := idx.AddStream(tc.add)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("AddStream error = %v, want %v", err, tc.wantErr)
				}
				if tc.wantMsg != "" && err.Error() != tc.wantMsg {
					t.Errorf("AddStream error = %q, want %q", err.Error(), tc.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("AddStream: %v", err)
			}
			if d := cmp.Diff(tc.want, nsvcas(idx.Streams())); d != "" {
				t.Errorf("streams mismatch (-want +got):\n%s", d)
			}
		})
	}
}

func TestIndexAddStreamSeveralMatches(t *testing.T) {
	t.Parallel()
	idx := NewIndex(nil)
	for _, s := range []*Stream{newTestStream("foo", "a", 1, "c1", "x86_64"), newTestStream("foo", "a", 2, "c1", "x86_64")} {
		if err := idx.AddStream(s); err != nil {
			t.Fatal(err)
		}
	}
	err := idx.AddStream(newTestStream("foo", "a", 0, "c1", "x86_64"))
	if !errors.Is(err, ErrDuplicate) || !strings.Contains(err.Error(), "foo:a:1:c1:x86_64, foo:a:2:c1:x86_64") {
		t.Fatalf("AddStream = %v, want ErrDuplicate naming both matches", err)
	}
}

func TestIndexAddStreamNeedsNameAndStream(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    *Stream
		want string
	}{
		{newTestStream("", "a", 1, "", ""), "data.name: the module name and stream name are required when adding to an index (missing data.name)"},
		{newTestStream("foo", "", 1, "", ""), "data.stream: the module name and stream name are required when adding to an index (missing data.stream)"},
		{newTestStream("", "", 1, "", ""), "data.name: the module name and stream name are required when adding to an index (missing data.name and data.stream)"},
	}
	for _, tc := range tests {
		err := NewIndex(nil).AddStream(tc.s)
		if !errors.Is(err, ErrMissingField) || err.Error() != tc.want {
			t.Errorf("AddStream = %v, want %q", err, tc.want)
		}
	}
}

func TestIndexMDVersion(t *testing.T) {
	t.Parallel()
	v1 := newTestStream("old", "a", 1, "c", "x")
	v1.MDVersionNumber = 1
	v1.Dependencies = []Dependency{{Requires: map[string][]string{"platform": {"f40"}}}}
	idx := NewIndex(nil)
	if err := idx.AddStream(v1); err != nil {
		t.Fatal(err)
	}
	if got := idx.StreamMDVersion(); got != 1 {
		t.Fatalf("StreamMDVersion = %d, want 1", got)
	}
	if err := idx.AddStream(newTestStream("new", "a", 1, "c", "x")); err != nil {
		t.Fatal(err)
	}
	if got := idx.StreamMDVersion(); got != 2 {
		t.Fatalf("StreamMDVersion = %d, want 2", got)
	}
	for _, s := range idx.Streams() {
		if s.MDVersionNumber != 2 {
			t.Errorf("%s has mdversion %d, want 2", s.NSVCA(), s.MDVersionNumber)
		}
	}
	if v1.MDVersionNumber != 1 {
		t.Errorf("the caller's v1 stream was modified")
	}
	late := newTestStream("late", "a", 1, "c", "x")
	late.MDVersionNumber = 1
	if err := idx.AddStream(late); err != nil {
		t.Fatal(err)
	}
	if got := idx.Module("late").Streams()[0].MDVersionNumber; got != 2 {
		t.Errorf("late v1 stream has mdversion %d, want 2", got)
	}
	if err := idx.UpgradeStreams(1); !errors.Is(err, ErrUpgrade) {
		t.Errorf("UpgradeStreams(1) = %v, want ErrUpgrade", err)
	}
	if err := idx.UpgradeStreams(0); !errors.Is(err, ErrUpgrade) {
		t.Errorf("UpgradeStreams(0) = %v, want ErrUpgrade (0 is a downgrade request)", err)
	}
	if err := idx.UpgradeStreams(3); !errors.Is(err, ErrUpgrade) {
		t.Errorf("UpgradeStreams(3) = %v, want ErrUpgrade", err)
	}
}

func TestIndexObsoletesUpgrades(t *testing.T) {
	t.Parallel()
	v1 := newTestStream("foo", "a", 1, "c", "x")
	v1.MDVersionNumber = 1
	idx := NewIndex(nil)
	if err := idx.AddStream(v1); err != nil {
		t.Fatal(err)
	}
	o := &Obsoletes{MDVersionNumber: 1, Modified: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Module: "foo", Stream: "a", Message: "eol"}
	if err := idx.AddObsoletes(o); err != nil {
		t.Fatal(err)
	}
	if idx.StreamMDVersion() != 2 || idx.Streams()[0].MDVersionNumber != 2 {
		t.Errorf("adding obsoletes did not upgrade the streams to v2")
	}
	if got := idx.Module("foo").StreamObsoletes(idx.Streams()[0]); got != o {
		t.Errorf("StreamObsoletes = %v, want the added obsoletes (association survives the upgrade)", got)
	}
}

func TestIndexObsoletesAssociation(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	mod := func(day int) time.Time { return time.Date(2024, 1, day, 0, 0, 0, 0, time.UTC) }
	obs := func(ctx string, modified time.Time, eol time.Time) *Obsoletes {
		return &Obsoletes{MDVersionNumber: 1, Modified: modified, Module: "foo", Stream: "a", Context: ctx, EOLDate: eol, Message: "m"}
	}
	ctxLessEarly := obs("", mod(1), time.Time{})
	withCtx := obs("c1", mod(1), time.Time{})
	future := obs("", mod(9), time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC))
	newer := obs("", mod(5), time.Time{})
	tests := []struct {
		name string
		docs []Document
		want map[string]*Obsoletes // NSVCA -> associated
	}{
		{
			name: "context-less obsoletes before the stream is not attached",
			docs: []Document{ctxLessEarly, newTestStream("foo", "a", 1, "c1", "x")},
			want: map[string]*Obsoletes{"foo:a:1:c1:x": nil},
		},
		{
			name: "context-less obsoletes after the stream is attached",
			docs: []Document{newTestStream("foo", "a", 1, "c1", "x"), ctxLessEarly},
			want: map[string]*Obsoletes{"foo:a:1:c1:x": ctxLessEarly},
		},
		{
			name: "exact context before the stream is attached",
			docs: []Document{withCtx, newTestStream("foo", "a", 1, "c1", "x"), newTestStream("foo", "a", 1, "c2", "x")},
			want: map[string]*Obsoletes{"foo:a:1:c1:x": withCtx, "foo:a:1:c2:x": nil},
		},
		{
			name: "tie: context-less does not displace one with a context",
			docs: []Document{newTestStream("foo", "a", 1, "c1", "x"), withCtx, ctxLessEarly},
			want: map[string]*Obsoletes{"foo:a:1:c1:x": withCtx},
		},
		{
			name: "tie: later with a context wins",
			docs: []Document{newTestStream("foo", "a", 1, "c1", "x"), ctxLessEarly, withCtx},
			want: map[string]*Obsoletes{"foo:a:1:c1:x": withCtx},
		},
		{
			name: "newer wins, inactive ignored",
			docs: []Document{newTestStream("foo", "a", 1, "c1", "x"), newer, ctxLessEarly, future},
			want: map[string]*Obsoletes{"foo:a:1:c1:x": newer},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			idx := NewIndex(&IndexOptions{Now: func() time.Time { return now }})
			for _, d := range tc.docs {
				if err := idx.Add(d); err != nil {
					t.Fatal(err)
				}
			}
			m := idx.Module("foo")
			for _, s := range m.Streams() {
				if got, want := m.StreamObsoletes(s), tc.want[s.NSVCA().String()]; got != want {
					t.Errorf("%s: associated %+v, want %+v", s.NSVCA(), got, want)
				}
			}
		})
	}
	// ActiveObsoletesAt: exact context, newest active.
	idx := NewIndex(&IndexOptions{Now: func() time.Time { return now }})
	for _, o := range []*Obsoletes{ctxLessEarly, newer, future, withCtx} {
		if err := idx.AddObsoletes(o); err != nil {
			t.Fatal(err)
		}
	}
	m := idx.Module("foo")
	if got := m.ActiveObsoletesAt("a", "", now); got != newer {
		t.Errorf("ActiveObsoletesAt(a, \"\") = %+v, want the newest active context-less one", got)
	}
	if got := m.ActiveObsoletesAt("a", "c1", now); got != withCtx {
		t.Errorf("ActiveObsoletesAt(a, c1) = %+v, want the c1 one", got)
	}
	if got := m.ActiveObsoletesAt("a", "", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)); got != future {
		t.Errorf("ActiveObsoletesAt in 3000 = %+v, want the one that became active", got)
	}
	if got := len(m.Obsoletes()); got != 4 {
		t.Errorf("len(Obsoletes) = %d, want 4", got)
	}
	// Same stream, context and modified replaces.
	repl := obs("", mod(5), time.Time{})
	repl.Message = "replacement"
	if err := idx.AddObsoletes(repl); err != nil {
		t.Fatal(err)
	}
	if got := m.Obsoletes(); len(got) != 4 || got[1] != repl {
		t.Errorf("replacement did not take the place of the equal-key obsoletes: %v", got)
	}
}

func TestIndexDefaultsAndTranslations(t *testing.T) {
	t.Parallel()
	idx := NewIndex(nil)
	d1 := &Defaults{MDVersionNumber: 1, Module: "foo", Stream: "a", Modified: 5}
	d2 := &Defaults{MDVersionNumber: 1, Module: "foo", Stream: "b", Modified: 1}
	for _, d := range []*Defaults{d1, d2} {
		if err := idx.AddDefaults(d); err != nil {
			t.Fatal(err)
		}
	}
	if idx.Defaults("foo") != d2 {
		t.Errorf("later defaults did not replace the earlier ones regardless of modified")
	}
	if d := cmp.Diff(map[string]string{"foo": "b"}, idx.DefaultStreams()); d != "" {
		t.Errorf("DefaultStreams mismatch (-want +got):\n%s", d)
	}
	if err := idx.AddDefaults(&Defaults{MDVersionNumber: 2, Module: "x"}); !errors.Is(err, ErrUnknownDocument) {
		t.Errorf("AddDefaults(v2) = %v, want ErrUnknownDocument", err)
	}
	if err := idx.AddDefaults(&Defaults{MDVersionNumber: 1}); err != nil {
		t.Fatal(err)
	}
	if idx.Defaults(DefaultsPlaceholder) == nil {
		t.Errorf("defaults without a module name are not kept under %s", DefaultsPlaceholder)
	}
	t1 := &Translations{MDVersionNumber: 1, Module: "foo", Stream: "a", Modified: 9}
	t2 := &Translations{MDVersionNumber: 1, Module: "foo", Stream: "a", Modified: 1}
	t3 := &Translations{MDVersionNumber: 1, Module: "foo", Stream: "0", Modified: 1}
	for _, tr := range []*Translations{t1, t2, t3} {
		if err := idx.Add(tr); err != nil {
			t.Fatal(err)
		}
	}
	if got := idx.Module("foo").Translations(); len(got) != 2 || got[0] != t3 || got[1] != t2 {
		t.Errorf("Translations = %v, want [t3 t2] (later replaces, sorted by stream)", got)
	}
	if err := idx.Add(&Packager{MDVersionNumber: 3}); err == nil || !strings.Contains(err.Error(), "modulemd-packager document ignored") {
		t.Errorf("Add(packager) = %v, want a refusal", err)
	}
	if d := cmp.Diff([]string{DefaultsPlaceholder, "foo"}, idx.ModuleNames()); d != "" {
		t.Errorf("ModuleNames mismatch (-want +got):\n%s", d)
	}
}

func TestIndexSearch(t *testing.T) {
	t.Parallel()
	idx := NewIndex(nil)
	for _, s := range []*Stream{
		newTestStream("foo", "a", 9, "c1", "x86_64"),
		newTestStream("foo", "a", 10, "c1", "x86_64"),
		newTestStream("foo", "a", 10, "c0", "x86_64"),
		newTestStream("foo", "b", 1, "c1", "aarch64"),
		newTestStream("bar", "a", 1, "", ""),
		newTestStream("foo/x", "a", 1, "c", "x"),
	} {
		if err := idx.AddStream(s); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		q    *Query
		glob string
		want []string
	}{
		{name: "all", q: &Query{}, want: []string{"bar:a:1", "foo:a:10:c0:x86_64", "foo:a:10:c1:x86_64", "foo:a:9:c1:x86_64", "foo:b:1:c1:aarch64", "foo/x:a:1:c:x"}},
		{name: "by stream", q: &Query{Name: "foo", Stream: "a"}, want: []string{"foo:a:10:c0:x86_64", "foo:a:10:c1:x86_64", "foo:a:9:c1:x86_64"}},
		{name: "version glob", q: &Query{Version: "1*"}, want: []string{"bar:a:1", "foo:a:10:c0:x86_64", "foo:a:10:c1:x86_64", "foo:b:1:c1:aarch64", "foo/x:a:1:c:x"}},
		{name: "context never matches unset", q: &Query{Context: "*"}, want: []string{"foo:a:10:c0:x86_64", "foo:a:10:c1:x86_64", "foo:a:9:c1:x86_64", "foo:b:1:c1:aarch64", "foo/x:a:1:c:x"}},
		{name: "arch bracket", q: &Query{Arch: "[!x]*"}, want: []string{"foo:b:1:c1:aarch64"}},
		{name: "name glob", q: &Query{Name: "f*"}, want: []string{"foo:a:10:c0:x86_64", "foo:a:10:c1:x86_64", "foo:a:9:c1:x86_64", "foo:b:1:c1:aarch64", "foo/x:a:1:c:x"}},
		{name: "nsvca glob", glob: "foo:a:*", want: []string{"foo:a:10:c0:x86_64", "foo:a:10:c1:x86_64", "foo:a:9:c1:x86_64"}},
		{name: "nsvca star crosses slash", glob: "*x:a:1*", want: []string{"foo/x:a:1:c:x"}},
		{name: "nsvca exact short", glob: "bar:a:1", want: []string{"bar:a:1"}},
		{name: "no match", q: &Query{Name: "nope"}, want: []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []*Stream
			if tc.q != nil {
				got = idx.Search(*tc.q)
			} else {
				got = idx.SearchNSVCA(tc.glob)
			}
			if d := cmp.Diff(tc.want, nsvcas(got)); d != "" {
				t.Errorf("mismatch (-want +got):\n%s", d)
			}
		})
	}
	// Dump order is NSVCA strcmp: "10" before "9".
	if d := cmp.Diff([]string{"foo:a:10:c0:x86_64", "foo:a:10:c1:x86_64", "foo:a:9:c1:x86_64", "foo:b:1:c1:aarch64"},
		nsvcas(idx.Module("foo").Streams())); d != "" {
		t.Errorf("Module.Streams order mismatch (-want +got):\n%s", d)
	}
}

func TestFnmatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"*", "", true},
		{"*", "a/b", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"[abc]x", "bx", true},
		{"[!abc]x", "bx", false},
		{"[^abc]x", "dx", true},
		{"[a-c]", "b", true},
		{"[]]", "]", true},
		{"[", "[", true},
		{"[a", "[a", true},
		{`\*`, "*", true},
		{`\*`, "a", false},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
		{"?", "é", true},
		{"*.txt", ".txt", true},
	}
	for _, tc := range tests {
		if got := fnmatch(tc.pattern, tc.name); got != tc.want {
			t.Errorf("fnmatch(%q, %q) = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
}
