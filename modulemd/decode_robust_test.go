package modulemd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// decodeSummary decodes in with dec and renders what came out (each
// document encoded, or its error with location) for comparison.
func decodeSummary(t *testing.T, dec *Decoder) []string {
	t.Helper()
	var out []string
	for doc, err := range dec.All() {
		if err != nil {
			out = append(out, "error: "+err.Error())
			continue
		}
		b, merr := Marshal(doc)
		if merr != nil {
			t.Fatalf("a decoded document does not encode: %v", merr)
		}
		src := doc.Source()
		out = append(out, fmt.Sprintf("doc %d line %d:\n%s", src.Doc, src.Line, b))
	}
	return out
}

// robustInputs are streams that exercise the decoder's paths: small and
// large, several documents, per-document errors, syntax errors and the
// splitter's fallback to sequential parsing.
func robustInputs() map[string]string {
	def := func(m string) string {
		return "document: modulemd-defaults\nversion: 1\ndata: {module: " + m + ", stream: s}\n"
	}
	var many strings.Builder
	for i := range 600 {
		fmt.Fprintf(&many, "---\n%s", strings.Replace(minimalStream, "name: foo", fmt.Sprintf("name: m%d", i), 1))
		if i%11 == 5 {
			many.WriteString("  version: bad\n")
		}
	}
	return map[string]string{
		"one document":        minimalStream,
		"two documents":       def("a") + "---\n" + def("b"),
		"per-document errors": def("a") + "---\ndocument: modulemd-defaults\nversion: 9\ndata: {}\n---\n" + def("b"),
		"syntax error ends":   def("a") + "---\ndata: [unclosed\n---\n" + def("b"),
		"fallback":            def("a") + "...\n%YAML 1.1\n---\n" + def("b"),
		"lone CR":             strings.ReplaceAll(def("a")+"---\n"+def("b"), "\n", "\r"),
		"many documents":      many.String(),
		"many syntax error":   many.String() + "---\ndata: {\n---\n" + def("z"),
		"empty documents":     strings.Repeat("---\n", 300) + def("a"),
	}
}

// TestDecodeSequentialMatchesParallel checks that small streams, decoded in
// Decode itself, give exactly what the parallel workers give.
func TestDecodeSequentialMatchesParallel(t *testing.T) {
	t.Parallel()
	for name, in := range robustInputs() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, strict := range []bool{false, true} {
				seq := NewDecoder(strings.NewReader(in))
				seq.Strict(strict)
				seq.SetFile("in.yaml")
				par := NewDecoder(strings.NewReader(in))
				par.Strict(strict)
				par.SetFile("in.yaml")
				par.parallel = true
				want := decodeSummary(t, par)
				if len(want) == 0 {
					t.Fatal("the input decoded to nothing")
				}
				if d := cmp.Diff(want, decodeSummary(t, seq)); d != "" {
					t.Errorf("strict=%v: default decoding differs from parallel decoding (-parallel +default):\n%s", strict, d)
				}
			}
		})
	}
}

// endless is a reader of an endless line without a line break.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

// chunked hands out at most n bytes per Read, as a pipe does.
type chunked struct {
	r io.Reader
	n int
}

func (c chunked) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

// noHang runs f and fails the test if it has not returned before the test's
// deadline (or a generous fallback): a hang detector, not a timing check.
func noHang(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	ctx := t.Context()
	var limit <-chan time.Time
	if _, ok := t.Deadline(); !ok {
		limit = time.After(2 * time.Minute)
	}
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatalf("%s: did not return", what)
	case <-limit:
		t.Fatalf("%s: did not return within 2 minutes", what)
	}
}

