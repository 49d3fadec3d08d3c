package modulemd

// Conformance with libmodulemd, the reference implementation, over every file
// of ../shared/modulemd-specs, ../shared/testdata/libmodulemd and
// ../shared/corpus:
//
//  1. our accept/reject verdict matches libmodulemd's, in lenient and in
//     strict mode, document by document;
//  2. we load the same streams (NSVCA list), defaults and obsoletes;
//  3. what we emit loads in libmodulemd to an index equal to libmodulemd's
//     own load of the input (the oracle's report and its re-emitted dump
//     compared as data).
//
// libmodulemd's answers come live from ../shared/tools/modulemd-oracle when
// it is available (mandatory under MODKIT_REQUIRE_TOOLS=1 for the specs and
// the corpus) and are cached in testdata/oracle/*.json; without the oracle,
// checks 1 and 2 run against the cache and check 3 is skipped.

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// knownDifferences are deliberate departures from libmodulemd 2.14. A
// libmodulemd failure matching one of them is a document we accept.
var knownDifferences = []struct {
	re   *regexp.Regexp // matches libmodulemd's failure ("domain/code: message")
	ours string
	why  string
}{
	{
		regexp.MustCompile(`^modulemd-yaml-error/3: Failed to parse buildorder in component: 18446744073709551615: `),
		"accepted; buildorder read as -1 (and written as -1)",
		"Fedora's libmodulemd build maps 2^64-1 to -1 and real repositories (EuroLinux 8 AppStream) rely on it; Debian's 2.14 build rejects it",
	},
	{
		nil, // libmodulemd 2.14 crashes (SIGSEGV); no shared file has one
		"rejected with a ParseError naming the field",
		"impossible servicelevel dates such as 2077-13-45 make GDate return NULL and libmodulemd dereference it",
	},
	{
		nil, // not a load difference: both dumps lose the same entries
		"every rpm-map entry kept and written",
		"libmodulemd's emitter writes only the first checksum of each digest type (loop bound bug, still in 2.15.3)",
	},
}

func knownDifference(failure string) bool {
	for _, k := range knownDifferences {
		if k.re != nil && k.re.MatchString(failure) {
			return true
		}
	}
	return false
}

func TestConformance(t *testing.T) {
	t.Parallel()
	shared := sharedDir(t)
	t.Run("group", func(t *testing.T) {
		for _, c := range sharedCorpora {
			root := filepath.Join(shared, c.dir)
			for _, rel := range sharedFiles(t, root) {
				t.Run(c.name+"/"+rel, func(t *testing.T) {
					t.Parallel()
					fv, live := expectedVerdict(t, c.name, root, rel, c.name != "libmodulemd")
					path := filepath.Join(root, rel)
					var lenient *Index
					for _, strict := range []bool{false, true} {
						want := fv.Lenient
						if strict {
							want = fv.Strict
						}
						idx := checkLoadVerdict(t, path, strict, want)
						if !strict {
							lenient = idx
						}
					}
					// After a hard error libmodulemd neither keeps a usable
					// index nor dumps it: nothing to compare with.
					if live && lenient != nil && fv.Lenient.Hard == "" {
						checkRoundTrip(t, path, lenient, fv.Lenient)
					}
				})
			}
		}
	})
	if *updateOracle {
		golden.flush(t)
	}
}

