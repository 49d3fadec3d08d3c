package main

// Helpers shared by the modulemd subcommands: flag parsing with flags allowed
// after file names, opening FILE or "-", decoding every document of a file,
// and printing problems as "file:line:col: path: message".

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/modkit/modkit/modulemd"
)

// stdinName is how standard input ("-") is named in messages.
const stdinName = "<stdin>"

// flagSet is the FlagSet of one subcommand with its help text.
type flagSet struct {
	*flag.FlagSet
	synopsis string // after "modkit "
	about    string
	stdout   io.Writer
}

// newCmdFlags returns the flags of subcommand name. synopsis is the usage line
// after "modkit "; about explains the command for -h.
func newCmdFlags(name, synopsis, about string, stdout io.Writer) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse reports errors itself
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, synopsis: synopsis, about: strings.TrimSpace(about), stdout: stdout}
}

// help prints the full help text to standard output: the usage line, what
// the command does and its options, GNU style ("--name PLACEHOLDER").
func (fs *flagSet) help() {
	w := fs.stdout
	fmt.Fprintf(w, "usage: modkit %s\n\n%s\n", fs.synopsis, fs.about)
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if first {
			fmt.Fprintln(w, "\nOptions:")
			first = false
		}
		arg, usage := flag.UnquoteUsage(f)
		line := "  " + optionName(f.Name)
		if arg != "" {
			if strings.Contains(f.Usage, "`") {
				arg = strings.ToUpper(arg)
			}
			// else the flag package's generic "string" or "value", left
			// in lower case so that TestHelp finds it.
			line += " " + arg
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "[]" {
			usage += " (default " + f.DefValue + ")"
		}
		if len(line) > 22 {
			fmt.Fprintf(w, "%s\n%-22s %s\n", line, "", usage)
			return
		}
		fmt.Fprintf(w, "%-22s %s\n", line, usage)
	})
}

// optionName is how an option is written: -w for one letter, --name
// otherwise.
func optionName(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// usageError is a command-line mistake (exit status 2): the message, the
// usage line and where to find help. Every subcommand reports a mistake this
// way.
func (fs *flagSet) usageError(format string, args ...any) error {
	return usageError("%s: %s\nusage: modkit %s\nRun 'modkit %s -h' for help.",
		fs.Name(), fmt.Sprintf(format, args...), fs.synopsis, fs.Name())
}

// parse parses args, allowing flags after positional arguments
// ("modkit validate a.yaml --json"); "--" ends flag parsing, and "-" or
// "-@N" (standard input with a merge priority) are positional. It returns
// the positional arguments. -h prints the help and gives exit status 0.
func (fs *flagSet) parse(args []string) ([]string, error) {
	return parseInterspersed(fs.FlagSet, args, func(err error) error {
		if errors.Is(err, flag.ErrHelp) {
			fs.help()
			return &exitError{Code: 0}
		}
		return fs.usageError("%s", flagMessage(err))
	})
}

// flagMessage rewords the flag package's errors in the GNU style the help
// uses.
func flagMessage(err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return "unknown option " + optionName(strings.TrimLeft(name, "-"))
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return "option " + optionName(strings.TrimLeft(name, "-")) + " needs a value"
	}
	if rest, ok := strings.CutPrefix(msg, "invalid value "); ok {
		// invalid value "x" for flag -name: reason
		if i := strings.Index(rest, " for flag -"); i >= 0 {
			val := rest[:i]
			name, reason, _ := strings.Cut(rest[i+len(" for flag -"):], ": ")
			return fmt.Sprintf("invalid value %s for %s: %s", val, optionName(strings.TrimLeft(name, "-")), reason)
		}
	}
	if rest, ok := strings.CutPrefix(msg, "invalid boolean value "); ok {
		if i := strings.Index(rest, " for -"); i >= 0 {
			val := rest[:i]
			name, reason, _ := strings.Cut(rest[i+len(" for -"):], ": ")
			return fmt.Sprintf("invalid value %s for %s: %s", val, optionName(strings.TrimLeft(name, "-")), reason)
		}
	}
	return msg
}

// newFlags is [newCmdFlags]: every subcommand parses its options the same
// way.
func newFlags(name, synopsis, about string, stdout io.Writer) *flagSet {
	return newCmdFlags(name, synopsis, about, stdout)
}