// TestSplitterLineLimit: a stream that never breaks its line once was read
// into memory without bound (the document size limit was checked per
// line), and the search for the line break rescanned it on every read.
func TestSplitterLineLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		r    io.Reader
		line int
	}{
		{"endless line", endless{}, 1},
		{"endless line in small reads", chunked{endless{}, 4096}, 1},
		{"endless line after a document", io.MultiReader(strings.NewReader("---\na: b\n---\nc: d\n"), endless{}), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			noHang(t, tt.name, func() {
				s := newSplitter(tt.r)
				s.limit = 1 << 20
				var err error
				for range 10 {
					var c chunk
					c, err = s.next()
					if err != nil || c.kind == chunkEOF {
						break
					}
				}
				var pe *ParseError
				if !errors.Is(err, ErrLimit) || !errors.As(err, &pe) || pe.Line != tt.line {
					t.Errorf("error %v; want ErrLimit at line %d", err, tt.line)
				}
				if len(s.buf) > 4<<20 {
					t.Errorf("the splitter holds %d bytes; want about its 1 MiB limit", len(s.buf))
				}
			})
		})
	}
}

// TestDecodeFuzzRegressions decodes the inputs under testdata/fuzz (inputs
// the fuzzers found interesting or slow) under a hang detector, and checks
// that documents that decode round-trip.
func TestDecodeFuzzRegressions(t *testing.T) {
	t.Parallel()
	var files []string
	for _, target := range []string{"FuzzDecode", "FuzzReadIndex"} {
		fs, _ := filepath.Glob(filepath.Join("testdata", "fuzz", target, "*"))
		files = append(files, fs...)
	}
	inputs := map[string][]byte{}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		v, err := parseFuzzCorpusFile(b)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		inputs[p] = v
	}
	for name, in := range robustInputs() {
		inputs[name] = []byte(in)
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			noHang(t, name, func() {
				for _, strict := range []bool{false, true} {
					dec := NewDecoder(bytes.NewReader(in))
					dec.Strict(strict)
					var docs []Document
					for doc, err := range dec.All() {
						if err == nil {
							docs = append(docs, doc)
						}
					}
					if len(docs) > 0 {
						roundTrip(t, name, docs)
					}
				}
				idx, _ := ReadIndex(bytes.NewReader(in), nil)
				if out, err := idx.Dump(); err == nil {
					if _, err := ReadIndex(bytes.NewReader(out), nil); err != nil {
						t.Errorf("the index dump does not load back: %v", err)
					}
				}
			})
		})
	}
}

// parseFuzzCorpusFile reads a "go test fuzz v1" file holding one []byte.
func parseFuzzCorpusFile(b []byte) ([]byte, error) {
	const head = "go test fuzz v1\n"
	if !bytes.HasPrefix(b, []byte(head)) {
		return nil, errors.New("not a go test fuzz v1 file")
	}
	s := strings.TrimSpace(string(b[len(head):]))
	if !strings.HasPrefix(s, "[]byte(") || !strings.HasSuffix(s, ")") {
		return nil, errors.New("not a single []byte value")
	}
	v, err := strconv.Unquote(s[len("[]byte(") : len(s)-1])
	return []byte(v), err
}

// TestDecoderValidateWith checks that validation in the decoder gives what
// decoding and then calling ValidateWith gives, documents included.
func TestDecoderValidateWith(t *testing.T) {
	t.Parallel()
	for name, in := range robustInputs() {
		for _, source := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/source=%v", name, source), func(t *testing.T) {
				t.Parallel()
				opts := &ValidateOptions{Source: source}
				var want []string
				dec := NewDecoder(strings.NewReader(in))
				dec.SetFile("in.yaml")
				for doc, err := range dec.All() {
					if err != nil {
						want = append(want, "nil: "+err.Error())
						continue
					}
					line := fmt.Sprintf("doc %d", doc.Source().Doc)
					if err := ValidateWith(doc, opts); err != nil {
						line += ": " + err.Error()
					}
					want = append(want, line)
				}
				var got []string
				dec = NewDecoder(strings.NewReader(in))
				dec.SetFile("in.yaml")
				dec.ValidateWith(opts)
				for doc, err := range dec.All() {
					if doc == nil {
						got = append(got, "nil: "+err.Error())
						continue
					}
					line := fmt.Sprintf("doc %d", doc.Source().Doc)
					if err != nil {
						line += ": " + err.Error()
					}
					got = append(got, line)
				}
				if d := cmp.Diff(want, got); d != "" {
					t.Errorf("(-decode then validate +validating decoder):\n%s", d)
				}
			})
		}
	}
}