// checkLoadVerdict loads path with ReadIndexFile and compares the result with
// libmodulemd's verdict. It returns our index.
func checkLoadVerdict(t *testing.T, path string, strict bool, want oracleVerdict) *Index {
	t.Helper()
	mode := "lenient"
	if strict {
		mode = "strict"
	}
	idx, err := ReadIndexFile(path, &LoadOptions{Strict: strict})
	if idx == nil {
		t.Fatalf("%s: ReadIndexFile returned a nil index (err %v)", mode, err)
	}
	ourBad := map[int][]string{}
	for _, pe := range parseErrors(err) {
		ourBad[pe.Doc] = append(ourBad[pe.Doc], pe.Error())
	}

	// Verdict per document.
	theirBad := map[int]string{}
	deliberate := 0
	for _, f := range want.Failures {
		if knownDifference(f.Error) {
			deliberate++
			continue
		}
		if _, ok := theirBad[f.Doc]; !ok {
			theirBad[f.Doc] = f.Error
		}
	}
	switch {
	case want.Hard != "":
		if err == nil {
			t.Errorf("%s: libmodulemd fails the whole file (%s); we load it without error", mode, want.Hard)
		}
	default:
		for doc, msg := range theirBad {
			if len(ourBad[doc]) == 0 {
				t.Errorf("%s: document %d: libmodulemd rejects it (%s); we accept it", mode, doc, msg)
			}
		}
		for doc, msgs := range ourBad {
			if _, ok := theirBad[doc]; !ok {
				t.Errorf("%s: document %d: libmodulemd accepts it; we reject it:\n  %s", mode, doc, strings.Join(msgs, "\n  "))
			}
		}
	}
	if wantLoaded := want.Loaded || (deliberate > 0 && deliberate == len(want.Failures)); (err == nil) != wantLoaded {
		t.Errorf("%s: loaded=%v, libmodulemd loaded=%v (error: %v)", mode, err == nil, want.Loaded, err)
	}

	// Streams, defaults, obsoletes.
	got := oracleVerdict{StreamMDVersion: int(idx.StreamMDVersion())}
	got.setNSVCAs(ourNSVCAs(idx))
	for _, m := range idx.Modules() {
		if m.Defaults() != nil {
			got.Defaults = append(got.Defaults, m.Name())
		}
		got.Obsoletes += len(m.Obsoletes())
	}
	wantCmp := oracleVerdict{NSVCAs: want.NSVCAs, NSVCACount: want.NSVCACount, NSVCAHash: want.NSVCAHash,
		Defaults: want.Defaults, Obsoletes: want.Obsoletes, StreamMDVersion: want.StreamMDVersion}
	if deliberate > 0 {
		// We hold streams libmodulemd rejected; compare only the count of
		// the others.
		if n := len(ourNSVCAs(idx)); n != max(want.NSVCACount, len(want.NSVCAs))+deliberate {
			t.Errorf("%s: %d streams loaded, want libmodulemd's %d plus %d accepted deliberately", mode, n, max(want.NSVCACount, len(want.NSVCAs)), deliberate)
		}
		got.NSVCAs, got.NSVCACount, got.NSVCAHash = nil, 0, ""
		wantCmp.NSVCAs, wantCmp.NSVCACount, wantCmp.NSVCAHash = nil, 0, ""
	}
	if want.Hard != "" {
		// libmodulemd stopped early; we may have read further (or not as
		// far). Do not compare contents.
		return idx
	}
	if d := cmp.Diff(wantCmp, got); d != "" {
		t.Errorf("%s: loaded content differs from libmodulemd's (-libmodulemd +ours):\n%s", mode, d)
	}
	return idx
}

// ourNSVCAs lists the index's streams the way the oracle does: modules by
// name, then streams by NSVCA string.
func ourNSVCAs(idx *Index) []string {
	var out []string
	for _, m := range idx.Modules() {
		var ss []string
		for _, s := range m.Streams() {
			ss = append(ss, s.NSVCA().String())
		}
		sort.Strings(ss)
		out = append(out, ss...)
	}
	return out
}

