package modulemd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// A Decoder reads modulemd documents from a YAML stream, one at a time.
//
// The input may be compressed with gzip, bzip2, xz or zstd; the format is
// detected from its first bytes. Documents are parsed in parallel (up to
// GOMAXPROCS at once) while being returned in stream order, and the input is
// read incrementally, so memory use does not grow with the size of the
// stream. A small stream (up to 64 KiB) is parsed in Decode itself, with the
// same results.
//
// Decode checks the structure of each document and the type of every scalar,
// the way libmodulemd's parser does; semantic rules (required fields,
// cross-field constraints) are checked by [Validate].
type Decoder struct {
	src    io.Reader
	file   string
	strict bool
	// validate, when set, runs on every decoded document in the worker that
	// decoded it; a non-nil result replaces the document by that error, or
	// comes with it when keepInvalid is set.
	validate    func(Document) error
	keepInvalid bool

	started bool
	closeIn func()
	split   *splitter
	queue   []*pending
	docs    int // documents queued so far
	bytes   int // their total size
	queued  int // the size of the documents in the queue
	// sem bounds how many documents are parsed at once (GOMAXPROCS).
	sem chan struct{}
	// stopped is set when a syntax error ended the stream: documents
	// after it that are still waiting for a worker are not parsed.
	stopped atomic.Bool
	// parallel is set once the stream proved too long to be decoded
	// sequentially (see smallInput); until then queued documents wait, as
	// jobs, to be decoded in Decode.
	parallel bool
	fatal    error
	ended    bool

	seq *seqDecoder // set once the splitter fell back to sequential parsing
	// wholeSequential (tests) hands the whole stream to yaml.v3's own
	// sequential stream parser, the reference the splitter must agree with.
	wholeSequential bool
	// interners holds the interners not lent to a document (see
	// borrowInterner); made with the first one.
	interners     chan *interner
	internersOnce sync.Once
}

// pending is a document in the queue: handed to a worker (ch), still to be
// decoded (job, see fill), or the point where sequential parsing takes over
// (fallback).
type pending struct {
	ch       chan decoded // buffered: workers never block
	job      *job
	fallback *chunk
	size     int // bytes of YAML text (documents only)
}

// job is the work of decoding one document.
type job struct {
	c chunk
	n int // document number
	// internBits is the size of the interner the document borrows while
	// it is decoded (internerBits; 0: none).
	internBits int
}

type decoded struct {
	doc   Document
	err   error
	fatal bool // a syntax error: the stream ends here
	// then is a syntax error after the document, in the same chunk: it is
	// returned by the next Decode and ends the stream.
	then *ParseError
}

// NewDecoder returns a decoder that reads from r. It reads only as much as
// it needs, so r may be a large file or a network stream.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{src: r}
}

// SetFile sets the name used in errors and in each document's [Source]. It
// must be called before the first Decode.
func (d *Decoder) SetFile(name string) { d.file = name }

// Strict makes keys the format does not define errors ([ErrUnknownKey])
// instead of being skipped. libmodulemd's strict mode. Packager v3 documents
// are always read strictly. It must be called before the first Decode.
func (d *Decoder) Strict(on bool) { d.strict = on }

// ValidateWith makes the decoder validate every document it decodes, as
// [ValidateWith] does with opts, in the worker that decoded it (so in
// parallel on a large stream). A document that decodes but fails validation
// is then returned together with the validation error: Decode returns a
// non-nil document and a non-nil error. It must be called before the first
// Decode.
func (d *Decoder) ValidateWith(opts *ValidateOptions) {
	var o ValidateOptions
	if opts != nil {
		o = *opts
	}
	d.validate = func(doc Document) error { return ValidateWith(doc, &o) }
	d.keepInvalid = true
}

