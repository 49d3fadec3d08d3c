package koji_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/modkit/modkit/koji"
)

func TestUsers(t *testing.T) {
	t.Parallel()
	hub, c := setup(t)
	ctx := t.Context()
	id := must[int64](t)(c.CreateUser(ctx, "bob"))
	u := must[*koji.User](t)(c.GetUser(ctx, koji.Name("bob")))
	if u.ID != id || u.Name != "bob" {
		t.Errorf("GetUser = %+v", u)
	}
	if _, err := c.GetUser(ctx, koji.Name("nobody")); !errors.Is(err, koji.ErrNotFound) {
		t.Errorf("GetUser(missing) = %v", err)
	}
	check(t, c.GrantPermission(ctx, koji.Name("bob"), "tag", false))
	if err := c.GrantPermission(ctx, koji.Name("bob"), "brand-new", false); !errors.Is(err, koji.ErrGeneric) {
		t.Errorf("unknown perm = %v", err)
	}
	check(t, c.GrantPermission(ctx, koji.Name("bob"), "brand-new", true))
	hub.AddUser("carol", "pw", "repo")
	carol := newClient(t, hub, koji.PasswordAuth{User: "carol", Password: "pw"})
	check(t, carol.Login(ctx))
	perms := must[[]string](t)(carol.GetPerms(ctx))
	if diff := cmp.Diff([]string{"repo"}, perms); diff != "" {
		t.Errorf("GetPerms (-want +got):\n%s", diff)
	}
	if ok := must[bool](t)(carol.HasPerm(ctx, "tag")); ok {
		t.Error("carol has tag perm")
	}
	if _, err := carol.CreateUser(ctx, "x"); !errors.Is(err, koji.ErrActionNotAllowed) {
		t.Errorf("non-admin CreateUser = %v", err)
	}
	got := must[[]any](t)(c.Echo(ctx, "a", nil, 1))
	if diff := cmp.Diff([]any{"a", nil, int64(1)}, got); diff != "" {
		t.Errorf("Echo (-want +got):\n%s", diff)
	}
}
