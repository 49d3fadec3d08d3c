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
// uncompressed content (gzip, bzip2, xz or zstd), or r itself (buffered)
// when it is not compressed. close releases decoder resources.
func decompress(r io.Reader) (out io.Reader, close func(), err error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, _ := br.Peek(6) // a short read just means a short input
	nop := func() {}
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
	return br, nop, nil
}