// Decode returns the next document, or io.EOF after the last one.
//
// A problem confined to one document returns (nil, err), where err is a
// [*ParseError] or an errors.Join of several; the next call continues with
// the following document. A YAML syntax error ([ErrSyntax]), a read error or
// a safety limit on the stream itself ends the stream: it is returned once
// and later calls return io.EOF.
func (d *Decoder) Decode() (Document, error) {
	if !d.started {
		d.start()
	}
	for {
		if d.seq != nil {
			doc, err := d.seq.next()
			if err == io.EOF {
				d.seq = nil
				d.ended = true
				continue
			}
			return doc, err
		}
		d.fill()
		if len(d.queue) == 0 {
			if d.fatal != nil {
				err := d.fatal
				d.fatal = nil
				return nil, err
			}
			return nil, io.EOF
		}
		p := d.queue[0]
		d.queue[0] = nil
		d.queue = d.queue[1:]
		d.queued -= p.size
		if p.fallback != nil {
			d.seq = newSeqDecoder(d, *p.fallback)
			continue
		}
		var res decoded
		if p.job != nil {
			res = d.decodeJob(p.job)
		} else {
			res = <-p.ch
		}
		if res.fatal || res.then != nil {
			// A syntax error ends the stream, as it does for libyaml.
			d.ended = true
			d.stopped.Store(true)
			d.fatal = nil
			if res.then != nil {
				d.fatal = res.then
			}
			for _, q := range d.queue {
				if q.ch != nil {
					<-q.ch
				}
			}
			d.queue, d.queued = nil, 0
		}
		return res.doc, res.err
	}
}

// All returns an iterator over the remaining documents and their errors, in
// the manner of Decode, stopping at the end of the stream. Per-document
// errors are yielded with a nil document and iteration continues.
func (d *Decoder) All() iter.Seq2[Document, error] {
	return func(yield func(Document, error) bool) {
		for {
			doc, err := d.Decode()
			if err == io.EOF {
				return
			}
			if !yield(doc, err) {
				return
			}
		}
	}
}

func (d *Decoder) start() {
	d.started = true
	in, closeIn, err := decompress(d.src)
	d.closeIn = closeIn
	if err != nil {
		d.fatal = d.wrapRead(err)
		d.ended = true
		return
	}
	d.split = newSplitter(in)
	d.split.whole = d.wholeSequential
}

func (d *Decoder) wrapRead(err error) error {
	if d.file != "" {
		return fmt.Errorf("modulemd: reading %s: %w", d.file, err)
	}
	return fmt.Errorf("modulemd: reading input: %w", err)
}

// The window is the documents read ahead of the one Decode returns next:
// being parsed, waiting for a worker, or parsed and waiting to be returned.
// It must be deep enough that the workers never run dry while the reader
// waits for the document at its head (a large one, or the goroutine that
// reads being descheduled): with 4 documents per core a trace of `modkit
// query` on the 50 MiB index showed one of two cores idle 20% of the time,
// with 32 under 2%. It is bounded in documents and in the bytes of their
// YAML text, so that a stream of huge documents does not read far ahead;
// at most GOMAXPROCS documents are parsed at once (Decoder.sem), so the
// YAML trees in memory do not grow with the window.
const (
	windowPerProc = 32
	windowBytes   = 16 << 20
	minWindow     = 2
)

// window is how many documents may be in flight at once.
func window() int { return windowPerProc * runtime.GOMAXPROCS(0) }

// room reports whether the window can take another document.
func (d *Decoder) room(w int) bool {
	n := len(d.queue)
	return n < w && (n < minWindow*runtime.GOMAXPROCS(0) || d.queued < windowBytes)
}

// A stream read to its end within smallInput bytes and smallInputDocs
// documents is decoded sequentially in Decode: for a few small documents,
// handing each to a worker goroutine costs more than it saves.
const (
	smallInput     = 64 << 10
	smallInputDocs = 256
)

// largeInternerAt is the document from which a stream's documents borrow
// large interners; the ones before it (but the first) small ones.
const largeInternerAt = 32

