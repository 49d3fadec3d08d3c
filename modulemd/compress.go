package modulemd

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Magic numbers of the compression formats libmodulemd 2.15 reads.
var (
	magicGzip  = []byte{0x1f, 0x8b}
	magicBzip2 = []byte("BZh")
	magicXZ    = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	magicZstd  = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// decompress sniffs the first bytes of r and returns a reader of the
// uncompressed content (gzip, bzip2, xz or zstd), or of r itself when it is
// not compressed (unbuffered: the splitter reads in large blocks). close
// releases decoder resources.
func decompress(r io.Reader) (out io.Reader, close func(), err error) {
	var magic [6]byte
	n, rerr := io.ReadFull(r, magic[:])
	head := magic[:n]
	// A short read just means a short input; another read error is returned
	// by the first Read after the sniffed bytes.
	var in io.Reader = bytes.NewReader(head)
	switch rerr {
	case nil:
		in = io.MultiReader(in, r)
	case io.EOF, io.ErrUnexpectedEOF:
	default:
		in = io.MultiReader(in, errReader{rerr})
	}
	nop := func() {}
	var br *bufio.Reader
	if looksCompressed(head) {
		br = bufio.NewReaderSize(in, 1<<16)
	}
	switch {
	case bytes.HasPrefix(head, magicGzip):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nop, fmt.Errorf("gzip: %w", err)
		}
		return zr, nop, nil
	case bytes.HasPrefix(head, magicBzip2) && len(head) >= 4 && head[3] >= '1' && head[3] <= '9':
		return bzip2.NewReader(br), nop, nil
	case bytes.HasPrefix(head, magicXZ):
		xr, err := xz.NewReader(br)
		if err != nil {
			return nil, nop, fmt.Errorf("xz: %w", err)
		}
		return xr, nop, nil
	case bytes.HasPrefix(head, magicZstd):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
		if err != nil {
			return nil, nop, fmt.Errorf("zstd: %w", err)
		}
		return zr, zr.Close, nil
	}
	return in, nop, nil
}

// looksCompressed reports whether head starts with a compression magic
// number.
func looksCompressed(head []byte) bool {
	return bytes.HasPrefix(head, magicGzip) || bytes.HasPrefix(head, magicBzip2) ||
		bytes.HasPrefix(head, magicXZ) || bytes.HasPrefix(head, magicZstd)
}