// parseInterspersed parses args with fs, allowing flags after positional
// arguments; "--" ends flag parsing, and "-" or "-@N" (standard input with a
// merge priority) are positional. onErr turns a Parse error into the error
// to return.
func parseInterspersed(fs *flag.FlagSet, args []string, onErr func(error) error) ([]string, error) {
	var pos []string
	for {
		for len(args) > 0 && strings.HasPrefix(args[0], "-@") {
			pos = append(pos, args[0])
			args = args[1:]
		}
		if err := fs.Parse(args); err != nil {
			return nil, onErr(err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// displayName is how a FILE argument is named in messages.
func displayName(arg string) string {
	if arg == "-" {
		return stdinName
	}
	return arg
}

// ioError is a file that could not be read or written: exit status 2.
type ioError struct {
	File string
	Op   string // "read", "write"
	Err  error
}

func (e *ioError) Error() string {
	err := e.Err
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the path is already in File
	}
	return fmt.Sprintf("%s: cannot %s: %v", e.File, e.Op, err)
}

func (e *ioError) Unwrap() error { return e.Err }

// readInput returns the whole content of FILE, or of stdin for "-".
// Compressed content is returned as is; the decoder detects it.
func readInput(ctx context.Context, arg string, stdin io.Reader) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var (
		data []byte
		err  error
	)
	if arg == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(arg)
	}
	if err != nil {
		return nil, &ioError{File: displayName(arg), Op: "read", Err: err}
	}
	return data, nil
}

// input is an open FILE argument (or stdin for "-") that remembers the
// first read error, so that a failing read is reported as an I/O error
// (exit status 2) rather than as a problem of the file's content.
type input struct {
	r     io.Reader
	close func() error
	err   error
}

// openInput opens FILE, or stdin for "-", for streaming. An open error is an
// *ioError.
func openInput(ctx context.Context, arg string, stdin io.Reader) (*input, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if arg == "-" {
		return &input{r: stdin, close: func() error { return nil }}, nil
	}
	f, err := os.Open(arg)
	if err != nil {
		return nil, &ioError{File: displayName(arg), Op: "read", Err: err}
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, &ioError{File: displayName(arg), Op: "read", Err: errors.New("is a directory")}
	}
	return &input{r: f, close: f.Close}, nil
}

// size returns the size of a regular file, or 0 when it is not known.
func (in *input) size() int64 {
	if f, ok := in.r.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			return fi.Size()
		}
	}
	return 0
}

func (in *input) Read(p []byte) (int, error) {
	n, err := in.r.Read(p)
	if err != nil && err != io.EOF && in.err == nil {
		in.err = err
	}
	return n, err
}

// readError returns the first read error as an *ioError naming arg, or nil.
func (in *input) readError(arg string) error {
	if in.err == nil {
		return nil
	}
	return &ioError{File: displayName(arg), Op: "read", Err: in.err}
}

// decodeAll decodes every document of data, like [modulemd.Decoder] does:
// the documents that decoded are returned in file order and the error joins
// the per-document failures.
func decodeAll(ctx context.Context, data []byte, file string, strict bool) ([]modulemd.Document, error) {
	dec := modulemd.NewDecoder(bytes.NewReader(data))
	dec.SetFile(file)
	dec.Strict(strict)
	var (
		docs []modulemd.Document
		errs []error
	)
	for {
		if err := ctx.Err(); err != nil {
			return docs, err
		}
		doc, err := dec.Decode()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		docs = append(docs, doc)
	}
	return docs, errors.Join(errs...)
}