// internerBits is the size of the interner document n (1-based) of a
// stream borrows: none for the first, then small, then large.
func internerBits(n int) int {
	switch {
	case n < 2:
		return 0
	case n < largeInternerAt:
		return smallInternerBits
	}
	return largeInternerBits
}

// borrowInterner lends an interner of at least 1<<bits slots to one
// document being decoded (nil for bits 0); returnInterner takes it back.
// At most one interner per document decoded at once is made.
func (d *Decoder) borrowInterner(bits int) *interner {
	if bits == 0 {
		return nil
	}
	d.internersOnce.Do(func() { d.interners = make(chan *interner, runtime.GOMAXPROCS(0)+1) })
	select {
	case in := <-d.interners:
		if len(in.slots) >= 1<<bits {
			return in
		}
	default:
	}
	return newInterner(bits)
}

func (d *Decoder) returnInterner(in *interner) {
	if in == nil {
		return
	}
	select {
	case d.interners <- in:
	default:
	}
}

// fill queues chunks until the window is full or the input ends, and hands
// them to workers unless the whole input turned out small.
func (d *Decoder) fill() {
	w := window()
	// Until the stream proves large, read on past the window: a small
	// stream is then decoded sequentially.
	for !d.ended && (d.room(w) || !d.parallel && d.bytes <= smallInput && len(d.queue) < smallInputDocs) {
		c, err := d.split.next()
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				pe.File = d.file
				d.fatal = pe
			} else {
				d.fatal = d.wrapRead(err)
			}
			d.ended = true
			break
		}
		switch c.kind {
		case chunkEOF:
			d.ended = true
		case chunkFallback:
			c := c
			d.queue = append(d.queue, &pending{fallback: &c})
			d.ended = true
		case chunkDoc:
			d.docs++
			d.bytes += len(c.data)
			d.queued += len(c.data)
			d.queue = append(d.queue, &pending{job: &job{c: c, n: d.docs, internBits: internerBits(d.docs)}, size: len(c.data)})
		}
	}
	if !d.ended || d.bytes > smallInput {
		// A large stream, or one not yet read to its end: from now on
		// documents are decoded in parallel.
		d.parallel = true
	}
	if d.parallel {
		// Only the window is in flight; jobs queued beyond it (read ahead
		// before the stream proved large) start as it moves on. The
		// goroutines take turns on the semaphore in the order they were
		// started, so documents are parsed roughly in stream order.
		if d.sem == nil {
			d.sem = make(chan struct{}, runtime.GOMAXPROCS(0))
		}
		for _, p := range d.queue[:min(w, len(d.queue))] {
			if p.job != nil {
				j := p.job
				p.job = nil
				p.ch = make(chan decoded, 1)
				go func() {
					d.sem <- struct{}{}
					if d.stopped.Load() {
						// The stream ended at a syntax error before this
						// document: nobody will read the result.
						<-d.sem
						p.ch <- decoded{}
						return
					}
					res := d.decodeJob(j)
					<-d.sem
					p.ch <- res
				}()
			}
		}
	}
	if d.ended && (len(d.queue) == 0 || d.queue[len(d.queue)-1].fallback == nil) {
		d.closeInput()
	}
}

