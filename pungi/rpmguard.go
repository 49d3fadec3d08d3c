package pungi

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Limits on RPM headers, as rpm itself enforces them (lib/header.c:
// HEADER_TAGS_MAX, HEADER_DATA_MAX), plus a bound on the signature header,
// which is read ahead into memory.
const (
	maxHeaderTags    = 0xffff
	maxHeaderData    = 0x0fffffff
	maxSignatureData = 16 << 20
	rpmLeadSize      = 96
)

// guardHeaders reads the lead, the signature header and the main header's
// index from r and checks that every index entry's offset and count fit the
// header's data. github.com/cavaliergopher/rpm sizes its value arrays from
// an entry's count before checking it against the data, so a corrupt count
// would make it allocate gigabytes (and die, unrecoverably, out of memory).
// It returns a reader that yields everything r did, the consumed bytes
// first.
func guardHeaders(r io.Reader) (io.Reader, error) {
	var seen bytes.Buffer
	tr := io.TeeReader(r, &seen)
	if _, err := io.CopyN(io.Discard, tr, rpmLeadSize); err != nil {
		return nil, fmt.Errorf("reading the lead: %w", eofIsUnexpected(err))
	}
	for _, which := range []string{"signature", "main"} {
		start := seen.Len()
		var pre [16]byte
		if _, err := io.ReadFull(tr, pre[:]); err != nil {
			return nil, fmt.Errorf("reading the %s header: %w", which, eofIsUnexpected(err))
		}
		if pre[0] != 0x8e || pre[1] != 0xad || pre[2] != 0xe8 {
			return nil, fmt.Errorf("the %s header has no header magic", which)
		}
		nindex := binary.BigEndian.Uint32(pre[8:12])
		hsize := binary.BigEndian.Uint32(pre[12:16])
		if nindex == 0 || nindex > maxHeaderTags {
			return nil, fmt.Errorf("the %s header has %d entries (expected 1 to %d)", which, nindex, maxHeaderTags)
		}
		if hsize > maxHeaderData || which == "signature" && hsize > maxSignatureData {
			return nil, fmt.Errorf("the %s header claims %d bytes of data (too large)", which, hsize)
		}
		index := make([]byte, 16*int(nindex))
		if _, err := io.ReadFull(tr, index); err != nil {
			return nil, fmt.Errorf("reading the %s header's index: %w", which, eofIsUnexpected(err))
		}
		for i := range int(nindex) {
			e := index[16*i : 16*i+16]
			typ := binary.BigEndian.Uint32(e[4:8])
			off := binary.BigEndian.Uint32(e[8:12])
			count := binary.BigEndian.Uint32(e[12:16])
			size := uint32(1) // char, int8, bin; strings take at least one byte each
			switch typ {
			case 3: // int16
				size = 2
			case 4: // int32
				size = 4
			case 5: // int64
				size = 8
			}
			if off > hsize || uint64(count)*uint64(size) > uint64(hsize-off) {
				return nil, fmt.Errorf("entry %d of the %s header (tag %d) does not fit the header's %d data bytes",
					i+1, which, binary.BigEndian.Uint32(e[0:4]), hsize)
			}
		}
		if which == "main" {
			break
		}
		// The signature's data, then padding to an 8-byte boundary.
		n := int64(hsize)
		if pad := (seen.Len() - start + int(hsize)) % 8; pad != 0 {
			n += int64(8 - pad)
		}
		if _, err := io.CopyN(io.Discard, tr, n); err != nil {
			return nil, fmt.Errorf("reading the signature header's data: %w", eofIsUnexpected(err))
		}
	}
	return io.MultiReader(&seen, r), nil
}

func eofIsUnexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