// checkRoundTrip dumps our index, loads the dump in libmodulemd and compares
// that with libmodulemd's own load of the input.
func checkRoundTrip(t *testing.T, path string, idx *Index, want oracleVerdict) {
	t.Helper()
	if len(idx.ModuleNames()) == 0 {
		return // nothing to emit; libmodulemd refuses to dump an empty index too
	}
	out, err := idx.Dump()
	if err != nil {
		t.Errorf("Dump() of a loaded index failed: %v", err)
		return
	}
	p := requireOracle(t)
	emitted := filepath.Join(t.TempDir(), "emitted.yaml")
	if err := os.WriteFile(emitted, out, 0o600); err != nil {
		t.Fatal(err)
	}
	theirs, err := p.json(path)
	if err != nil {
		t.Fatal(err)
	}
	ours, err := p.json(emitted)
	if err != nil {
		t.Fatal(err)
	}
	if !ours.Loaded || ours.HardError != nil {
		var msgs []string
		for _, f := range ours.Failures {
			msgs = append(msgs, f.Error.String())
		}
		t.Errorf("libmodulemd does not fully load what we emit: hard error %v, failures:\n  %s", ours.HardError, strings.Join(msgs, "\n  "))
	}
	if ours.Dump == nil || theirs.Dump == nil {
		t.Errorf("libmodulemd could not dump: ours %v, input %v", ours.DumpError, theirs.DumpError)
		return
	}
	deliberate := 0
	for _, f := range want.Failures {
		if knownDifference(f.Error) {
			deliberate++
		}
	}
	if deliberate == 0 {
		// The reports must agree field by field (failures aside: the
		// input may hold documents libmodulemd rejected).
		strip := func(r *oracleReport) oracleReport {
			c := *r
			c.Loaded, c.Failures, c.Dump, c.HardError = false, nil, nil, nil
			return c
		}
		if d := cmp.Diff(strip(theirs), strip(ours)); d != "" {
			t.Errorf("libmodulemd's view of our output differs from its view of the input (-input +ours):\n%s", d)
		}
	}
	// The dumps must hold the same documents (compared as data: key order
	// and translation locale order do not matter). Where we accept documents
	// libmodulemd rejects on purpose, ours may hold exactly that many more.
	theirDocs, err1 := dumpDocs(*theirs.Dump)
	ourDocs, err2 := dumpDocs(*ours.Dump)
	if err1 != nil || err2 != nil {
		t.Fatalf("cannot parse libmodulemd's dumps: %v %v", err1, err2)
	}
	var missing []string
	for k, n := range theirDocs {
		if ourDocs[k] < n {
			missing = append(missing, k)
		}
		ourDocs[k] -= n
	}
	extra := 0
	var extras []string
	for k, n := range ourDocs {
		if n > 0 {
			extra += n
			extras = append(extras, k)
		}
	}
	if len(missing) > 0 || extra != deliberate {
		sort.Strings(missing)
		sort.Strings(extras)
		t.Errorf("libmodulemd's dump of our output differs from its dump of the input: %d documents missing, %d extra (want %d extra accepted deliberately)\nmissing:\n%s\nextra:\n%s",
			len(missing), extra, deliberate, shorten(strings.Join(missing, "\n"), 3000), shorten(strings.Join(extras, "\n"), 3000))
	}
}

// dumpDocs parses a YAML stream into a multiset of its documents, each keyed
// by its canonical JSON.
func dumpDocs(dump string) (map[string]int, error) {
	trees, err := yamlTrees([]byte(dump))
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, tr := range trees {
		b, err := json.Marshal(tr) // map keys come out sorted
		if err != nil {
			return nil, err
		}
		out[string(b)]++
	}
	return out, nil
}

// TestConformanceStrictUnknownKeys is a small self-contained check of the
// strict/lenient split on our own fixture, so the behaviour is covered where
// ../shared is absent.
func TestConformanceStrictUnknownKeys(t *testing.T) {
	t.Parallel()
	const in = `---
document: modulemd-defaults
version: 1
data:
  module: foo
  stream: "1"
  colour: blue
...
`
	if _, err := ReadIndex(strings.NewReader(in), &LoadOptions{Strict: false}); err != nil {
		t.Errorf("lenient load: %v", err)
	}
	_, err := ReadIndex(strings.NewReader(in), &LoadOptions{Strict: true})
	if !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("strict load: error %v, want ErrUnknownKey", err)
	}
	pes := parseErrors(err)
	if len(pes) != 1 || pes[0].Line != 7 || pes[0].Doc != 1 {
		t.Errorf("strict load: %+v, want one error on line 7 of document 1", pes)
	}
	if !bytes.Contains([]byte(err.Error()), []byte("colour")) {
		t.Errorf("error %q does not name the key", err)
	}
}
