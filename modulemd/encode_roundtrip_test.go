package modulemd

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// docCmp compares decoded documents field by field, ignoring positions.
var docCmp = cmp.Options{
	cmpopts.IgnoreUnexported(Stream{}, Defaults{}, Obsoletes{}, Translations{}, Packager{}),
}

// roundTrip encodes docs, decodes the output and reports any difference.
func roundTrip(t testing.TB, name string, docs []Document) {
	t.Helper()
	out, err := Marshal(docs...)
	if err != nil {
		t.Errorf("%s: Marshal: %v", name, err)
		return
	}
	again, err := Parse(out)
	if err != nil {
		t.Errorf("%s: re-reading the encoded output: %v\n%s", name, err, out)
		return
	}
	if d := cmp.Diff(docs, again, docCmp); d != "" {
		t.Errorf("%s: decode(encode(x)) != x (-x +decoded):\n%s", name, d)
		return
	}
	// Encoding is deterministic and a fixed point.
	out2, err := Marshal(again...)
	if err != nil || !bytes.Equal(out, out2) {
		t.Errorf("%s: second encoding differs (err %v):\n%s\n----\n%s", name, err, out, out2)
	}
}

// TestRoundTripShared decodes every file of ../shared that holds modulemd
// documents, encodes what decoded, and checks that decoding the output gives
// the same documents, in lenient and strict mode.
func TestRoundTripShared(t *testing.T) {
	t.Parallel()
	shared := sharedDir(t)
	total := 0
	for _, c := range sharedCorpora {
		dir := filepath.Join(shared, c.dir)
		for _, f := range sharedFiles(t, dir) {
			if filepath.Ext(f) == ".json" {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			for _, strict := range []bool{false, true} {
				dec := NewDecoder(bytes.NewReader(data))
				dec.Strict(strict)
				var docs []Document
				for doc, err := range dec.All() {
					if err == nil {
						docs = append(docs, doc)
					}
				}
				total += len(docs)
				if len(docs) > 0 {
					roundTrip(t, c.dir+"/"+f, docs)
				}
			}
		}
	}
	if total < 1000 {
		t.Errorf("only %d documents decoded from ../shared; expected thousands", total)
	}
}