// decodeStream streams the documents of in through the decoder, calling fn
// with each one that decoded, in file order, so that the file is never held
// in memory whole. The returned error joins the per-document failures; a
// read error of in is reported by in.readError, not here.
func decodeStream(ctx context.Context, in io.Reader, file string, strict bool, fn func(modulemd.Document) error) error {
	dec := modulemd.NewDecoder(in)
	dec.SetFile(file)
	dec.Strict(strict)
	var errs []error
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		doc, err := dec.Decode()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := fn(doc); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

// isCompressed reports whether data starts with the magic bytes of a
// compression format the decoder understands.
func isCompressed(data []byte) bool {
	for _, magic := range [][]byte{
		{0x1f, 0x8b},                     // gzip
		{0xfd, '7', 'z', 'X', 'Z', 0x00}, // xz
		{'B', 'Z', 'h'},                  // bzip2
		{0x28, 0xb5, 0x2f, 0xfd},         // zstd
	} {
		if bytes.HasPrefix(data, magic) {
			return true
		}
	}
	return false
}

// problem is one error or lint warning, as printed and as --json reports it.
type problem struct {
	File    string `json:"file"`
	Doc     int    `json:"document,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
	// Kind classifies errors (syntax, unknown-key, type, missing-field, ...);
	// Code names lint warnings (missing-rationale, ...).
	Kind string `json:"kind,omitempty"`
	Code string `json:"code,omitempty"`
}

// String formats p as "file:line:col: path: message" (errors) or
// "file:line:col: warning: path: message [code]" (warnings).
func (p problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, ":%d", p.Column)
		}
	}
	b.WriteString(": ")
	if p.Code != "" {
		b.WriteString("warning: ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	if p.Code != "" {
		b.WriteString(" [" + p.Code + "]")
	}
	return b.String()
}

// kinds maps the modulemd sentinels to the short names --json reports.
var kinds = []struct {
	err  error
	name string
}{
	{modulemd.ErrSyntax, "syntax"},
	{modulemd.ErrUnknownDocument, "unknown-document"},
	{modulemd.ErrMissingHeader, "missing-header"},
	{modulemd.ErrUnknownKey, "unknown-key"},
	{modulemd.ErrType, "type"},
	{modulemd.ErrMissingField, "missing-field"},
	{modulemd.ErrInvalid, "invalid"},
	{modulemd.ErrDuplicate, "duplicate"},
	{modulemd.ErrLimit, "limit"},
	{modulemd.ErrConflict, "conflict"},
	{modulemd.ErrUpgrade, "upgrade"},
}

func kindOf(err error) string {
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return "error"
}

// problems flattens err (a *modulemd.ParseError, an errors.Join tree of
// them, or anything else) into one problem per leaf error. file names the
// input when the error does not.
func problems(file string, err error) []problem {
	var out []problem
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		if pe, ok := err.(*modulemd.ParseError); ok {
			p := problem{File: pe.File, Doc: pe.Doc, Line: pe.Line, Column: pe.Column,
				Path: pe.Path, Message: pe.Msg, Kind: kindOf(pe)}
			if p.File == "" {
				p.File = file
			}
			out = append(out, p)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var pe *modulemd.ParseError
		if errors.As(err, &pe) {
			// A ParseError wrapped with more context: keep the location, use
			// the whole message.
			p := problem{File: pe.File, Doc: pe.Doc, Line: pe.Line, Column: pe.Column,
				Path: pe.Path, Message: pe.Msg, Kind: kindOf(pe)}
			if p.File == "" {
				p.File = file
			}
			if outer := err.Error(); !strings.HasSuffix(outer, pe.Error()) {
				p.Message = outer
			}
			out = append(out, p)
			return
		}
		msg := err.Error()
		msg = strings.TrimPrefix(msg, "modulemd: ")
		msg = strings.TrimPrefix(msg, file+": ")
		out = append(out, problem{File: file, Message: msg, Kind: kindOf(err)})
	}
	walk(err)
	return out
}

// warnings converts lint findings to problems.
func warnings(file string, ws []modulemd.Warning) []problem {
	out := make([]problem, 0, len(ws))
	for _, w := range ws {
		p := problem{File: w.File, Doc: w.Doc, Line: w.Line, Column: w.Column,
			Path: w.Path, Message: w.Msg, Code: w.Code}
		if p.File == "" {
			p.File = file
		}
		if p.Code == "" {
			p.Code = "lint"
		}
		out = append(out, p)
	}
	return out
}

// printProblems writes one line per problem.
func printProblems(w io.Writer, ps []problem) {
	// Buffered: a large index can have hundreds of thousands of lines,
	// and a write system call for each costs more than formatting them.
	bw := bufio.NewWriterSize(w, 64<<10)
	for _, p := range ps {
		bw.WriteString(p.String())
		bw.WriteByte('\n')
	}
	bw.Flush()
}

// reportLoad prints the problems in err (if any) to stderr and says whether
// there were any.
func reportLoad(stderr io.Writer, file string, err error) bool {
	if err == nil {
		return false
	}
	ps := problems(file, err)
	// Loaders may report decode failures and validation failures apart;
	// show them in document order.
	slices.SortStableFunc(ps, func(a, b problem) int { return cmp.Compare(a.Doc, b.Doc) })
	printProblems(stderr, ps)
	return true
}

// writeFileAtomic replaces path with data: it writes a temporary file in the
// same directory, syncs it, gives it path's permissions and renames it over
// path, so readers see the old or the new content, never a mix. A symbolic
// link is followed and its target replaced.
func writeFileAtomic(path string, data []byte) (err error) {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return &ioError{File: path, Op: "write", Err: err}
	}
	fi, err := os.Stat(target)
	if err != nil {
		return &ioError{File: path, Op: "write", Err: err}
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".modkit-*")
	if err != nil {
		return &ioError{File: path, Op: "write", Err: err}
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = &ioError{File: path, Op: "write", Err: err}
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Chmod(fi.Mode().Perm()); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), target)
}

// failIO turns an I/O error into exit status 2, printing it.
func failIO(err error) error {
	return &exitError{Code: 2, Msg: err.Error()}
}

func countStdin(files []string) int {
	n := 0
	for _, f := range files {
		if f == "-" {
			n++
		}
	}
	return n
}

// indexError explains why doc could not be added to idx, for a command-line
// user: a packager document gets a hint to use --source or 'modkit convert';
// a stream whose NSVCA collides names where the other one is.
func indexError(idx *modulemd.Index, doc modulemd.Document, err error) error {
	src := doc.Source()
	at := func(msg string, sentinel error) error {
		return &modulemd.ParseError{File: src.File, Doc: src.Doc, Line: src.Line, Column: src.Col,
			Path: "document", Msg: msg, Err: sentinel}
	}
	if doc.Kind() == modulemd.KindPackager {
		return at("a modulemd-packager document is a module source, not repository metadata: "+
			"validate it with 'modkit validate --source', or turn it into streams with 'modkit convert'", modulemd.ErrInvalid)
	}
	s, ok := doc.(*modulemd.Stream)
	if !ok || !errors.Is(err, modulemd.ErrConflict) {
		return addError(doc, err)
	}
	var pe *modulemd.ParseError
	if !errors.As(err, &pe) {
		return addError(doc, err)
	}
	id := s.NSVCA().String()
	if m := idx.Module(s.Name); m != nil {
		for _, o := range m.Streams() {
			if o.NSVCA().String() == id && o.Source().Line > 0 {
				other := o.Source()
				dup := *pe
				dup.Msg += fmt.Sprintf(" (the other is at %s:%d:%d)", other.File, other.Line, other.Col)
				return &dup
			}
		}
	}
	return err
}

// addError locates an error that carries no position at the document it is
// about and drops the sentinel's text from the message.
func addError(doc modulemd.Document, err error) error {
	var pe *modulemd.ParseError
	if errors.As(err, &pe) && pe.Line > 0 {
		return err
	}
	src := doc.Source()
	var sentinel error
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			sentinel = k.err
			break
		}
	}
	msg := trimPkg(err.Error())
	if sentinel != nil {
		msg = strings.TrimSuffix(msg, ": "+sentinel.Error())
	}
	return &modulemd.ParseError{File: src.File, Doc: src.Doc, Line: src.Line, Column: src.Col,
		Msg: msg, Err: sentinel}
}

// trimPkg drops the "modulemd: " prefixes of a library message.
func trimPkg(msg string) string {
	return strings.ReplaceAll(msg, "modulemd: ", "")
}

// unknownKeys returns the keys a lenient decoder skipped in docs, as
// warnings: a command whose output is the documents again says what it left
// out.
func unknownKeys(file string, docs []modulemd.Document) []problem {
	var out []problem
	for _, doc := range docs {
		for _, w := range modulemd.Lint(doc) {
			if w.Code == modulemd.LintUnknownKey {
				out = append(out, warnings(file, []modulemd.Warning{w})...)
			}
		}
	}
	return out
}

// plural is "1 thing" or "n things"; forms are the singular and,
// optionally, the plural (default: the singular with an s).
func plural(n int, forms ...string) string {
	if n == 1 {
		return "1 " + forms[0]
	}
	if len(forms) > 1 {
		return fmt.Sprintf("%d %s", n, forms[1])
	}
	return fmt.Sprintf("%d %ss", n, forms[0])
}
