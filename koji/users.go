package koji

import (
	"context"
	"time"
)

// User is a hub user (getLoggedInUser, getUser).
type User struct {
	ID            int64    `xmlrpc:"id"`
	Name          string   `xmlrpc:"name"`
	Status        int      `xmlrpc:"status"`   // 0 normal, 1 blocked
	UserType      int      `xmlrpc:"usertype"` // 0 normal, 1 host, 2 group
	AuthType      int      `xmlrpc:"authtype"` // 0 password, 2 SSL, 3 GSSAPI
	KrbPrincipals []string `xmlrpc:"krb_principals"`
}

// Event is a hub event: every committed change gets a new event id.
type Event struct {
	ID   int64     `xmlrpc:"id"`
	Time time.Time `xmlrpc:"ts"`
}

// GetAPIVersion returns the hub's XML-RPC API version (1 for many years).
func (c *Client) GetAPIVersion(ctx context.Context) (int, error) {
	var v int
	return v, c.call(ctx, "getAPIVersion", &v, nil, nil)
}

// GetKojiVersion returns the hub's koji version, e.g. "1.35.3" (hubs since
// 1.23).
func (c *Client) GetKojiVersion(ctx context.Context) (string, error) {
	var v string
	return v, c.call(ctx, "getKojiVersion", &v, nil, nil)
}

// Echo returns its arguments as the hub received them; useful to check
// encodings.
func (c *Client) Echo(ctx context.Context, args ...any) ([]any, error) {
	var v []any
	return v, c.call(ctx, "echo", &v, args, nil)
}

// GetLoggedInUser returns the session's user, or ErrNotLoggedIn for an
// anonymous client.
func (c *Client) GetLoggedInUser(ctx context.Context) (*User, error) {
	var u *User
	if err := c.call(ctx, "getLoggedInUser", &u, nil, nil); err != nil {
		return nil, err
	}
	if u == nil {
		return nil, ErrNotLoggedIn
	}
	return u, nil
}

// GetUser returns a user by id or name.
func (c *Client) GetUser(ctx context.Context, user Ref) (*User, error) {
	return lookup[User](ctx, c, "getUser", "user", user, nil)
}

// CreateUser creates a user (admin only) and returns its id.
func (c *Client) CreateUser(ctx context.Context, name string) (int64, error) {
	var id int64
	return id, c.call(ctx, "createUser", &id, []any{name}, nil)
}

// HasPerm reports whether the session's user has a permission (false when
// anonymous). Admins have every permission.
func (c *Client) HasPerm(ctx context.Context, perm string) (bool, error) {
	var ok bool
	return ok, c.call(ctx, "hasPerm", &ok, []any{perm}, nil)
}

// GetPerms returns the session user's permission names.
func (c *Client) GetPerms(ctx context.Context) ([]string, error) {
	var p []string
	return p, c.call(ctx, "getPerms", &p, nil, nil)
}

// GrantPermission grants a permission to a user (admin only). With create,
// an unknown permission name is created.
func (c *Client) GrantPermission(ctx context.Context, user Ref, perm string, create bool) error {
	k := Kwargs{}
	setIf(k, create, "create", true)
	return c.call(ctx, "grantPermission", nil, []any{user, perm}, k)
}

// GetLastEvent returns the most recent event.
func (c *Client) GetLastEvent(ctx context.Context) (*Event, error) {
	var e Event
	return &e, c.call(ctx, "getLastEvent", &e, nil, nil)
}

// TagLastChangeEvent returns the id of the last event that changed the
// content of tag or, through inheritance, its parents.
func (c *Client) TagLastChangeEvent(ctx context.Context, tag Ref) (int64, error) {
	var id int64
	return id, c.call(ctx, "tagLastChangeEvent", &id, []any{tag}, nil)
}