// decodeJob parses one document; it never panics.
func (d *Decoder) decodeJob(j *job) (res decoded) {
	data, lineOff, docNum := j.c.data, j.c.line-1, j.n
	in := d.borrowInterner(j.internBits)
	defer d.returnInterner(in)
	defer func() {
		if v := recover(); v != nil {
			res = decoded{fatal: true, err: &ParseError{File: d.file, Doc: docNum, Line: lineOff + 1,
				Msg: fmt.Sprintf("the YAML parser failed: %v", v), Err: ErrSyntax}}
		}
	}()
	n, rest, err := parseOne(data)
	if rest != nil {
		// The document is followed by an error in the stream: the
		// document comes first, then the error, which ends the stream.
		res = d.convert(n, lineOff, docNum, in)
		res.then = d.syntaxError(rest, lineOff, docNum+1)
		locate(res.then, j.c.inStream(), lineOff)
		return res
	}
	if err != nil {
		pe := d.syntaxError(err, lineOff, docNum)
		if j.c.cut && pe.Msg == "YAML syntax error: found unexpected end of stream" {
			// The chunk ends where the stream goes on with a "---" line, so
			// the quoted scalar that ran to the chunk's end ran, in the
			// stream, into that document marker; yaml.v3's scanner says so
			// for the stream (at the same place: the opening quote).
			pe.Msg = "YAML syntax error: found unexpected document indicator"
		}
		locate(pe, j.c.inStream(), lineOff)
		return decoded{fatal: true, err: pe}
	}
	return d.convert(n, lineOff, docNum, in)
}

// parseOne parses data, which the splitter cut as one document, and checks
// that it is one: a document can end before the chunk does (a root block
// scalar whose text is not indented, content after a "..." marker), and what
// follows it is then an error in the stream, which yaml.Unmarshal, reading
// only the first document, would not see.
func parseOne(data []byte) (n *yaml.Node, restErr, err error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	n = new(yaml.Node)
	if err := dec.Decode(n); err != nil && err != io.EOF {
		return nil, nil, err
	}
	var rest yaml.Node
	switch err := dec.Decode(&rest); {
	case err == io.EOF:
		return n, nil, nil
	case err != nil:
		return n, err, nil
	}
	// The splitter cuts at every "---" line, so a second document cannot
	// start in a chunk; should one do so, it is not dropped silently.
	return n, fmt.Errorf("yaml: line %d: found a second document where the splitter found one", rest.Line), nil
}

