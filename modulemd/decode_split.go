package modulemd

import (
	"bytes"
	"fmt"
	"io"
)

// maxDocBytes bounds the size of one YAML document.
const maxDocBytes = 256 << 20

// The splitter cuts a YAML stream into documents without parsing it, so that
// documents can be parsed in parallel and without holding the whole stream.
//
// A line that starts with "---" or "..." followed by white space or the end
// of the line is a document marker wherever it appears (YAML forbids them
// inside scalars, and a column-0 line cannot belong to a block scalar), so
// cutting there is exact. Anything the fast path does not model exactly
// (directives in odd places, content after "..." without "---", lone CR line
// breaks, UTF-16/32 input) makes the splitter hand the rest of the input to
// yaml.v3's own sequential stream parser, which then decides.

type chunkKind int

const (
	chunkDoc      chunkKind = iota // data holds exactly one document
	chunkFallback                  // rest must be parsed sequentially
	chunkEOF
)

type chunk struct {
	kind chunkKind
	data []byte
	line int       // 1-based line of data[0] in the stream
	cut  bool      // chunkDoc: a "---" line follows data in the stream
	rest io.Reader // chunkFallback: the remaining input, starting at line
	// primed (chunkFallback) says rest begins with the two synthetic lines
	// of fallbackPrimer, whose document must be skipped.
	primed bool
}

// inStream returns the document's text as the stream's parser meets it: when
// a "---" line follows, with that line, so that an error is located where
// the stream's parser would find it (an open flow collection or quoted
// scalar runs into the marker, not into the end of the text).
func (c chunk) inStream() []byte {
	if !c.cut {
		return c.data
	}
	return append(c.data[:len(c.data):len(c.data)], "---\n"...)
}

// fallbackPrimer puts yaml.v3's stream parser into the state it has after a
// document, so that what follows is judged as libyaml would judge it there
// (for example content after "..." needs a "---").
const fallbackPrimer = "--- 0\n...\n"

type splitter struct {
	r    io.Reader
	buf  []byte // the current read block; unread data is buf[off:]
	off  int
	eof  bool
	rerr error
	crLF bool // the input holds '\r' somewhere: check line breaks closely
	// first is set before the first document (an implicit document may
	// start).
	first bool
	inDoc bool
	// The document (or document prefix) being collected is normally
	// buf[curOff:curOff+curLen], a slice of the read block that is handed to
	// the worker without copying: a block is never written again where it
	// holds emitted data, and is left to the garbage collector once its
	// documents are parsed. owned is set (and cur holds a copy) only after a
	// line had to be altered (a stray "..." marker).
	curOff, curLen int
	owned          bool
	cur            []byte
	start          int // line of the document's first byte
	line           int // line number of the next line
	done           bool
	// block is the size of the next read block: it starts at
	// firstBlockSize and doubles up to blockSize, so that a small input does
	// not cost a 1 MiB allocation.
	block int
	// scan is where the search for the next line break resumes (the
	// unread bytes before it hold none).
	scan int
	// limit bounds the size of one document (maxDocBytes); tooLong is set
	// once a line alone went past it.
	limit   int
	tooLong bool
	// whole makes the first chunk a fallback: the whole stream is parsed
	// sequentially (Decoder.wholeSequential).
	whole bool
}

// Read blocks start at firstBlockSize and double with each new block up to
// blockSize, the size documents of a large stream are sliced from.
const (
	firstBlockSize = 4 << 10
	blockSize      = 1 << 20
)

func newSplitter(r io.Reader) *splitter {
	return &splitter{r: r, first: true, line: 1, start: 1, block: firstBlockSize, limit: maxDocBytes}
}

// collected returns the bytes collected so far for the current document.
func (s *splitter) collected() []byte {
	if s.owned {
		return s.cur
	}
	return s.buf[s.curOff : s.curOff+s.curLen : s.curOff+s.curLen]
}

func (s *splitter) collectedLen() int {
	if s.owned {
		return len(s.cur)
	}
	return s.curLen
}

