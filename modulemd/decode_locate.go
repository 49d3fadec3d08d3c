package modulemd

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// yaml.v3 reports a syntax error with a line at best: which line (where the
// offending token is, or where the scalar or collection it was reading
// started) depends on the error, and there is never a column. locateSyntax
// finds the place with yaml.v3 itself: the shortest prefix of the document
// on which the parser fails with the same error is the one that ends at the
// offending character. Each prefix is closed with a "..." line, which ends
// every open block collection cleanly, so a prefix cut before the problem
// parses without error instead of failing for being cut; and the text is
// parsed after one blank line, so that yaml.v3 always names the line of the
// construct that failed (it leaves out line numbers of the first line).

// Bounds on the search, which runs once per stream (a syntax error ends it).
const (
	locateMaxParses = 4000
	locateMaxBytes  = 256 << 20
)

// locateSyntax gives pe, a syntax error found parsing data (whose first line
// is line lineOff+1 of the stream), the line and column of the character
// where the parser failed. When it cannot find it, pe keeps its line (line
// 1 when yaml.v3 named none) and gets the column of the line's first
// character that is not white space.
func locateSyntax(pe *ParseError, data []byte, lineOff int) {
	if pe.Line == 0 {
		// yaml.v3 leaves out the line when it is the first.
		pe.Line = lineOff + 1
	}
	if off, ok := findSyntaxOffset(data); ok {
		pe.Line, pe.Column = lineColAt(data, off)
		pe.Line += lineOff
		return
	}
	if pe.Column == 0 {
		pe.Column = firstColumn(data, pe.Line-lineOff)
	}
}

// findSyntaxOffset returns the offset in data of the character at which
// yaml.v3 fails, as described above.
func findSyntaxOffset(data []byte) (int, bool) {
	ref := prefixError(data, len(data), false)
	if ref == "" {
		return 0, false
	}
	parses, parsed := 0, 0
	match := func(n int) bool {
		parses++
		parsed += n
		return sameSyntaxError(prefixError(data, n, true), ref)
	}
	// The error's line in the padded text is that of the failing
	// construct or after it: the search starts a line before, to be safe.
	start := 0
	if l := errorLine(ref); l > 2 {
		start = lineStart(data, l-2)
	}
	for ls := start; ls < len(data); {
		le := len(data)
		if i := bytes.IndexByte(data[ls:], '\n'); i >= 0 {
			le = ls + i + 1
		}
		if parses > locateMaxParses || parsed > locateMaxBytes {
			return 0, false
		}
		if le == len(data) || match(le) {
			for n := ls + 1; n <= le; n++ {
				if !utf8.RuneStart(data[n-1]) {
					continue
				}
				if n == le || match(n) {
					return adjustOffset(data, n-1, ref), true
				}
				if parses > locateMaxParses || parsed > locateMaxBytes {
					return 0, false
				}
			}
		}
		ls = le
	}
	return 0, false
}

// prefixError parses data[:n] after a blank line, closed with a "..." line
// when closed is set, and returns yaml.v3's first error ("" for none).
func prefixError(data []byte, n int, closed bool) string {
	buf := make([]byte, 0, n+6)
	buf = append(buf, '\n')
	buf = append(buf, data[:n]...)
	if closed {
		buf = append(buf, "\n...\n"...)
	}
	var msg string
	func() {
		defer func() {
			if v := recover(); v != nil {
				msg = ""
			}
		}()
		dec := yaml.NewDecoder(bytes.NewReader(buf))
		for {
			var n yaml.Node
			err := dec.Decode(&n)
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				msg = err.Error()
				return
			}
		}
	}()
	return msg
}

// sameSyntaxError reports whether a prefix's error is the document's: the
// same message at the same line, where a quoted scalar that runs into the
// "..." line closing the prefix counts as one that runs to the end.
func sameSyntaxError(got, ref string) bool {
	if got == ref {
		return true
	}
	return got != "" && strings.Replace(got, "found unexpected document indicator", "found unexpected end of stream", 1) ==
		strings.Replace(ref, "found unexpected document indicator", "found unexpected end of stream", 1)
}

// errorLine is the line number in a yaml.v3 error message, 0 if none.
func errorLine(msg string) int {
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		n := 0
		for _, c := range m[1] {
			n = n*10 + int(c-'0')
		}
		return n
	}
	return 0
}

// adjustOffset moves the place found for some errors to where the reader
// should look: an unknown alias to its '*' (the parser fails at its end),
// an unclosed flow collection to its opening bracket when that is on the
// same line (the parser fails at the first entry that cannot be in it).
func adjustOffset(data []byte, off int, ref string) int {
	var open, close byte
	switch {
	case strings.Contains(ref, "unknown anchor"):
		for i := off; i >= 0 && data[i] != '\n'; i-- {
			if data[i] == '*' {
				return i
			}
		}
		return off
	case strings.HasSuffix(ref, "did not find expected ',' or '}'"):
		open, close = '{', '}'
	case strings.HasSuffix(ref, "did not find expected ',' or ']'"):
		open, close = '[', ']'
	default:
		return off
	}
	depth := 0
	for i := off; i >= 0 && data[i] != '\n'; i-- {
		switch data[i] {
		case close:
			depth++
		case open:
			if depth == 0 {
				return i
			}
			depth--
		}
	}
	return off
}

// lineStart returns the offset of the start of 1-based line l of data (its
// end when data has fewer lines).
func lineStart(data []byte, l int) int {
	off := 0
	for ; l > 1; l-- {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			return len(data)
		}
		off += i + 1
	}
	return off
}

// lineColAt returns the 1-based line and column (in characters) of offset
// off in data.
func lineColAt(data []byte, off int) (line, col int) {
	off = min(off, len(data))
	ls := bytes.LastIndexByte(data[:off], '\n') + 1
	return bytes.Count(data[:ls], []byte("\n")) + 1, utf8.RuneCount(data[ls:off]) + 1
}

// firstColumn is the column of the first character of 1-based line l of
// data that is not a space or tab (1 for a blank or missing line).
func firstColumn(data []byte, l int) int {
	ls := lineStart(data, l)
	col := 1
	for i := ls; i < len(data) && (data[i] == ' ' || data[i] == '\t'); i++ {
		col++
	}
	if ls+col-1 >= len(data) || data[ls+col-1] == '\n' || data[ls+col-1] == '\r' {
		return 1
	}
	return col
}