// markerInputs are streams where a line looks like a document marker, or
// is one where a scalar or collection is still open: in block scalars,
// quoted scalars, plain multi-line scalars and flow collections, valid and
// not. The splitter cuts them without parsing, so each must come out as
// yaml.v3's own stream parser reads them, errors and positions included.
func markerInputs() map[string]string {
	def := func(m string) string {
		return "document: modulemd-defaults\nversion: 1\ndata:\n  module: " + m + "\n"
	}
	head := "document: modulemd-defaults\nversion: 1\ndata:\n"
	return map[string]string{
		"markers indented in a literal block":  "---\n" + head + "  module: a\n  x: |\n    ---\n    ...\n    --- x\n  stream: s\n---\n" + def("b"),
		"markers indented in a folded block":   "---\n" + head + "  module: a\n  x: >-\n    text\n\n    ---\n    ...\n---\n" + def("b"),
		"block scalar then marker":             "---\n" + head + "  module: a\n  x: |\n    text\n---\n" + def("b"),
		"block scalar with keep then marker":   "---\n" + head + "  module: a\n  x: |+\n    text\n\n---\n" + def("b"),
		"root block scalar":                    "--- |\ntext at column 0\n---\n" + def("b"),
		"root block scalar with markers":       "--- |\n  ---\n  ...\n---\n" + def("b"),
		"dash line in a double-quoted string":  "---\n" + head + "  module: \"a\n---\n  b\"\n---\n" + def("c"),
		"dots line in a double-quoted string":  "---\n" + head + "  module: \"a\n...\n  b\"\n---\n" + def("c"),
		"dash line in a single-quoted string":  "---\n" + head + "  module: 'a\n---\n  b'\n---\n" + def("c"),
		"marker-like text in quoted strings":   "---\n" + head + "  module: \"a\n  --- b\n  ... c\"\n  stream: '---'\n---\n" + def("c"),
		"dash line in a flow sequence":         "---\n" + head + "  module: a\n  profiles: {s: [x,\n---\n  y]}\n---\n" + def("c"),
		"dots line in a flow mapping":          "---\n" + head + "  module: a\n  profiles: {s: [x],\n...\n  }\n---\n" + def("c"),
		"dash with tab":                        "---\t\n" + def("a") + "---\t# c\n" + def("b"),
		"dash followed by text":                "---\n" + head + "  module: a\n  x:\n    ---x: 1\n---\n" + def("b"),
		"dashes at column 0 as a key":          "---\n" + head + "  module: a\n---x: 1\n---\n" + def("b"),
		"content after end marker":             def("a") + "... x\n---\n" + def("b"),
		"end marker then directive":            def("a") + "...\n%YAML 1.1\n---\n" + def("b"),
		"end marker in a comment":              def("a") + "# ...\n#---\n---\n" + def("b"),
		"marker inside a document of errors":   def("a") + "---\n" + head + "  module: [a\n---\n" + def("b"),
		"unclosed quote at the end":            def("a") + "---\n" + head + "  module: \"a\n",
		"empty documents between":              def("a") + "---\n---\n...\n---\n" + def("b"),
		"bad indentation after a marker":       def("a") + "---\n" + head + "  module: a\n stream: s\n---\n" + def("b"),
		"tab indentation":                      def("a") + "---\n" + head + "\tmodule: a\n---\n" + def("b"),
		"duplicate key":                        def("a") + "---\n" + head + "  module: a\n  module: b\n---\n" + def("c"),
		"markers with CRLF":                    strings.ReplaceAll("---\n"+head+"  module: a\n  x: |\n    ---\n---\n"+def("b"), "\n", "\r\n"),
		"bad flow mapping":                     def("a") + "---\n" + head + "  module: {a: b\n  stream: s\n---\n" + def("c"),
		"block scalar indicator then dashes":   "---\n" + head + "  module: a\n  x: |\n---\n" + def("b"),
		"document start with content":          "--- " + strings.ReplaceAll(strings.TrimSuffix(def("a"), "\n"), "\n", "\n") + "\n--- {document: modulemd-defaults, version: 1, data: {module: b}}\n",
		"long stream with a marker in a block": strings.Repeat("---\n"+head+"  module: a\n  x: |\n    ---\n    ...\n", 200),
	}
}

