package kojitest

import (
	"strings"

	"github.com/modkit/modkit/internal/xmlrpcx"
)

func init() {
	def("getAPIVersion", "getAPIVersion", func(*callCtx, args) (any, *xmlrpcx.Fault) { return 1, nil })
	def("getKojiVersion", "getKojiVersion", func(*callCtx, args) (any, *xmlrpcx.Fault) { return Version, nil })
	def("login", "login", mLogin, "user", "password", "opts=None", "renew=False", "exclusive=False")
	def("sslLogin", "sslLogin", mSSLLogin, "proxyuser=None", "proxyauthtype=None", "renew=False", "exclusive=None")
	def("logout", "logout", mLogout, "session_id=None")
	def("getLoggedInUser", "getLoggedInUser", mGetLoggedInUser)
	def("getUser", "getUser", mGetUser, "userInfo=None", "strict=False", "krb_princs=True", "groups=False")
	def("createUser", "createUser", mCreateUser, "username", "status=None", "krb_principal=None")
	def("hasPerm", "hasPerm", mHasPerm, "perm", "strict=False")
	def("getPerms", "getPerms", mGetPerms)
	def("getAllPerms", "getAllPerms", mGetAllPerms)
	def("grantPermission", "grantPermission", mGrantPermission, "userinfo", "permission", "create=False", "description=None")
	def("getLastEvent", "getLastEvent", mGetLastEvent, "before=None", "strict=True")
	def("getEvent", "getEvent", mGetEvent, "id", "strict=True")
}

// echo takes *args; registered specially.
func init() {
	methods["echo"] = &method{pyName: "echo", star: true}
	methods["echo"].fn = func(cx *callCtx, a args) (any, *xmlrpcx.Fault) { return a["*args"], nil }
}

func userInfo(u *user) map[string]any {
	return map[string]any{"id": u.id, "name": u.name, "status": 0, "usertype": u.usertype,
		"authtype": 0, "krb_principal": nil, "krb_principals": []any{}}
}

func (cx *callCtx) newSession(u *user, authtype int64) map[string]any {
	s := &session{id: cx.st.nextID("session"), key: randomKey(u.id), userID: u.id, authtype: authtype}
	cx.st.sessions[s.id] = s
	return map[string]any{"session-id": s.id, "session-key": s.key, "header-auth": true}
}

func (cx *callCtx) renewSession() (any, *xmlrpcx.Fault) {
	if cx.sess == nil {
		return nil, fault(1002, "No session to renew")
	}
	cx.sess.key = randomKey(cx.sess.userID)
	cx.sess.expired = false
	return map[string]any{"session-id": cx.sess.id, "session-key": cx.sess.key, "header-auth": true}, nil
}

func mLogin(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	u := cx.st.userByName(a.str("user"))
	if u == nil || u.password == "" || u.password != a.str("password") {
		return nil, fault(1002, "invalid username or password")
	}
	if a.boolean("renew") {
		if cx.sess == nil || cx.sess.userID != u.id {
			return nil, fault(1002, "Invalid session or bad credentials")
		}
		return cx.renewSession()
	}
	return cx.newSession(u, 0), nil
}

func mSSLLogin(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	if !strings.HasSuffix(cx.req.URL.Path, "/ssllogin") {
		return nil, fault(1002, "sslLogin must be called on the /ssllogin endpoint")
	}
	var name string
	var authtype int64
	if h := cx.req.Header.Get("Authorization"); strings.HasPrefix(h, "Negotiate ") && cx.h.gssapi != nil {
		principal, err := cx.h.gssapi(strings.TrimPrefix(h, "Negotiate "))
		if err != nil {
			return nil, fault(1002, "GSSAPI authentication failed: %v", err)
		}
		name, _, _ = strings.Cut(principal, "@")
		authtype = 3
	} else if cx.req.TLS != nil && len(cx.req.TLS.PeerCertificates) > 0 {
		name = cx.req.TLS.PeerCertificates[0].Subject.CommonName
		authtype = 2
	} else {
		return nil, fault(1002, "could not authenticate: no client certificate or GSSAPI credentials")
	}
	if p := a.str("proxyuser"); p != "" {
		return nil, fault(1002, "%s is not authorized to login other users", name)
	}
	u := cx.st.userByName(name)
	if u == nil { // LoginCreatesUser
		u = &user{id: cx.st.nextID("user"), name: name, perms: map[string]bool{}}
		cx.st.users[u.id] = u
	}
	if a.boolean("renew") {
		return cx.renewSession()
	}
	return cx.newSession(u, authtype), nil
}

