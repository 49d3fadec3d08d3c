// Package bodhi is a client for Bodhi, the Fedora updates system: the REST
// API that holds updates (one release and one content type each), moves
// them from testing to stable, and records karma, comments, overrides and
// composes.
//
// # Usage
//
//	c, err := bodhi.NewClient("https://bodhi.fedoraproject.org/",
//		bodhi.WithTokenSource(myOIDCTokens))
//	if err != nil { ... }
//	page, err := c.ListUpdates(ctx, &bodhi.UpdateListOptions{
//		Releases: []string{"F27M"}, Status: []string{"testing"}})
//	for u, err := range c.Updates(ctx, &bodhi.UpdateListOptions{User: "alice"}) { ... }
//	res, err := c.SaveUpdate(ctx, &bodhi.UpdateInput{Builds: []string{nvr}, Notes: "fix"})
//
// Every call that talks to the server takes a context first; optional
// arguments come as a pointer to an options struct (nil for defaults).
// List methods return one [Page]; the iterator methods ([Client.Updates],
// [Client.Builds], ...) walk every page.
//
// # Authentication
//
// Reads work anonymously. Writes need a session: either an existing
// session cookie ([WithSessionCookie], the auth_tkt cookie Bodhi sets after
// a login) or an OpenID Connect access token from a [TokenSource], which
// the client exchanges at GET /oidc/login-token for a session cookie, as
// Bodhi's own client does. Before the first write the client fetches a
// CSRF token (GET /csrf, which also sets Bodhi's `session` cookie) and
// sends it in every write's body, with the cookies. A write refused
// because the CSRF token expired, or because the session ended while a
// token source can renew it, is sent once more after renewing.
//
// # Errors
//
// A refusal is an [*Error] carrying the HTTP status and every
// {location, name, description} entry of Bodhi's error body; errors.Is
// matches [ErrNotFound] (404), [ErrForbidden] (403) and [ErrBadRequest]
// (400). Only safe calls (GET) are retried, on network errors and 5xx
// answers; writes are sent once.
package bodhi