// TestDecodeSplitBeatsSequential covers the two streams where cutting at
// document markers gives a different result from yaml.v3's sequential
// stream parser, because the sequential parser is wrong: it resolves an
// alias to an anchor of an earlier document (anchors are local to their
// document, and libmodulemd refuses the alias), and it loses a valid
// document to a syntax error in the next one, which its two-token lookahead
// reaches before it returns the first (libyaml's does not).
func TestDecodeSplitBeatsSequential(t *testing.T) {
	t.Parallel()
	head := "document: modulemd-defaults\nversion: 1\ndata:\n"
	doc1 := "doc 1 line 1:\n---\ndocument: modulemd-defaults\nversion: 1\ndata:\n  module: a\n...\n"
	tests := []struct {
		name, in  string
		want, seq []string
	}{
		{"anchors do not cross documents", "---\n" + head + "  module: &m a\n---\n" + head + "  module: *m\n",
			[]string{doc1, "error: in.yaml:10:11: YAML syntax error: unknown anchor 'm' referenced"},
			[]string{doc1, "doc 2 line 6:\n---\ndocument: modulemd-defaults\nversion: 1\ndata:\n  module: a\n...\n"}},
		{"dash line in a plain scalar", "---\n" + head + "  module: a\n    b\n---\n  c\n" + head + "  module: d\n",
			[]string{strings.Replace(doc1, "module: a", "module: a b", 1),
				"error: in.yaml:9:9: YAML syntax error: mapping values are not allowed in this context"},
			[]string{"error: in.yaml:9:9: YAML syntax error: mapping values are not allowed in this context"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, parallel := range []bool{false, true} {
				dec := NewDecoder(strings.NewReader(tt.in))
				dec.parallel = parallel
				dec.SetFile("in.yaml")
				if d := cmp.Diff(tt.want, decodeSummary(t, dec)); d != "" {
					t.Errorf("parallel=%v (-want +got):\n%s", parallel, d)
				}
			}
			ref := NewDecoder(strings.NewReader(tt.in))
			ref.wholeSequential = true
			ref.SetFile("in.yaml")
			if d := cmp.Diff(tt.seq, decodeSummary(t, ref)); d != "" {
				t.Errorf("yaml.v3's sequential parser changed; revisit this test (-old +new):\n%s", d)
			}
		})
	}
}

// TestDecodeSplitMatchesSequential checks that cutting a stream at its
// document markers and parsing the documents on their own (in Decode for a
// small stream, in parallel for a large one) gives exactly what yaml.v3's
// sequential stream parser gives: the same documents, and the same errors
// at the same file:line:col.
func TestDecodeSplitMatchesSequential(t *testing.T) {
	t.Parallel()
	inputs := markerInputs()
	for name, in := range robustInputs() {
		inputs["robust: "+name] = in
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, strict := range []bool{false, true} {
				ref := NewDecoder(strings.NewReader(in))
				ref.wholeSequential = true
				ref.Strict(strict)
				ref.SetFile("in.yaml")
				want := decodeSummary(t, ref)
				for _, parallel := range []bool{false, true} {
					dec := NewDecoder(strings.NewReader(in))
					dec.parallel = parallel
					dec.Strict(strict)
					dec.SetFile("in.yaml")
					if d := cmp.Diff(want, decodeSummary(t, dec)); d != "" {
						t.Errorf("strict=%v parallel=%v: split decoding differs from sequential decoding (-sequential +split):\n%s", strict, parallel, d)
					}
				}
			}
		})
	}
}
