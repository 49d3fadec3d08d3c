package modulemd

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	bigOnce sync.Once
	bigData []byte
	bigErr  string
)

// bigIndex returns a ~50 MiB modules.yaml (6,004 streams and 40 defaults)
// made by ../shared/tools/make-big-index, or skips the benchmark when the
// tool is absent. MODKIT_BIG_YAML names an existing file to use instead.
func bigIndex(b *testing.B) []byte {
	b.Helper()
	bigOnce.Do(func() {
		if p := os.Getenv("MODKIT_BIG_YAML"); p != "" {
			data, err := os.ReadFile(p)
			if err != nil {
				bigErr = err.Error()
			}
			bigData = data
			return
		}
		tool := filepath.Join(repoRoot(b), "..", "shared", "tools", "make-big-index")
		if _, err := os.Stat(tool); err != nil {
			bigErr = "make-big-index not found at " + tool
			return
		}
		dir, err := os.MkdirTemp("", "modkit-big-")
		if err != nil {
			bigErr = err.Error()
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "big.yaml")
		cmd := exec.Command(pythonPath, tool, "-o", out, "--target-mb", "50", "--defaults")
		if msg, err := cmd.CombinedOutput(); err != nil {
			bigErr = "make-big-index: " + err.Error() + ": " + string(msg)
			return
		}
		bigData, err = os.ReadFile(out)
		if err != nil {
			bigErr = err.Error()
		}
	})
	if bigErr != "" {
		skipOrFatal(b, "%s", bigErr)
	}
	return bigData
}

func decodeAllBench(b *testing.B, data []byte) []Document {
	dec := NewDecoder(bytes.NewReader(data))
	var docs []Document
	for {
		doc, err := dec.Decode()
		if err == io.EOF {
			return docs
		}
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, doc)
	}
}

// BenchmarkDecodeBig decodes the big index (all documents, lenient).
func BenchmarkDecodeBig(b *testing.B) {
	data := bigIndex(b)
	// The generator's output varies a little between versions of its
	// sources; every document starts with a "---" line.
	want := bytes.Count(data, []byte("\n---\n"))
	if bytes.HasPrefix(data, []byte("---\n")) {
		want++
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if docs := decodeAllBench(b, data); len(docs) != want {
			b.Fatalf("decoded %d documents; the input has %d", len(docs), want)
		}
	}
}

// BenchmarkEncodeBig encodes the documents of the big index.
func BenchmarkEncodeBig(b *testing.B) {
	data := bigIndex(b)
	docs := decodeAllBench(b, data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Marshal(docs...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeSmall decodes small streams (one and two short
// documents), where the cost of setting a decoder up dominates.
func BenchmarkDecodeSmall(b *testing.B) {
	def := "document: modulemd-defaults\nversion: 1\ndata: {module: m, stream: s}\n"
	for _, bc := range []struct{ name, in string }{
		{"one", def},
		{"two", def + "---\n" + def},
		{"stream", minimalStream},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.in)))
			b.ReportAllocs()
			for b.Loop() {
				dec := NewDecoder(strings.NewReader(bc.in))
				for _, err := range dec.All() {
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
