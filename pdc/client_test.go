package pdc_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/modkit/modkit/pdc"
	"github.com/modkit/modkit/pdc/pdctest"
)

func newServer(t *testing.T) (*pdctest.Server, *pdc.Client, *pdc.Client) {
	t.Helper()
	s := pdctest.New()
	t.Cleanup(s.Close)
	s.AddToken("0123456789abcdef0123456789abcdef01234567", "pdc-updater")
	w, err := pdc.NewClient(s.URL, pdc.WithToken("0123456789abcdef0123456789abcdef01234567"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := pdc.NewClient(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	return s, w, r
}

func TestModules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, w, r := newServer(t)
	for i := range 25 {
		m := &pdc.Module{Name: "nodejs", Stream: "8", Version: fmt.Sprint(20170101000000 + i), Context: "c0ffee42",
			KojiTag: fmt.Sprintf("module-nodejs-8-%d-c0ffee42", 20170101000000+i), Modulemd: "document: modulemd\n",
			RuntimeDeps: []pdc.Dependency{{Dependency: "platform", Stream: "f27"}}, BuildDeps: []pdc.Dependency{{Dependency: "platform", Stream: "f27"}}}
		if i == 24 {
			m.Name, m.RuntimeDeps = "perl", []pdc.Dependency{{Dependency: "platform", Stream: "f28"}}
		}
		got, err := w.CreateModule(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		if got.UID != m.Name+":8:"+m.Version+":c0ffee42" || got.Active {
			t.Fatalf("created %+v", got)
		}
	}
	// A page, the next pages by link, and the bare list.
	p, err := r.ListModules(ctx, &pdc.ModuleFilter{Name: "nodejs"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Count != 24 || len(p.Modules) != 20 || p.Next == "" {
		t.Errorf("first page: count %d, %d modules, next %q", p.Count, len(p.Modules), p.Next)
	}
	n := 0
	for _, err := range r.Modules(ctx, &pdc.ModuleFilter{Name: "nodejs", PageSize: 7}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 24 {
		t.Errorf("walked %d modules, want 24", n)
	}
	all, err := r.ListModules(ctx, &pdc.ModuleFilter{PageSize: -1})
	if err != nil || len(all.Modules) != 25 || all.Next != "" {
		t.Errorf("bare list: %v, %v", all, err)
	}
	f28, err := r.ListModules(ctx, &pdc.ModuleFilter{RuntimeDepName: "platform", RuntimeDepStream: "f28"})
	if err != nil || f28.Count != 1 || f28.Modules[0].Name != "perl" {
		t.Errorf("runtime_dep filter: %+v, %v", f28, err)
	}
	// Activate as pdc-updater did when the build became ready.
	uid := "nodejs:8:20170101000003:c0ffee42"
	m, err := w.PatchModule(ctx, uid, map[string]any{"active": true})
	if err != nil || !m.Active {
		t.Fatalf("PatchModule = %+v, %v", m, err)
	}
	active := true
	p, err = r.ListModules(ctx, &pdc.ModuleFilter{Active: &active})
	if err != nil || p.Count != 1 || p.Modules[0].UID != uid {
		t.Errorf("active filter: %+v, %v", p, err)
	}
	if got, err := r.GetModule(ctx, uid); err != nil || got.UID != uid {
		t.Errorf("GetModule = %+v, %v", got, err)
	}
	if _, err := r.GetModule(ctx, "nope:1:1:1"); !errors.Is(err, pdc.ErrNotFound) {
		t.Errorf("GetModule(unknown) = %v", err)
	}
	// Refusals: no token, bad token, missing fields, duplicates.
	var e *pdc.Error
	if _, err := r.CreateModule(ctx, &pdc.Module{Name: "x"}); !errors.As(err, &e) || e.StatusCode != 401 || e.Detail == "" {
		t.Errorf("anonymous create = %v", err)
	}
	bad, _ := pdc.NewClient(r.URL(), pdc.WithToken("nope"))
	if _, err := bad.PatchModule(ctx, uid, map[string]any{"active": false}); !errors.As(err, &e) || e.StatusCode != 401 || e.Detail != "Invalid token." {
		t.Errorf("bad token = %v", err)
	}
	if _, err := w.CreateModule(ctx, &pdc.Module{Name: "x"}); !errors.As(err, &e) || e.StatusCode != 400 || len(e.Fields["stream"]) == 0 {
		t.Errorf("missing fields = %v", err)
	}
	if _, err := w.CreateModule(ctx, &pdc.Module{Name: "perl", Stream: "8", Version: "20170101000024", Context: "c0ffee42", KojiTag: "t", Modulemd: "x"}); !errors.As(err, &e) || len(e.Fields["non_field_errors"]) == 0 {
		t.Errorf("duplicate = %v", err)
	}
}

func FuzzDecodeError(f *testing.F) {
	f.Add([]byte(`{"detail":"Not found."}`))
	f.Add([]byte(`{"name":["This field is required."],"x":"y"}`))
	f.Add([]byte(`[{"uid":"a:b:c:d"}]`))
	f.Add([]byte(`{"count":1,"next":null,"previous":null,"results":[{"uid":"a:b:c:d","rpms":["x"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = pdc.DecodeErrorForTest(data)
		_, _, _, _ = pdc.DecodeListForTest(data)
	})
}

func TestUnreleasedVariants(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, w, r := newServer(t)
	for i := range 5 {
		if _, err := w.CreateModule(ctx, &pdc.Module{Name: "nodejs", Stream: "8", Version: fmt.Sprint(20170101000000 + i),
			Context: "c0ffee42", KojiTag: "t", Modulemd: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for v, err := range r.UnreleasedVariants(ctx, &pdc.VariantFilter{VariantID: "nodejs", VariantVersion: "8", PageSize: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		m := v.Module()
		if v.VariantType != "module" || m.Stream != "8" || m.UID != "nodejs:8:"+m.Version+":c0ffee42" {
			t.Errorf("variant %+v", v)
		}
		n++
	}
	if n != 5 {
		t.Errorf("walked %d variants, want 5", n)
	}
	n = 0
	for _, err := range r.UnreleasedVariants(ctx, &pdc.VariantFilter{VariantRelease: "20170101000003", PageSize: -1}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1 {
		t.Errorf("variant_release filter: %d, want 1", n)
	}
}
