package modulemd

import (
	"errors"
	"strings"
	"testing"
)

// TestDecodeSyntaxErrorPlace checks that yaml.v3's syntax errors, which
// carry a line at best, come out with the line and column of the character
// where parsing failed, in the first document (decoded in Decode), in a
// later one (cut from the stream) and in a stream parsed sequentially (the
// splitter's fallback), in a small stream and in parallel.
func TestDecodeSyntaxErrorPlace(t *testing.T) {
	t.Parallel()
	head := "document: modulemd-defaults\nversion: 1\ndata:\n"
	tests := []struct {
		name      string
		body      string // follows head
		line, col int    // in body (line 1 is the line after "data:")
		msg       string
	}{
		{"bad indentation", "  module: a\n stream: s\n", 2, 2, "did not find expected key"},
		{"dedent into a mapping", "  module: a\n  profiles:\n    s: [x]\n   t: [y]\n", 4, 4, "did not find expected key"},
		{"unclosed double quote", "  module: \"a\n  stream: s\n", 1, 11, "found unexpected end of stream"},
		{"unclosed single quote", "  module: a\n  stream: 'sx\n", 2, 11, "found unexpected end of stream"},
		{"tab indentation", "  module: a\n\tstream: s\n", 2, 1, "found a tab character that violates indentation"},
		{"tab after indentation", "  module: a\n  \tstream: s\n", 2, 3, "found a tab character that violates indentation"},
		{"unclosed flow mapping", "  module: a\n  profiles: {s: [x]\n  stream: s\n", 2, 13, "did not find expected ',' or '}'"},
		{"unclosed flow sequence", "  module: a\n  profiles: {s: [x, y}\n", 2, 17, "did not find expected ',' or ']'"},
		{"two values on a line", "  module: a: b\n", 1, 12, "mapping values are not allowed in this context"},
		{"reserved indicator", "  module: @a\n", 1, 11, "found character that cannot start any token"},
		{"backquote", "  module: `a\n", 1, 11, "found character that cannot start any token"},
		{"sequence in a mapping", "  module: a\n  - x\n", 2, 3, "did not find expected key"},
		{"unknown alias", "  module: a\n  stream: *nope\n", 2, 11, "unknown anchor 'nope' referenced"},
		{"bad block scalar header", "  module: a\n  stream: |x\n    s\n", 2, 12, "did not find expected comment or line break"},
		{"tab in a block scalar", "  module: a\n  stream: |\n\ts\n", 3, 1, "found a tab character where an indentation space is expected"},
		{"unknown escape", "  module: \"a\\qb\"\n", 1, 14, "found unknown escape character"},
		{"text after a quoted scalar", "  module: \"a\" b\n", 1, 15, "did not find expected key"},
		{"empty anchor", "  module: &\n", 1, 11, "did not find expected alphabetic or numeric character"},
		{"stray closing bracket", "  module: a\n]\n", 2, 1, "did not find expected key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			first := head + tt.body
			streams := []struct {
				name       string
				in         string
				lineOffset int
			}{
				{"first document", first, 3},
				{"second document", "---\n" + head + "  module: z\n---\n" + first, 9},
				{"sequential parser", "%YAML 1.1\n---\n" + head + "  module: z\n...\n%YAML 1.1\n---\n" + first, 12},
			}
			for _, s := range streams {
				for _, parallel := range []bool{false, true} {
					dec := NewDecoder(strings.NewReader(s.in))
					dec.SetFile("bad.yaml")
					dec.parallel = parallel
					var pe *ParseError
					for _, err := range dec.All() {
						if err != nil && !errors.As(err, &pe) {
							t.Fatalf("%s: error %v is not a *ParseError", s.name, err)
						}
					}
					if pe == nil || !errors.Is(pe, ErrSyntax) {
						t.Fatalf("%s: got %v; want a syntax error", s.name, pe)
					}
					line := tt.line + s.lineOffset
					if pe.Line != line || pe.Column != tt.col || pe.Msg != "YAML syntax error: "+tt.msg || pe.File != "bad.yaml" {
						t.Errorf("%s (parallel=%v): got %q at %s:%d:%d; want %q at bad.yaml:%d:%d",
							s.name, parallel, pe.Msg, pe.File, pe.Line, pe.Column, tt.msg, line, tt.col)
					}
				}
			}
		})
	}
}
