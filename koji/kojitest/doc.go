// Package kojitest runs an in-process koji hub for tests: an XML-RPC server
// on net/http/httptest that keeps its state in memory and behaves like a
// real koji 1.35 hub for the methods package koji uses.
//
// It implements users and permissions, sessions with koji's call-number
// checks and renewal, tags with inheritance, package lists and comps
// groups, build targets, builds and their states, RPMs and archives,
// tagging, tasks, repos and events, content-generator reservations and
// imports, chunked uploads, queryHistory and multicall. Faults carry koji's
// codes and messages. It also answers buildContainer, as a hub with the
// koji-containerbuild plugin does: [Hub.CompleteContainerTask] (or
// AutoComplete) plays OSBS and imports the image build, with one image
// archive per arch listing the image's RPMs.
//
// Call numbers are read as a released 1.35.3 hub reads them: only from the
// Koji-Callnum header (a request without it gets no SequenceError or
// RetryError check, so a resent write runs again), checked on every
// logged-in call and stored only when the call commits; uploads never store
// one. [WithCallnumMode] selects koji master's Koji-Session-Callnum instead.
// Requests are served one at a time, so calls of one session that race on
// the wire fail with SequenceError as on a real hub.
//
// Result shapes (member names, which are nil) and fault codes are checked
// against a real koji 1.35.3 hub by package koji's TestRealHubDifferential.
//
// Where the real hub is surprising, the test hub is too: tagBuild only
// queues a task, createBuildTarget returns nil, setInheritanceData needs
// every link key, builds and newRepo are tasks that a builder must finish.
// Here the builder is the test: finish tasks with [Hub.CompleteTask] and
// [Hub.FailTask], or install a simulated builder with [WithBuilder] (for
// example [AutoComplete], or a [Sim] build farm whose builds take a set
// time, fail on demand, carry the build tag's module dist tag and are
// counted), which runs queued tasks at the start of the next request.
//
// Usage:
//
//	hub := kojitest.New(t)
//	c, _ := koji.NewClient(hub.URL(), koji.WithAuth(koji.PasswordAuth{
//		User: kojitest.AdminUser, Password: kojitest.AdminPassword}))
//	_ = c.Login(ctx)
//
// Known differences from a real hub: no policies beyond permission checks,
// no external repos, no signatures, RPM outputs of CG imports are not
// parsed, newRepo runs no createrepo subtasks, and an empty `<value/>`
// parameter arrives as nil rather than "".
package kojitest
