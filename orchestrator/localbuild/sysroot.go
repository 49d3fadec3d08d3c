package localbuild

import (
	"bufio"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/cavaliergopher/cpio"
	"github.com/cavaliergopher/rpm"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"
)

// errUnsupported marks payloads unpackRPM does not handle (the caller then
// lets rpm do it).
var errUnsupported = errors.New("unsupported payload")

// unpackRPMs writes the files of the RPMs at paths into dir, as
// `rpm --root=dir -i --noscripts` would, without rpm's database (which
// rpm creates, and syncs to disk, for every sysroot): directories, regular
// files (with their permission bits and modification times), hard links
// and symbolic links. Every path stays inside dir, symbolic links
// included (os.Root); device files, FIFOs and sockets are skipped.
func unpackRPMs(dir string, paths []string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, p := range paths {
		if err := unpackRPM(root, p); err != nil {
			return fmt.Errorf("%s: %w", path.Base(p), err)
		}
	}
	return nil
}

// fullReader makes every Read fill p unless the input ends (rpm.Read reads
// index entries with single Read calls).
type fullReader struct{ r io.Reader }

func (f fullReader) Read(p []byte) (int, error) { return io.ReadFull(f.r, p) }

func unpackRPM(root *os.Root, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	pkg, err := readPackage(fullReader{br})
	if err != nil {
		return fmt.Errorf("not a readable RPM: %w", err)
	}
	if format := pkg.PayloadFormat(); format != "cpio" {
		return fmt.Errorf("%w: format %q", errUnsupported, format)
	}
	payload, err := decompressor(pkg.PayloadCompression(), br)
	if err != nil {
		return err
	}
	defer payload.Close()
	arc := cpio.NewReader(payload)
	links := map[int64][]string{} // inode → names of its data-less hard links
	for {
		h, err := arc.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %v", errUnsupported, err)
		}
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		if name == "" {
			continue
		}
		if err := root.MkdirAll(path.Dir(name), 0o755); err != nil && path.Dir(name) != "." {
			return err
		}
		switch h.Mode &^ cpio.ModePerm &^ (cpio.ModeSetuid | cpio.ModeSetgid | cpio.ModeSticky) {
		case cpio.TypeDir:
			if err := root.MkdirAll(name, fs.FileMode(h.Mode.Perm())|0o700); err != nil {
				return err
			}
		case cpio.TypeSymlink:
			_ = root.Remove(name)
			if err := root.Symlink(h.Linkname, name); err != nil {
				return err
			}
		case cpio.TypeReg:
			if h.Links > 1 && h.Size == 0 {
				// rpm stores a hard-linked file's data with its last name.
				links[h.Inode] = append(links[h.Inode], name)
				continue
			}
			if err := writeFile(root, name, fs.FileMode(h.Mode.Perm()), arc); err != nil {
				return err
			}
			_ = root.Chtimes(name, h.ModTime, h.ModTime)
			for _, l := range links[h.Inode] {
				_ = root.Remove(l)
				if err := root.Link(name, l); err != nil {
					return err
				}
			}
			delete(links, h.Inode)
		default:
			// Devices, FIFOs, sockets: nothing a build reads.
		}
	}
}

func writeFile(root *os.Root, name string, perm fs.FileMode, r io.Reader) error {
	_ = root.Remove(name)
	out, err := root.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm|0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return root.Chmod(name, perm)
}

// decompressor reads an RPM payload compressed with compression (the
// header's PAYLOADCOMPRESSOR).
func decompressor(compression string, r io.Reader) (io.ReadCloser, error) {
	switch compression {
	case "gzip":
		return gzip.NewReader(r)
	case "bzip2":
		return io.NopCloser(bzip2.NewReader(r)), nil
	case "xz":
		x, err := xz.NewReader(r)
		return io.NopCloser(x), err
	case "lzma":
		x, err := lzma.NewReader(r)
		return io.NopCloser(x), err
	case "zstd":
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	case "", "identity":
		return io.NopCloser(r), nil
	}
	return nil, fmt.Errorf("%w: compression %q", errUnsupported, compression)
}

// readPackage is rpm.Read that turns a panic on malformed input into an
// error.
func readPackage(r io.Reader) (pkg *rpm.Package, err error) {
	defer func() {
		if p := recover(); p != nil {
			pkg, err = nil, fmt.Errorf("malformed header (%v)", p)
		}
	}()
	return rpm.Read(r)
}
