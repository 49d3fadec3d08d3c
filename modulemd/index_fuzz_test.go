package modulemd

import (
	"bytes"
	"os"
	"testing"
)

// FuzzReadIndex loads arbitrary input into an index. It must never panic,
// and whatever dumps must load back to an index with the same streams and
// dump to the same bytes.
func FuzzReadIndex(f *testing.F) {
	for _, p := range []string{"testdata/index/mixed.yaml", "testdata/index/failures.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("document: modulemd-defaults\nversion: 1\ndata: {module: m, stream: s}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		idx, _ := ReadIndex(bytes.NewReader(data), &LoadOptions{Now: fixedNow})
		_ = idx.Lint()
		_ = idx.Search(Query{Name: "*"})
		out, err := idx.Dump()
		if err != nil {
			return
		}
		again, err := ReadIndex(bytes.NewReader(out), &LoadOptions{Now: fixedNow})
		if err != nil {
			t.Fatalf("the dump does not load back: %v\n%s", err, out)
		}
		if got, want := nsvcas(again.Streams()), nsvcas(idx.Streams()); len(got) != len(want) {
			t.Fatalf("streams after round trip %v, want %v", got, want)
		}
		out2, err := again.Dump()
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("second dump differs (err %v):\n%s\n---\n%s", err, out, out2)
		}
	})
}
