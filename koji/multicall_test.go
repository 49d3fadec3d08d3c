package koji_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
)

func TestMulticall(t *testing.T) {
	t.Parallel()
	hub, c := setup(t)
	ctx := t.Context()
	seedBuilds(t, c)
	before := len(hub.Calls())
	mc := c.NewMulticall()
	b1 := mc.GetBuild(koji.Name("foo-1.0-1"))
	missing := mc.GetBuild(koji.Name("foo-9-9"))
	tag := mc.GetTag(koji.Name("dest"), nil)
	bad := mc.Call("getTag", "dest", koji.Kwargs{"bogus": true})
	ver := mc.Call("getAPIVersion")
	tagged := mc.ListTagged(koji.Name("dest"), nil)
	if _, err := b1.Result(); !errors.Is(err, koji.ErrPending) {
		t.Errorf("Result before Do = %v", err)
	}
	if mc.Len() != 6 {
		t.Errorf("Len = %d", mc.Len())
	}
	check(t, mc.Do(ctx, nil))
	if n := len(hub.Calls()) - before; n != 1 {
		t.Errorf("multicall made %d requests, want 1", n)
	}
	if b, err := b1.Result(); err != nil || b.NVR != "foo-1.0-1" {
		t.Errorf("b1 = %v, %v", b, err)
	}
	if _, err := missing.Result(); !errors.Is(err, koji.ErrNotFound) {
		t.Errorf("missing = %v", err)
	}
	if tg, err := tag.Result(); err != nil || tg.Name != "dest" {
		t.Errorf("tag = %v, %v", tg, err)
	}
	var f *koji.Fault
	if _, err := bad.Result(); !errors.As(err, &f) || f.Code != 1019 || f.Method != "getTag" || len(f.Traceback) == 0 {
		t.Errorf("bad = %#v", err)
	}
	if v, err := ver.Result(); err != nil || v != int64(1) {
		t.Errorf("ver = %v, %v", v, err)
	}
	if bs, err := tagged.Result(); err != nil || len(bs) != 2 {
		t.Errorf("tagged = %v, %v", bs, err)
	}
	var n int
	if err := koji.DecodeValue(int64(3), &n); err != nil || n != 3 {
		t.Errorf("DecodeValue = %d, %v", n, err)
	}
}

func TestMulticallBatchesAndWrites(t *testing.T) {
	t.Parallel()
	hub, c := setup(t)
	ctx := t.Context()
	mc := c.NewMulticall()
	var futs []*koji.Future[any]
	for _, name := range []string{"a", "b", "a", "c", "d"} {
		futs = append(futs, mc.Call("createTag", name))
	}
	before := len(hub.Calls())
	check(t, mc.Do(ctx, &koji.MulticallOptions{BatchSize: 2}))
	if n := len(hub.Calls()) - before; n != 3 {
		t.Errorf("requests = %d, want 3 batches", n)
	}
	for i, f := range futs {
		_, err := f.Result()
		if (i == 2) != (err != nil) {
			t.Errorf("call %d: %v", i, err)
		}
	}
	// The failed call rolled back alone; the others are there, and the
	// session's callnum kept working across the batches.
	tags := must[[]koji.Tag](t)(c.ListTags(ctx, nil))
	if len(tags) != 4 {
		t.Errorf("tags = %d, want 4", len(tags))
	}
	// An anonymous multicall of writes fails per call with ActionNotAllowed.
	anon := newClient(t, hub, nil).NewMulticall()
	w := anon.Call("createTag", "e")
	check(t, anon.Do(ctx, nil))
	if _, err := w.Result(); !errors.Is(err, koji.ErrActionNotAllowed) {
		t.Errorf("anonymous write in multicall = %v", err)
	}
}

func TestMulticallTransportError(t *testing.T) {
	t.Parallel()
	fl := &flaky{n: 100}
	hub := kojitest.New(t, kojitestMiddleware(fl))
	c2 := newClient(t, hub, nil)
	mc := c2.NewMulticall()
	f := mc.Call("getAPIVersion")
	err := mc.Do(t.Context(), nil)
	var he *koji.HTTPError
	if !errors.As(err, &he) {
		t.Fatalf("Do = %v, want HTTPError", err)
	}
	if _, ferr := f.Result(); !errors.As(ferr, &he) {
		t.Errorf("future = %v, want the batch error", ferr)
	}
}