// fill reads more input; it reports false at the end of input.
func (s *splitter) fill() bool {
	if s.eof {
		return false
	}
	if free := cap(s.buf) - len(s.buf); free == 0 || free < cap(s.buf)/16 {
		// Move what is still needed (the current document's bytes and the
		// unread input) to a fresh block; the old one may hold documents
		// that workers are parsing, so it is never overwritten.
		keep := s.off
		if !s.owned && s.curLen > 0 {
			keep = s.curOff
		}
		need := len(s.buf) - keep
		size := s.block
		s.block = min(2*s.block, blockSize)
		nb := make([]byte, need, max(size, 2*need+size/16))
		copy(nb, s.buf[keep:])
		s.buf = nb
		s.off -= keep
		s.scan -= keep
		if !s.owned && s.curLen > 0 {
			s.curOff -= keep
		}
	}
	n, err := io.ReadAtLeast(s.r, s.buf[len(s.buf):cap(s.buf)], 1)
	if n > 0 && !s.crLF && bytes.IndexByte(s.buf[len(s.buf):len(s.buf)+n], '\r') >= 0 {
		s.crLF = true
	}
	s.buf = s.buf[:len(s.buf)+n]
	if err != nil {
		s.eof = true
		if err != io.EOF {
			s.rerr = err
		}
	}
	return n > 0 || !s.eof
}

// nextLine returns the next line including its '\n' (the last line may lack
// one), or nil at the end of input or when a line alone is longer than the
// document limit (tooLong). The slice is valid until the next call.
func (s *splitter) nextLine() []byte {
	for {
		from := max(s.scan, s.off)
		if i := bytes.IndexByte(s.buf[from:], '\n'); i >= 0 {
			l := s.buf[s.off : from+i+1]
			s.off = from + i + 1
			s.scan = s.off
			return l
		}
		// Each byte is searched once, however many reads a long line takes.
		s.scan = len(s.buf)
		if len(s.buf)-s.off > s.limit {
			s.tooLong = true
			return nil
		}
		if !s.fill() {
			if s.off < len(s.buf) {
				l := s.buf[s.off:]
				s.off = len(s.buf)
				return l
			}
			return nil
		}
	}
}

func isMarker(l []byte, c byte) bool {
	if len(l) < 3 || l[0] != c || l[1] != c || l[2] != c {
		return false
	}
	return len(l) == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r' || l[3] == '\n'
}

// blankOrComment reports whether l is empty, spaces or a comment. A tab
// in the indentation is not blank: outside a document libyaml (and
// yaml.v3) refuse a line that starts with one, so such a line goes to
// yaml.v3 to judge.
func blankOrComment(l []byte) bool {
	for _, c := range l {
		switch c {
		case ' ':
			continue
		case '#', '\r', '\n':
			return true
		}
		return false
	}
	return true
}

// loneCR reports a '\r' that is not part of the line's final "\r\n".
func loneCR(l []byte) bool {
	n := len(l)
	if n > 0 && l[n-1] == '\n' {
		n--
		if n > 0 && l[n-1] == '\r' {
			n--
		}
	}
	return bytes.IndexByte(l[:n], '\r') >= 0
}

// next returns the next document chunk, a fallback chunk, or chunkEOF. A
// read error is returned with chunkEOF.
func (s *splitter) next() (chunk, error) {
	if s.done {
		return chunk{kind: chunkEOF}, nil
	}
	if s.first && s.line == 1 && s.collectedLen() == 0 && s.off == 0 {
		if s.whole {
			return s.fallback(nil), nil
		}
		for len(s.buf) < 4 && s.fill() {
		}
		if b := s.buf; len(b) >= 2 && (b[0] == 0xfe && b[1] == 0xff || b[0] == 0xff && b[1] == 0xfe || b[0] == 0) ||
			len(b) >= 4 && b[2] == 0 && b[3] == 0 {
			return s.fallback(nil), nil
		}
	}
	for {
		if s.inDoc && !s.owned && !s.crLF {
			s.skipPlainLines()
		}
		l := s.nextLine()
		if l == nil {
			s.done = true
			if s.tooLong {
				return chunk{kind: chunkEOF}, s.limitError()
			}
			if s.rerr != nil {
				return chunk{kind: chunkEOF}, s.rerr
			}
			if s.inDoc {
				return s.emit(), nil
			}
			if rest := s.collected(); hasDirective(rest) || hasBadChar(rest) {
				// A directive with no document after it, or a character
				// YAML does not allow in the comments after the last
				// document: let yaml.v3 say so.
				return s.fallback(nil), nil
			}
			return chunk{kind: chunkEOF}, nil
		}
		cls := l
		if s.line == 1 && bytes.HasPrefix(cls, []byte("\xef\xbb\xbf")) {
			cls = cls[3:]
		}
		if s.crLF && loneCR(l) {
			return s.fallback(l), nil
		}
		if !s.inDoc {
			switch {
			case isMarker(cls, '-'):
				s.inDoc = true
			case isMarker(cls, '.') && (s.first || !blankOrComment(cls[3:])):
				// A document end before any document, or one with
				// content after it: libyaml refuses both, as yaml.v3
				// does.
				return s.fallback(l), nil
			case isMarker(cls, '.'):
				// A stray document end after a document (libyaml skips
				// it): keep the line count, drop the marker.
				s.appendCopy([]byte("\n"))
				continue
			case len(cls) > 0 && cls[0] == '%':
			case blankOrComment(cls):
			case s.first && !hasDirective(s.collected()):
				s.inDoc = true // an implicit first document
			default:
				return s.fallback(l), nil
			}
			s.appendLine(l)
			continue
		}
		switch {
		case isMarker(cls, '-'):
			c := s.emit()
			c.cut = true
			s.inDoc = true
			s.appendLine(l)
			return c, nil
		case isMarker(cls, '.'):
			s.appendLine(l)
			c := s.emit()
			return c, nil
		case len(cls) > 0 && cls[0] == '%':
			return s.fallback(l), nil
		}
		s.appendLine(l)
		if s.collectedLen() > s.limit {
			s.done = true
			return chunk{kind: chunkEOF}, s.limitError()
		}
	}
}