func (d *Decoder) convert(n *yaml.Node, lineOff, docNum int, in *interner) decoded {
	r := docReader{file: d.file, doc: docNum, lineOff: lineOff, strict: d.strict, in: in}
	r.takeEnts()
	doc, err := r.decodeNode(n)
	r.releaseEnts()
	if err != nil {
		r.pos.release()
		return decoded{err: err}
	}
	if d.validate != nil {
		if err := d.validate(doc); err != nil {
			if d.keepInvalid {
				return decoded{doc: doc, err: err}
			}
			return decoded{err: err}
		}
	}
	return decoded{doc: doc}
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlParserProblems are the problems yaml.v3's parser (as opposed to its
// scanner) reports. For these its message gives a 0-based line number, or
// none for the first line; scanner messages give 1-based lines.
var yamlParserProblems = map[string]bool{
	"did not find expected <stream-start>":   true,
	"did not find expected <document start>": true,
	"found undefined tag handle":             true,
	"did not find expected node content":     true,
	"did not find expected '-' indicator":    true,
	"did not find expected key":              true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found duplicate %TAG directive":         true,
}

// syntaxError turns a yaml.v3 error into a *ParseError with an absolute line.
func (d *Decoder) syntaxError(err error, lineOff, docNum int) *ParseError {
	msg := trimYAMLPrefix(err.Error())
	pe := &ParseError{File: d.file, Doc: docNum, Err: ErrSyntax}
	line := 0
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	if yamlParserProblems[msg] {
		line++
	}
	if line > 0 {
		pe.Line = line + lineOff
	}
	if strings.HasPrefix(msg, "exceeded max depth") {
		pe.Err = ErrLimit
		pe.Msg = "YAML nesting " + msg
		return pe
	}
	pe.Msg = "YAML syntax error: " + msg
	return pe
}

// locate gives pe, an error yaml.v3 reported parsing data (whose first
// line is line lineOff+1 of the stream), a line and a column.
func locate(pe *ParseError, data []byte, lineOff int) {
	locateCharError(pe, data, lineOff)
	if pe.Column != 0 {
		return
	}
	if errors.Is(pe, ErrSyntax) {
		locateSyntax(pe, data, lineOff)
		return
	}
	if pe.Line == 0 {
		pe.Line = lineOff + 1
	}
	pe.Column = firstColumn(data, pe.Line-lineOff)
}

// locateCharError gives a place to the errors yaml.v3's reader reports
// without one (a control character, invalid UTF-8): pe gets the line and
// column of the first such character in data (whose first line is line
// lineOff+1) and a message naming it. It leaves errors with a line alone.
func locateCharError(pe *ParseError, data []byte, lineOff int) {
	if pe.Line != 0 {
		return
	}
	line, col, what, ok := findBadChar(data)
	if !ok {
		return
	}
	pe.Line, pe.Column = lineOff+line, col
	pe.Msg = "YAML syntax error: " + what
}

// findBadChar finds the first character YAML does not allow in a stream
// (invalid UTF-8, or a control character other than tab, line feed and
// carriage return, as yaml.v3's reader checks) and reports its 1-based line
// and column (in characters) and what it is.
func findBadChar(data []byte) (line, col int, what string, ok bool) {
	line, col = 1, 1
	for i := 0; i < len(data); {
		c := data[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\n' || c == '\r' && (i+1 == len(data) || data[i+1] != '\n'):
				// A lone CR breaks a line too, as in YAML.
				line, col = line+1, 1
			case c == '\t' || c == '\r' || c >= 0x20 && c <= 0x7e:
				col++
			default:
				return line, col, fmt.Sprintf("control character U+%04X is not allowed", c), true
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return line, col, fmt.Sprintf("invalid UTF-8 (byte 0x%02x)", c), true
		}
		if !(r == 0x85 || r >= 0xa0 && r <= 0xd7ff || r >= 0xe000 && r <= 0xfffd || r >= 0x10000 && r <= 0x10ffff) {
			return line, col, fmt.Sprintf("control character U+%04X is not allowed", r), true
		}
		col++
		i += n
	}
	return 0, 0, "", false
}

func trimYAMLPrefix(s string) string {
	if len(s) > 6 && s[:6] == "yaml: " {
		return s[6:]
	}
	return s
}

// seqDecoder parses the rest of a stream with yaml.v3's sequential stream
// parser (see the splitter).
type seqDecoder struct {
	d       *Decoder
	y       *yaml.Decoder
	in      *errCapture
	lineOff int
	skip    bool
	done    bool
}

func newSeqDecoder(d *Decoder, c chunk) *seqDecoder {
	ec := &errCapture{r: c.rest}
	return &seqDecoder{d: d, y: yaml.NewDecoder(ec), in: ec, lineOff: c.line - 1, skip: c.primed}
}

// errCapture remembers the first read error other than io.EOF, which
// yaml.v3 would report as a syntax problem. It also keeps the last bytes
// read (tail, from a line start), so that an invalid character, which
// yaml.v3's reader reports without a place, can be found there: the reader
// decodes its input in blocks of a few hundred bytes and stops at the first
// bad one.
type errCapture struct {
	r   io.Reader
	err error

	tail     []byte
	tailLine int  // line of tail[0], 1-based
	tailCol  bool // tail starts at a line start
	started  bool
	utf16    bool // not UTF-8: characters cannot be found by bytes
}

// errCapture keeps the whole input up to keepWhole bytes (so that a syntax
// error can be located by parsing again, see locateSyntax), and past that
// the last keepTail bytes at least.
const (
	keepTail  = 8 << 10
	keepWhole = 16 << 20
)

// whole reports whether tail holds the input from its start, as UTF-8.
func (e *errCapture) whole() bool {
	return e.started && !e.utf16 && e.tailLine == 1 && e.tailCol
}

func (e *errCapture) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	if n > 0 && !e.utf16 {
		if !e.started {
			e.started, e.tailLine, e.tailCol = true, 1, true
			if b := p[:n]; len(b) >= 2 && (b[0] == 0xfe && b[1] == 0xff || b[0] == 0xff && b[1] == 0xfe || b[0] == 0 || b[1] == 0) {
				e.utf16 = true
				return n, err
			}
		}
		e.tail = append(e.tail, p[:n]...)
		if len(e.tail) > keepWhole && len(e.tail) > 2*keepTail {
			cut := len(e.tail) - keepTail
			e.tailCol = false
			if i := bytes.LastIndexByte(e.tail[:cut], '\n'); i >= 0 {
				cut, e.tailCol = i+1, true
			}
			e.tailLine += countLines(e.tail[:cut])
			e.tail = append(e.tail[:0], e.tail[cut:]...)
		}
	}
	return n, err
}

