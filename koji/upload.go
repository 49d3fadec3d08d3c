package koji

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/adler32"
	"io"
	"net/url"
	"strconv"

	"github.com/modkit/modkit/internal/xmlrpcx"
)

// DefaultChunkSize is the upload chunk size.
const DefaultChunkSize = 1 << 20

// UploadOptions are optional arguments of Upload.
type UploadOptions struct {
	ChunkSize int    // default DefaultChunkSize
	Overwrite bool   // replace an existing file
	Volume    string // hub storage volume, "" for the default
}

// UploadResult describes an uploaded file.
type UploadResult struct {
	Path    string // directory/name, as CGImport and build expect
	Size    int64
	Adler32 string // 8 hex digits, of the whole file
}

type uploadReply struct {
	Size       int64  `xmlrpc:"size"`
	FileVerify string `xmlrpc:"fileverify"`
	Offset     int64  `xmlrpc:"offset"`
	HexDigest  string `xmlrpc:"hexdigest"`
}

// Upload streams r to <work>/<directory>/<name> on the hub in chunks. Each
// chunk's size, offset and adler32 checksum, as reported by the hub, are
// verified, and so is the whole file at the end (checkUpload). Needs a
// session. Chunks are retried like other logged-in calls.
func (c *Client) Upload(ctx context.Context, r io.Reader, directory, name string, opts *UploadOptions) (*UploadResult, error) {
	if c.Session() == nil {
		return nil, fmt.Errorf("koji: upload %s: %w", name, ErrNotLoggedIn)
	}
	if opts == nil {
		opts = &UploadOptions{}
	}
	size := opts.ChunkSize
	if size <= 0 {
		size = DefaultChunkSize
	}
	buf := make([]byte, size)
	whole := adler32.New()
	var offset int64
	for first := true; ; first = false {
		n, rerr := io.ReadFull(r, buf)
		if rerr != nil && !errors.Is(rerr, io.EOF) && !errors.Is(rerr, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("koji: upload %s: read: %w", name, rerr)
		}
		if n == 0 && !first {
			break
		}
		chunk := buf[:n]
		if err := c.uploadChunk(ctx, chunk, directory, name, offset, opts, first); err != nil {
			return nil, err
		}
		whole.Write(chunk)
		offset += int64(n)
		if n < size {
			break
		}
	}
	digest := fmt.Sprintf("%08x", whole.Sum32())
	var check struct {
		Size      int64  `xmlrpc:"size"`
		HexDigest string `xmlrpc:"hexdigest"`
	}
	if err := c.call(ctx, "checkUpload", &check, []any{directory, name}, Kwargs{"verify": "adler32"}); err != nil {
		return nil, fmt.Errorf("koji: upload %s: verify: %w", name, err)
	}
	if check.Size != offset || check.HexDigest != digest {
		return nil, fmt.Errorf("koji: upload %s: hub has %d bytes adler32 %s, sent %d bytes adler32 %s",
			name, check.Size, check.HexDigest, offset, digest)
	}
	return &UploadResult{Path: directory + "/" + name, Size: offset, Adler32: digest}, nil
}

func (c *Client) uploadChunk(ctx context.Context, chunk []byte, directory, name string, offset int64, opts *UploadOptions, first bool) error {
	q := url.Values{}
	q.Set("filename", name)
	q.Set("filepath", directory)
	q.Set("offset", strconv.FormatInt(offset, 10))
	q.Set("fileverify", "adler32")
	if first && opts.Overwrite {
		q.Set("overwrite", "1")
	}
	if opts.Volume != "" {
		q.Set("volume", opts.Volume)
	}
	u := c.hubURL + "?" + q.Encode()
	body := bytes.Clone(chunk)
	v, err := c.send(ctx, "upload", false, callOpts{}, func(sess *Session, callnum int64) *xmlrpcx.Request {
		return &xmlrpcx.Request{URL: u, Body: body, ContentType: "application/octet-stream", Header: sessionHeader(sess, callnum)}
	}, xmlrpcx.DecodeResponse)
	if err != nil {
		return fmt.Errorf("koji: upload %s at offset %d: %w", name, offset, err)
	}
	var reply uploadReply
	if err := unmarshal("upload", v, &reply); err != nil {
		return err
	}
	want := fmt.Sprintf("%08x", adler32.Checksum(chunk))
	if reply.Size != int64(len(chunk)) || reply.Offset != offset || reply.HexDigest != want {
		return fmt.Errorf("koji: upload %s at offset %d: hub reports %d bytes at %d adler32 %s, sent %d bytes adler32 %s",
			name, offset, reply.Size, reply.Offset, reply.HexDigest, len(chunk), want)
	}
	return nil
}
