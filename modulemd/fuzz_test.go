package modulemd

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecode feeds arbitrary bytes to the decoder (lenient and strict). It
// must never panic, and every document that decodes must encode, decode back
// to an equal document, and encode again to the same bytes; the fast writer
// must agree with yaml.v3's encoder wherever it is used.
func FuzzDecode(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "encode", "*.yaml"))
	for _, p := range seeds {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		minimalStream,
		minimalStream + "...\n---\n" + minimalStream,
		"--- {document: modulemd-defaults, version: 1, data: {module: m, profiles: {a: []}}}\n",
		"document: modulemd\nversion: 2\ndata:\n  xmd: &a {k: [*a]}\n",
		"%YAML 1.1\n---\ndocument: modulemd-obsoletes\nversion: 1\ndata: {modified: 2020-01-01T00:00Z}\n",
		"document: modulemd\r\nversion: 1\r\ndata:\r\n  eol: 2020-02-30\r\n",
		"\xef\xbb\xbfdocument: modulemd-translations\nversion: 1\ndata: {translations: {ja: {summary: x}}}\n",
	} {
		f.Add([]byte(s))
	}
	// Real-world files, when the shared materials are present. Only small
	// ones: the fuzzer minimizes every input that finds new coverage, at a
	// cost quadratic in its size, and reports no executions meanwhile (with
	// 64 KiB seeds a worker spent up to a minute at "0/sec").
	if corpus := filepath.Join("..", "..", "shared", "corpus"); dirExists(corpus) {
		files, _ := filepath.Glob(filepath.Join(corpus, "*.yaml"))
		for _, p := range files {
			if st, err := os.Stat(p); err == nil && st.Size() <= 16<<10 {
				if data, err := os.ReadFile(p); err == nil {
					f.Add(data)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, strict := range []bool{false, true} {
			dec := NewDecoder(bytes.NewReader(data))
			dec.Strict(strict)
			var docs []Document
			for doc, err := range dec.All() {
				if err == nil {
					docs = append(docs, doc)
				}
			}
			if len(docs) == 0 {
				continue
			}
			if _, err := Marshal(docs...); err != nil {
				t.Fatalf("a decoded document does not encode: %v", err)
			}
			roundTrip(t, "fuzz input", docs)
			for _, d := range docs {
				checkFastWriter(t, "fuzz input", d)
			}
		}
	})
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// FuzzDecodeSplit checks the splitter against yaml.v3's sequential stream
// parser on arbitrary input: cutting a stream at its document markers and
// parsing the pieces (in parallel) must give the same documents and the
// same errors, at the same places. Two differences are allowed, both where
// the sequential parser is wrong (see TestDecodeSplitBeatsSequential): the
// split decoder may return documents that the sequential one loses to a
// syntax error further on (which both then report alike), and it refuses
// an alias to an anchor of an earlier document.
func FuzzDecodeSplit(f *testing.F) {
	for _, in := range markerInputs() {
		f.Add([]byte(in))
	}
	for _, in := range robustInputs() {
		if len(in) <= 16<<10 {
			f.Add([]byte(in))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ref := NewDecoder(bytes.NewReader(data))
		ref.wholeSequential = true
		ref.SetFile("in.yaml")
		want := decodeSummary(t, ref)
		dec := NewDecoder(bytes.NewReader(data))
		dec.parallel = true
		dec.SetFile("in.yaml")
		got := decodeSummary(t, dec)
		if slices.Equal(want, got) {
			return
		}
		last := func(s []string) string {
			if len(s) == 0 {
				return ""
			}
			return s[len(s)-1]
		}
		if g := last(got); strings.Contains(g, "YAML syntax error: unknown anchor") && bytes.Contains(data, []byte("*")) {
			return // an alias the sequential parser resolved across documents
		}
		if w, g := last(want), last(got); len(got) == len(want) && slices.Equal(want[:len(want)-1], got[:len(got)-1]) &&
			strings.Contains(w, ": YAML syntax error: ") && errorMessage(w) == errorMessage(g) {
			// The same syntax error, located differently: the sequential
			// parser's mark for an error at the start of a later document
			// can point into an earlier one; the split parse locates it
			// in the document's own text.
			return
		}
		if w, g := last(want), last(got); strings.Contains(w, "YAML syntax error") && charError(g) || strings.Contains(g, "YAML syntax error") && charError(w) {
			// Two real errors, one of them a character yaml.v3's reader
			// refuses: its reader checks the characters of each block it
			// reads, so which error comes first depends on how the input
			// was cut into reads, not on the document.
			if len(got) == len(want) && slices.Equal(want[:len(want)-1], got[:len(got)-1]) {
				return
			}
		}
		if w, g := last(want), last(got); strings.Contains(w, "YAML syntax error") && strings.Contains(g, "YAML syntax error") &&
			len(got) >= len(want) && slices.Equal(want[:len(want)-1], got[:len(want)-1]) && !errorAfter(g, w) {
			// Documents before the error that the sequential parser lost,
			// or an earlier error it did not reach: its lookahead met a
			// scanner error further on first.
			return
		}
		t.Fatalf("split decoding differs from sequential decoding (-sequential +split):\n%s", cmp.Diff(want, got))
	})
}

// errorMessage is error line e without its "error: FILE:L:C: " prefix.
func errorMessage(e string) string {
	if i := strings.Index(e, ": YAML syntax error: "); i >= 0 {
		return e[i:]
	}
	return e
}

// charError reports whether error line e is about a character YAML does
// not allow (findBadChar).
func charError(e string) bool {
	return strings.Contains(e, "YAML syntax error: invalid UTF-8") || strings.Contains(e, "YAML syntax error: control character")
}

// errorAfter reports whether error line a ("error: in.yaml:L:C: ...") is at
// a later place than b.
func errorAfter(a, b string) bool {
	pos := func(s string) (int, int) {
		var l, c int
		fmt.Sscanf(strings.TrimPrefix(s, "error: in.yaml:"), "%d:%d:", &l, &c)
		return l, c
	}
	al, ac := pos(a)
	bl, bc := pos(b)
	return al > bl || al == bl && ac > bc
}
