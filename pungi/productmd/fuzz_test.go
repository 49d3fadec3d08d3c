package productmd

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// fuzzRoundTrip decodes data into fresh(); whatever decodes and encodes
// must decode again to the same bytes.
func fuzzRoundTrip(t *testing.T, data []byte, fresh func() any) {
	v := fresh()
	var err error
	switch x := v.(type) {
	case json.Unmarshaler:
		err = x.UnmarshalJSON(data)
	case encoding.TextUnmarshaler:
		err = x.UnmarshalText(data)
	}
	if err != nil {
		return
	}
	first, err := marshal(v)
	if err != nil {
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("encode error that is not a validation error: %v", err)
		}
		return
	}
	w := fresh()
	switch x := w.(type) {
	case json.Unmarshaler:
		err = x.UnmarshalJSON(first)
	case encoding.TextUnmarshaler:
		err = x.UnmarshalText(first)
	}
	if err != nil {
		t.Fatalf("our own output does not decode: %v\n%s", err, first)
	}
	second, err := marshal(w)
	if err != nil {
		t.Fatalf("re-encode: %v", err)
	}
	if !bytes.Equal(first, second) {
		t.Fatalf("not stable:\n%s\n---\n%s", first, second)
	}
}

func marshal(v any) ([]byte, error) {
	switch x := v.(type) {
	case json.Marshaler:
		return x.MarshalJSON()
	case encoding.TextMarshaler:
		return x.MarshalText()
	}
	return nil, nil
}

func seed(f *testing.F, patterns ...string) {
	for _, p := range patterns {
		ms, _ := filepath.Glob(filepath.Join("testdata", p))
		for _, m := range ms {
			if b, err := os.ReadFile(m); err == nil {
				f.Add(b)
			}
		}
	}
}

func FuzzComposeInfo(f *testing.F) {
	seed(f, "*composeinfo*")
	f.Add([]byte(`{"header": {"version": "0.3"}, "payload": {"compose": {"id": "A-1-20200101.t.1", "type": "test"}, "product": {"name": "A", "short": "A", "version": "1"}, "variants": {"V": {"id": "V", "uid": "V", "name": "V", "type": "variant", "arches": ["x86_64"], "paths": {}}, "V-x": {"id": "x", "uid": "V-x", "name": "x", "type": "addon", "arches": ["x86_64"], "paths": {}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRoundTrip(t, data, func() any { return &ComposeInfo{} }) })
}

func FuzzRPMs(f *testing.F) {
	seed(f, "*rpms*")
	f.Add([]byte(`{"header": {"type": "productmd.rpms", "version": "1.2"}, "payload": {"compose": {"id": "A-1-20200101.t.1", "type": "test", "date": "20200101", "respin": 1}, "rpms": {"V": {"x86_64": {"a-0:1-1.src": {"a-0:1-1.x86_64": {"path": "p", "sigkey": null, "category": "binary"}}}}}}}`))
	f.Add([]byte(`{"header": {"version": "0.3"}, "payload": {"compose": {"id": "A-1-20200101.t.1", "type": "test", "date": "20200101", "respin": 1}, "manifest": {"V": {"x86_64": {"a-0:1-1.src": {"a-0:1-1.x86_64": {"path": "p", "sigkey": null, "type": "package"}}}, "src": {"a-0:1-1.src": {"a-0:1-1.src": {"path": "s", "sigkey": null, "type": "source"}}}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRoundTrip(t, data, func() any { return &RPMs{} }) })
}

func FuzzModules(f *testing.F) {
	seed(f, "*modules*")
	f.Add([]byte(`{"header": {"type": "productmd.modules", "version": "1.2"}, "payload": {"compose": {"id": "A-1-20200101.t.1", "type": "test", "date": "20200101", "respin": 1}, "modules": {"V": {"x86_64": {"a:b:1:c": {"metadata": {"uid": "a:b:1:c", "name": "a", "stream": "b", "version": "1", "context": "c", "koji_tag": "t"}, "modulemd_path": {"binary": "m.yaml"}, "rpms": []}}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRoundTrip(t, data, func() any { return &Modules{} }) })
}

func FuzzImages(f *testing.F) {
	seed(f, "*images*")
	f.Add([]byte(`{"header": {"type": "productmd.images", "version": "1.1"}, "payload": {"compose": {"id": "A-1-20200101.t.1", "type": "test", "date": "20200101", "respin": 1}, "images": {"V": {"src": [{"path": "a.iso", "mtime": 1, "size": 1, "volume_id": null, "type": "dvd", "format": "iso", "arch": "src", "disc_number": 1, "disc_count": 1, "checksums": {"md5": "00000000000000000000000000000000"}, "implant_md5": null, "bootable": false, "subvariant": ""}], "x86_64": []}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRoundTrip(t, data, func() any { return &Images{} }) })
}

func FuzzExtraFiles(f *testing.F) {
	seed(f, "*extra_files*")
	f.Add([]byte(`{"header": {"type": "productmd.extra_files", "version": "1.2"}, "payload": {"compose": {"id": "A-1-20200101.t.1", "type": "test", "date": "20200101", "respin": 1}, "extra_files": {"V": {"x86_64": [{"file": "a", "size": 1, "checksums": {"sha256": "x"}}]}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRoundTrip(t, data, func() any { return &ExtraFiles{} }) })
}

func FuzzTreeInfo(f *testing.F) {
	seed(f, "*treeinfo*")
	f.Add([]byte("[general]\nfamily = Fedora\nversion = 21\narch = x86_64\ntimestamp = 1.5\nvariant = Server\n[images-x86_64]\nkernel = /os/images/vmlinuz\n"))
	f.Add([]byte("[header]\nversion = 1.2\ntype = productmd.treeinfo\n[release]\nname = A\nversion = 1\n[tree]\narch = x86_64\nplatforms = x86_64\nbuild_timestamp = 5\nvariants = V\n[variant-V]\nid = V\nuid = V\nname = V\ntype = variant\naddons = V-a\n[addon-V-a]\nid = a\nuid = V-a\nname = a\ntype = addon\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRoundTrip(t, data, func() any { return &TreeInfo{} }) })
}