// skipPlainLines adds to the document being collected, in one step, the
// complete lines ahead that cannot end it: those not starting with '-', '.'
// or '%' (next looks at every other line one by one). It is only called
// inside a document that is a slice of the read block (not owned) and
// when the input holds no '\r', so the lines need no other check.
func (s *splitter) skipPlainLines() {
	b := s.buf[s.off:]
	room := s.limit - s.curLen
	n, lines := 0, 0
	for n < len(b) && n <= room && b[n] != '-' && b[n] != '.' && b[n] != '%' {
		i := bytes.IndexByte(b[n:], '\n')
		if i < 0 {
			break
		}
		n += i + 1
		lines++
	}
	if n > room {
		return // let next find the document too long, line by line
	}
	s.off += n
	s.scan = max(s.scan, s.off)
	s.curLen += n
	s.line += lines
}

// limitError reports a document over the size limit, starting at the
// current document (or at the line being read, outside one).
func (s *splitter) limitError() *ParseError {
	line := s.line
	if s.collectedLen() > 0 {
		line = s.start
	}
	return &ParseError{Line: line,
		Msg: fmt.Sprintf("a document is larger than %s", formatSize(s.limit)), Err: ErrLimit}
}

// formatSize renders a byte count, in MiB when it is a whole number of them.
func formatSize(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// hasBadChar reports whether b holds a character YAML does not allow in a
// stream (findBadChar).
func hasBadChar(b []byte) bool {
	_, _, _, bad := findBadChar(b)
	return bad
}

func hasDirective(b []byte) bool {
	for len(b) > 0 {
		if b[0] == '%' {
			return true
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break
		}
		b = b[i+1:]
	}
	return false
}

// appendLine adds l, the line nextLine just returned, to the document.
func (s *splitter) appendLine(l []byte) {
	if s.collectedLen() == 0 {
		s.start = s.line
	}
	s.line++
	if s.owned {
		s.cur = append(s.cur, l...)
		return
	}
	if s.curLen == 0 {
		s.curOff = s.off - len(l)
	}
	s.curLen += len(l)
}

// appendCopy adds a line that is not the one read (a replacement), which
// makes the document a copy from here on.
func (s *splitter) appendCopy(l []byte) {
	if s.collectedLen() == 0 {
		s.start = s.line
	}
	s.line++
	if !s.owned {
		s.cur = append([]byte(nil), s.collected()...)
		s.owned = true
	}
	s.cur = append(s.cur, l...)
}

// emit returns the collected document and starts a new one.
func (s *splitter) emit() chunk {
	c := chunk{kind: chunkDoc, data: s.collected(), line: s.start}
	s.cur, s.owned, s.curLen = nil, false, 0
	s.inDoc = false
	s.first = false
	return c
}

// fallback hands everything not yet emitted (the collected prefix, the line
// l just read, and the unread input) to the sequential parser.
func (s *splitter) fallback(l []byte) chunk {
	s.done = true
	start := s.line
	cur := s.collected()
	if len(cur) > 0 {
		start = s.start
	}
	primed := !s.first
	head := make([]byte, 0, len(fallbackPrimer)+len(cur)+len(l)+len(s.buf)-s.off)
	if primed {
		head = append(head, fallbackPrimer...)
		start -= 2
	}
	head = append(head, cur...)
	head = append(head, l...)
	head = append(head, s.buf[s.off:]...)
	s.cur, s.owned, s.curLen, s.buf, s.off, s.scan = nil, false, 0, nil, 0, 0
	var rest io.Reader = bytes.NewReader(head)
	if !s.eof {
		rest = io.MultiReader(rest, s.r)
	} else if s.rerr != nil {
		rest = io.MultiReader(rest, errReader{s.rerr})
	}
	return chunk{kind: chunkFallback, rest: rest, line: start, primed: primed}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