// countLines counts the line breaks in b: LF, CR LF and lone CR.
func countLines(b []byte) int {
	n := bytes.Count(b, []byte("\n"))
	for i, c := range b {
		if c == '\r' && (i+1 == len(b) || b[i+1] != '\n') {
			n++
		}
	}
	return n
}

// locate gives pe, a syntax error without a place, the place of the first
// invalid character in the tail, if there is one; lineOff is the line
// before the stream's first.
func (e *errCapture) locate(pe *ParseError, lineOff int) {
	if pe.Line != 0 || e.utf16 || !e.started {
		return
	}
	line, col, what, ok := findBadChar(e.tail)
	if !ok {
		return
	}
	pe.Line = lineOff + e.tailLine + line - 1
	if line > 1 || e.tailCol {
		pe.Column = col
	}
	pe.Msg = "YAML syntax error: " + what
}

func (s *seqDecoder) next() (doc Document, err error) {
	if s.done {
		return nil, io.EOF
	}
	defer func() {
		if v := recover(); v != nil {
			s.done = true
			doc, err = nil, &ParseError{File: s.d.file, Doc: s.d.docs,
				Msg: fmt.Sprintf("the YAML parser failed: %v", v), Err: ErrSyntax}
		}
	}()
	for {
		var n yaml.Node
		err := s.y.Decode(&n)
		if err == io.EOF {
			s.done = true
			s.d.closeInput()
			return nil, io.EOF
		}
		if s.skip {
			s.skip = false
			if err == nil {
				continue
			}
		}
		s.d.docs++
		if err != nil {
			s.done = true
			s.d.closeInput()
			if s.in.err != nil {
				return nil, s.d.wrapRead(s.in.err)
			}
			pe := s.d.syntaxError(err, s.lineOff, s.d.docs)
			s.in.locate(pe, s.lineOff)
			if pe.Column == 0 {
				if s.in.whole() {
					locate(pe, s.in.tail, s.lineOff)
				} else if pe.Line > 0 {
					pe.Column = 1
				}
			}
			return nil, pe
		}
		in := s.d.borrowInterner(internerBits(s.d.docs))
		res := s.d.convert(&n, s.lineOff, s.d.docs, in)
		s.d.returnInterner(in)
		return res.doc, res.err
	}
}

func (d *Decoder) closeInput() {
	if d.closeIn != nil {
		d.closeIn()
		d.closeIn = nil
	}
}

// Parse decodes every document in data (which may be compressed). Like
// libmodulemd it is lenient: every document that decoded is returned, and
// the error joins the failures of the others.
func Parse(data []byte) ([]Document, error) {
	return decodeAll(NewDecoder(bytes.NewReader(data)))
}

// ReadFile decodes every document of the file at path, as [Parse] does.
// Errors name the file.
func ReadFile(path string) ([]Document, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("modulemd: %w", err)
	}
	defer f.Close()
	dec := NewDecoder(f)
	dec.SetFile(path)
	return decodeAll(dec)
}

func decodeAll(dec *Decoder) ([]Document, error) {
	var docs []Document
	var errs []error
	for doc, err := range dec.All() {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		docs = append(docs, doc)
	}
	return docs, errors.Join(errs...)
}
