package modulemd

import (
	"bytes"
	"compress/gzip"
	"os/exec"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

type compressor struct {
	name     string
	compress func(t testing.TB, data []byte) []byte
}

// compressors lists every format the decoder reads, each compressing in
// process except bzip2 (Go has no bzip2 writer), which uses the system tool
// when it is installed.
func compressors(t testing.TB) []compressor {
	t.Helper()
	cs := []compressor{
		{"gzip", func(t testing.TB, data []byte) []byte {
			var b bytes.Buffer
			w := gzip.NewWriter(&b)
			if _, err := w.Write(data); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			return b.Bytes()
		}},
		{"xz", func(t testing.TB, data []byte) []byte {
			var b bytes.Buffer
			w, err := xz.NewWriter(&b)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write(data); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			return b.Bytes()
		}},
		{"zstd", func(t testing.TB, data []byte) []byte {
			w, err := zstd.NewWriter(nil)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			return w.EncodeAll(data, nil)
		}},
	}
	if _, err := exec.LookPath("bzip2"); err == nil {
		cs = append(cs, compressor{"bzip2", func(t testing.TB, data []byte) []byte {
			cmd := exec.Command("bzip2", "-c")
			cmd.Stdin = bytes.NewReader(data)
			out, err := cmd.Output()
			if err != nil {
				t.Fatal(err)
			}
			return out
		}})
	} else if requireTools() {
		t.Fatal("bzip2 not installed (MODKIT_REQUIRE_TOOLS=1)")
	} else {
		t.Log("bzip2 not installed: bzip2 input is not tested")
	}
	return cs
}

func TestDecompressPlainShortInput(t *testing.T) {
	t.Parallel()
	// Inputs shorter than any magic number, or starting like one, are plain.
	for _, in := range []string{"", "a", "BZ", "BZh", "\x1f"} {
		r, closeFn, err := decompress(bytes.NewReader([]byte(in)))
		if err != nil && in != "\x1f" {
			t.Errorf("decompress(%q): %v", in, err)
			continue
		}
		closeFn()
		_ = r
	}
	// A gzip header that is not followed by valid data is an error.
	if _, _, err := decompress(bytes.NewReader([]byte{0x1f, 0x8b, 0, 0})); err == nil {
		t.Errorf("decompress(bad gzip) succeeded")
	}
}