// TestMulticallEach checks that decoding results straight into a narrow
// type gives what the value tree gives, that other types and faults take
// the value tree, and that batches split as asked.
func TestMulticallEach(t *testing.T) {
	t.Parallel()
	hub, c := setup(t)
	ctx := t.Context()
	seedBuilds(t, c)
	type row struct {
		ID      int64          `xmlrpc:"id"`
		NVR     string         `xmlrpc:"nvr"`
		Epoch   any            `xmlrpc:"epoch"`
		State   int            `xmlrpc:"state"`
		Draft   bool           `xmlrpc:"draft"`
		Extra   map[string]any `xmlrpc:"extra"`
		Missing string         `xmlrpc:"no_such_member"`
	}
	args := [][]any{{"foo-1.0-1"}, {"foo-1.0-2"}, {"foo-1.0-1"}}
	direct := make([]row, len(args))
	before := len(hub.Calls())
	check(t, koji.MulticallEach(ctx, c, "getBuild", args, direct, &koji.MulticallOptions{BatchSize: 2}))
	if n := len(hub.Calls()) - before; n != 2 {
		t.Errorf("%d requests, want 2 batches", n)
	}
	viaTree := make([]row, len(args))
	mc := c.NewMulticall()
	var futs []*koji.Future[any]
	for _, a := range args {
		futs = append(futs, mc.Call("getBuild", a...))
	}
	check(t, mc.Do(ctx, nil))
	for i, f := range futs {
		v, err := f.Result()
		check(t, err)
		check(t, koji.DecodeValue(v, &viaTree[i]))
	}
	if diff := cmp.Diff(viaTree, direct); diff != "" {
		t.Errorf("MulticallEach differs from Call + DecodeValue (-tree +direct):\n%s", diff)
	}
	if direct[1].NVR != "foo-1.0-2" || direct[0].ID == 0 || direct[0].Epoch != nil {
		t.Errorf("rows = %+v", direct)
	}
	// A type kolo cannot decode alike (pointers, times) takes the tree.
	builds := make([]koji.Build, len(args))
	check(t, koji.MulticallEach(ctx, c, "getBuild", args, builds, nil))
	if builds[1].NVR != "foo-1.0-2" || builds[1].Epoch != nil || builds[1].CompletionTime.IsZero() {
		t.Errorf("builds = %+v", builds[1])
	}
	// A fault anywhere in a batch is the error.
	bad := [][]any{{"dest"}, {"dest", koji.Kwargs{"bogus": true}}}
	var f *koji.Fault
	if err := koji.MulticallEach(ctx, c, "getTag", bad, make([]map[string]any, 2), nil); !errors.As(err, &f) || f.Code != 1019 {
		t.Errorf("fault = %#v", err)
	}
	if err := koji.MulticallEach(ctx, c, "getTag", bad, make([]map[string]any, 1), nil); err == nil {
		t.Error("len(out) != len(args) accepted")
	}
}

// TestCallInto checks a single call decoded straight into a narrow type
// against the value tree, and that faults are Client.Call's.
func TestCallInto(t *testing.T) {
	t.Parallel()
	_, c := setup(t)
	ctx := t.Context()
	seedBuilds(t, c)
	type row struct {
		BuildID int64          `xmlrpc:"build_id"`
		NVR     string         `xmlrpc:"nvr"`
		Epoch   any            `xmlrpc:"epoch"`
		TagName string         `xmlrpc:"tag_name"`
		Extra   map[string]any `xmlrpc:"extra"`
	}
	args := []any{"dest", koji.Kwargs{"extra": true}}
	var direct, viaTree []row
	check(t, koji.CallInto(ctx, c, "listTagged", args, &direct))
	check(t, c.Call(ctx, "listTagged", &viaTree, args...))
	if diff := cmp.Diff(viaTree, direct); diff != "" || len(direct) != 2 {
		t.Errorf("CallInto differs from Call (-tree +direct):\n%s", diff)
	}
	var builds []koji.Build // not direct-decodable: the value tree
	check(t, koji.CallInto(ctx, c, "listTagged", args, &builds))
	if len(builds) != 2 || builds[0].CompletionTime.IsZero() {
		t.Errorf("builds = %+v", builds)
	}
	var f *koji.Fault
	errCall := c.Call(ctx, "listTagged", &viaTree, "no-such-tag")
	errInto := koji.CallInto(ctx, c, "listTagged", []any{"no-such-tag"}, &direct)
	if !errors.As(errInto, &f) || errInto.Error() != errCall.Error() {
		t.Errorf("CallInto fault %v, Call fault %v", errInto, errCall)
	}
}
