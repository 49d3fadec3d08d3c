package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"

	"github.com/modkit/modkit/modulemd"
)

func init() {
	register("fmt", "re-emit module metadata in canonical libmodulemd style", runFmt)
}

const fmtAbout = `
Fmt decodes every document of each FILE ("-" for standard input) and writes it
again in the style libmodulemd 2.15 uses (key order, sorted sets, quoting),
keeping the documents in file order. The result goes to standard output, or
back into FILE with -w (atomically: a temporary file renamed over it).

A file with a problem is never rewritten: the problems are printed and the
exit status is 1. Keys the format does not define are errors too, since
writing the file again would lose them; --drop-unknown drops them.
Comments are not kept (libmodulemd does not keep them either). Compressed
files can be printed but not rewritten in place.

With -l or --check, fmt prints the names of files whose formatting differs
instead; --check also exits with status 1 if there are any.`

func runFmt(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newCmdFlags("fmt", "fmt [-w | -l | --check] [--drop-unknown] FILE...", fmtAbout, stdout)
	write := fs.Bool("w", false, "write the result back to FILE instead of standard output")
	list := fs.Bool("l", false, "list the files whose formatting differs from fmt's")
	check := fs.Bool("check", false, "like -l, and exit with status 1 if any file would change")
	drop := fs.Bool("drop-unknown", false, "drop keys the format does not define (by default they are errors, so nothing is lost silently)")
	files, err := fs.parse(args)
	if err != nil {
		return err
	}
	switch {
	case len(files) == 0:
		return fs.usageError("no FILE given")
	case *write && (*list || *check):
		return fs.usageError("-w cannot be combined with -l or --check")
	case countStdin(files) > 1:
		return fs.usageError("standard input (-) given more than once")
	case *write && countStdin(files) > 0:
		return fs.usageError("-w cannot rewrite standard input")
	}
	listOnly := *list || *check

	status := 0
	for _, arg := range files {
		name := displayName(arg)
		in, err := openInput(ctx, arg, stdin)
		if err != nil {
			fmt.Fprintln(stderr, "modkit:", err)
			status = max(status, 2)
			continue
		}
		f, err := format(ctx, in, in.size(), name, !*drop)
		in.close()
		if rerr := in.readError(arg); rerr != nil {
			fmt.Fprintln(stderr, "modkit:", rerr)
			status = max(status, 2)
			continue
		}
		if err != nil {
			reportLoad(stderr, name, err)
			status = max(status, 1)
			continue
		}
		out := f.out
		switch {
		case listOnly:
			if f.changed() {
				fmt.Fprintln(stdout, name)
				if *check {
					status = max(status, 1)
				}
			}
		case *write:
			if !f.changed() {
				continue
			}
			if isCompressed(f.head) {
				fmt.Fprintf(stderr, "modkit: %s: compressed file cannot be rewritten in place; run 'modkit fmt %s > NEW.yaml' and compress the result\n", name, arg)
				status = max(status, 2)
				continue
			}
			if err := writeFileAtomic(arg, out); err != nil {
				fmt.Fprintln(stderr, "modkit:", err)
				status = max(status, 2)
			}
		default:
			if _, err := stdout.Write(out); err != nil {
				return err
			}
		}
	}
	if status != 0 {
		return &exitError{Code: status}
	}
	return nil
}

// formatted is a file decoded and encoded again by format.
type formatted struct {
	out    []byte
	inSum  [sha256.Size]byte // of the input as read
	inSize int64
	head   []byte // the input's first bytes, to recognise compression
}

// changed reports whether out differs from the input.
func (f *formatted) changed() bool {
	return int64(len(f.out)) != f.inSize || sha256.Sum256(f.out) != f.inSum
}

// format streams the documents of in through the decoder and encodes each
// one again as it arrives, in file order, so that neither the input nor the
// decoded documents are held whole; the input is only hashed, for -l, --check
// and -w. Any decode problem is an error: formatting must never drop a
// document. A file without documents formats to nothing.
// sizeHint, when positive, is the input's size.
func format(ctx context.Context, in io.Reader, sizeHint int64, name string, strict bool) (*formatted, error) {
	f := &formatted{}
	h := sha256.New()
	var buf bytes.Buffer
	if size := sizeHint; size > 0 {
		// The output is about as long as the input: grow once, not by
		// doubling (which would briefly need three times the size).
		buf.Grow(int(size + size/8 + 4096))
	}
	r := io.TeeReader(in, &headHasher{h: h, head: &f.head, n: &f.inSize})
	enc := modulemd.NewEncoder(&buf)
	var encErr error
	err := decodeStream(ctx, r, name, strict, func(doc modulemd.Document) error {
		if encErr == nil {
			encErr = enc.Encode(doc)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if encErr != nil {
		return nil, encErr
	}
	h.Sum(f.inSum[:0])
	f.out = buf.Bytes()
	return f, nil
}

// headHasher hashes and counts what is written to it and keeps its first
// bytes.
type headHasher struct {
	h    hash.Hash
	head *[]byte
	n    *int64
}

func (w *headHasher) Write(p []byte) (int, error) {
	if len(*w.head) < 8 {
		*w.head = append(*w.head, p[:min(len(p), 8-len(*w.head))]...)
	}
	*w.n += int64(len(p))
	return w.h.Write(p)
}