func mLogout(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	if cx.sess == nil {
		return nil, nil
	}
	cx.sess.closed = true
	cx.committed = true
	return nil, nil
}

func mGetLoggedInUser(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	if cx.user == nil {
		return nil, nil
	}
	return userInfo(cx.user), nil
}

func mGetUser(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	ref := a["userInfo"]
	u := cx.user
	if ref != nil || u == nil {
		u = cx.st.lookupUser(ref)
	}
	if u == nil {
		if a.boolean("strict") {
			return nil, fault(1000, "No such user: %s", pyRepr(ref))
		}
		return nil, nil
	}
	// get_user's columns: no authtype or krb_principal (getLoggedInUser
	// has those).
	out := map[string]any{"id": u.id, "name": u.name, "status": 0, "usertype": u.usertype}
	if !a.has("krb_princs") || a.boolean("krb_princs") {
		out["krb_principals"] = []any{}
	}
	return out, nil
}

func mCreateUser(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	if f := cx.requirePerm("admin"); f != nil {
		return nil, f
	}
	name := a.str("username")
	if cx.st.userByName(name) != nil {
		return nil, fault(1000, "user already exists: %s", name)
	}
	u := &user{id: cx.st.nextID("user"), name: name, perms: map[string]bool{}}
	cx.st.users[u.id] = u
	cx.event()
	return u.id, nil
}

func mHasPerm(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	if cx.user == nil {
		return false, nil
	}
	return cx.user.perms[a.str("perm")] || cx.user.perms["admin"], nil
}

func mGetPerms(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	out := []any{}
	if cx.user != nil {
		for _, p := range cx.st.permNames {
			if cx.user.perms[p] {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

func mGetAllPerms(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	out := []any{}
	for i, p := range cx.st.permNames {
		out = append(out, map[string]any{"id": i + 1, "name": p, "description": nil})
	}
	return out, nil
}

func mGrantPermission(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	if f := cx.requirePerm("admin"); f != nil {
		return nil, f
	}
	u := cx.st.lookupUser(a["userinfo"])
	if u == nil {
		return nil, fault(1000, "No such user: %s", pyRepr(a["userinfo"]))
	}
	perm := a.str("permission")
	known := false
	for _, p := range cx.st.permNames {
		known = known || p == perm
	}
	if !known {
		if !a.boolean("create") {
			return nil, fault(1000, "No such permission: %s", perm)
		}
		cx.st.permNames = append(cx.st.permNames, perm)
	}
	if u.perms[perm] {
		return nil, fault(1000, "user %s already has permission: %s", u.name, perm)
	}
	u.perms[perm] = true
	ev := cx.event()
	cx.st.permGrants = append(cx.st.permGrants, map[string]any{"user_id": u.id, "user.name": u.name,
		"permission.name": perm, "create_event": ev})
	return nil, nil
}

func mGetLastEvent(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	e := cx.st.events[len(cx.st.events)-1]
	return map[string]any{"id": e.id, "ts": pyTS(e.ts)}, nil
}

func mGetEvent(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	id := a.int("id")
	for _, e := range cx.st.events {
		if e.id == id {
			return map[string]any{"id": e.id, "ts": pyTS(e.ts)}, nil
		}
	}
	if a.boolean("strict") {
		return nil, fault(1000, "No such event: %d", id)
	}
	return nil, nil
}
