// Package koji is a client for the koji build system's hub: the XML-RPC
// API that module build orchestrators and compose tools drive.
//
// # Usage
//
//	c, err := koji.NewClient("https://koji.example.org/kojihub",
//		koji.WithAuth(koji.CertificateAuth{}),
//		koji.WithHTTPClient(httpClientWithCert),
//		koji.WithLogger(slog.Default()))
//	if err != nil { ... }
//	if err := c.Login(ctx); err != nil { ... }
//	build, err := c.GetBuild(ctx, koji.Name("foo-1.0-1.fc42"))
//
// Every method that talks to the hub takes a context first; optional
// arguments come as a pointer to an options struct (nil for defaults) and are
// sent by name in koji's keyword-argument convention, so unset options are
// never sent as placeholders. Objects are identified by [Ref] values built
// with [ID] or [Name].
//
// # Wire format
//
// The XML-RPC codec is github.com/kolo/xmlrpc, wrapped by modkit's
// internal transport so that nil travels as `<nil/>` (koji's None),
// integers beyond 32 bits as `<i8>`, keyword arguments as the trailing
// `__starstar` struct, and times as epoch seconds. Koji's time strings and
// `*_ts` doubles decode to [time.Time]; nullable fields are pointers.
//
// # Errors
//
// A hub fault is a [*Fault] carrying the method, code and message;
// errors.Is matches it against the class sentinels ([ErrGeneric],
// [ErrAuth], [ErrActionNotAllowed], [ErrParameter], [ErrServerOffline], ...)
// following koji's exception hierarchy, so errors.Is(err, ErrAuth) holds
// for an AuthExpired fault. Lookups that find nothing return [ErrNotFound];
// non-2xx HTTP replies are [*HTTPError].
//
// # Sessions and retries
//
// [Client.Login] uses the configured [Authenticator]: [PasswordAuth],
// [CertificateAuth] (TLS client certificate via /ssllogin) or the
// GSSAPI/Kerberos authenticator in package koji/kerberos, kept separate so
// that importing koji does not pull in a Kerberos stack. Session data
// travels in the Koji-Session-Id and Koji-Session-Key headers, and the call
// number in both Koji-Callnum (the only one released hubs up to 1.35.3
// read) and Koji-Session-Callnum (koji's master branch). The hub refuses a
// call numbered below one it has committed (SequenceError), so a client
// used from many goroutines sends the calls that need its session one at a
// time, in number order; reads that do not depend on the user go without
// the session and in parallel (see [Client] and [WithSessionReads]). An expired session (AuthExpired) is renewed once,
// transparently, keeping the session id and continuing the call count, as
// the hub requires.
//
// Transport failures are retried with backoff ([RetryPolicy]) only when a
// resend is safe: reads always, and any call of a logged-in client, because
// the resend carries the same call number and the hub answers RetryError
// instead of running a committed call twice. Anonymous writes are never
// retried. Cancelling the context stops waits and retries at once.
//
// # Batching, tasks, repos, imports
//
// [Multicall] batches calls in one request with one result or fault per
// call. [Client.WaitTask] and [Client.WaitRepo] poll until a task finishes
// or a repo containing given builds is ready. [Client.Upload] performs
// koji's chunked upload with adler32 verification, and
// [Client.ImportModuleBuild] uploads and imports a module build as a
// content-generator build in the metadata format the Module Build Service
// writes. Package koji/kojitest provides an in-process hub for tests.
//
// Container images: [Client.BuildContainer] submits a buildContainer task
// (the call koji-containerbuild's hub plugin adds; OSBS builds the image
// and imports it), [Client.GetContainerTaskResult] reads the builds it
// produced, and [Build.ImageInfo] reads an image build's parent build and
// task from its extra. An image's RPMs are listed per image archive:
// ListArchives with Type "image" (which fills [Archive.Arch]), then
// ListRPMs with ImageID.
//
// Hub API reference: https://docs.pagure.org/koji/ and the hub's own
// system.listMethods / system.methodHelp.
package koji
