package modulemd

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// checkFastWriter asserts that, wherever the fast writer renders a document,
// it writes exactly what yaml.v3's encoder writes. It reports whether the
// fast writer handled the document.
func checkFastWriter(t testing.TB, name string, doc Document) bool {
	t.Helper()
	root, err := docNode(doc)
	if err != nil {
		return false
	}
	fast, ok := renderFast(root)
	slow, err := renderYAMLv3(root)
	if err != nil {
		t.Errorf("%s: yaml.v3 cannot encode: %v", name, err)
		return false
	}
	if ok {
		if d := cmp.Diff(string(slow), string(fast)); d != "" {
			t.Errorf("%s: fast writer differs from yaml.v3 (-yaml.v3 +fast):\n%s", name, d)
		}
	}
	return ok
}

func TestFastWriterMatchesYAMLv3Shared(t *testing.T) {
	t.Parallel()
	shared := sharedDir(t)
	fast, all := 0, 0
	for _, c := range sharedCorpora {
		dir := shared + "/" + c.dir
		for _, f := range sharedFiles(t, dir) {
			docs, _ := ReadFile(dir + "/" + f)
			for i, d := range docs {
				all++
				if checkFastWriter(t, fmt.Sprintf("%s/%s #%d", c.dir, f, i+1), d) {
					fast++
				}
			}
		}
	}
	t.Logf("fast writer handled %d of %d documents", fast, all)
	if fast < all*8/10 {
		t.Errorf("fast writer handled only %d of %d documents; expected most", fast, all)
	}
}

// TestFastWriterRandom compares the two renderings on random documents built
// from an alphabet rich in YAML-significant characters.
func TestFastWriterRandom(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "Z", "0", "1", " ", "\n", ":", "#", "-", ".", ",", "[", "]", "{", "}", "'", `"`,
		"\\", "?", "!", "&", "*", "|", ">", "%", "@", "`", "~", "_", "/", "é", "\t", "x"}
	safe := []string{"a", "b", "Z", "0", "1", " ", "-", ".", "_", "/", "(", ")", "\n", ":", "#", "a", "b", "c", "d"}
	abc := alphabet
	str := func() string {
		var b strings.Builder
		for range r.IntN(8) {
			b.WriteString(abc[r.IntN(len(abc))])
		}
		return b.String()
	}
	var xmd func(depth int) any
	xmd = func(depth int) any {
		switch k := r.IntN(5); {
		case k == 0 || depth > 3:
			if r.IntN(3) == 0 {
				return str()
			}
			return "v"
		case k == 1:
			return r.IntN(2) == 0
		case k == 2:
			l := []any{}
			for range r.IntN(4) {
				l = append(l, xmd(depth+1))
			}
			return l
		default:
			m := map[string]any{}
			for i := range r.IntN(4) {
				k := "k" + itoa(i)
				if r.IntN(4) == 0 {
					k = str()
				}
				m[k] = xmd(depth + 1)
			}
			return m
		}
	}
	handled := 0
	for i := range 5000 {
		abc = alphabet
		if i%4 != 0 {
			abc = safe
		}
		// A fixed document with a few slots filled at random.
		pick := func(fixed string) string {
			if r.IntN(6) == 0 {
				return str()
			}
			return fixed
		}
		x, err := NewXMD(map[string]any{pick("x"): xmd(r.IntN(3) + 1)})
		if err != nil {
			continue // a value NewXMD refuses (invalid UTF-8, "TRUE")
		}
		s := &Stream{MDVersionNumber: 2, Name: pick("n"), Stream: pick("s"), Summary: pick("sum"),
			Description:  pick("d") + pick("\n") + pick("e"),
			XMD:          x,
			Profiles:     map[string]Profile{pick("p"): {Description: pick("pd"), RPMs: []string{pick("r1"), pick("r2")}}},
			Dependencies: []Dependency{{Requires: map[string][]string{pick("m"): {pick("s1"), pick("s2")}}}},
			BuildOpts:    &BuildOpts{RPMs: &RPMBuildOpts{Macros: pick("%m 1") + "\n"}, Arches: []string{pick("x86_64")}},
			Components:   Components{RPMs: map[string]*RPMComponent{pick("c"): {Rationale: pick("why\n")}}},
		}
		if checkFastWriter(t, fmt.Sprintf("random document %d", i), s) {
			handled++
		}
	}
	if handled < 100 {
		t.Errorf("fast writer handled only %d random documents; the test exercises too little", handled)
	}
}
