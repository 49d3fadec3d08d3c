// Package bodhitest is an in-process Bodhi server for tests of code that
// uses package bodhi.
//
// It keeps Bodhi's data model in memory and applies the rules a client
// relies on: the content type of a build comes from koji
// (extra.typeinfo.module means a module), an update holds builds of one
// release and one content type and one build per package (modules count
// as name:stream), a new update obsoletes older pending or testing updates
// of the same packages, requests move through Bodhi's transitions and are
// refused where Bodhi refuses them, karma reaching stable_karma requests
// stable (autokarma), aliases are <id_prefix>-<year>-<10 hex>, lists page
// like Bodhi's, errors have Bodhi's {status, errors:[{location, name,
// description}]} shape, and writes need a session cookie and the CSRF token
// of GET /csrf. Builds and their tags are read from a koji hub through a
// koji.Client, so a kojitest hub (or a real one) feeds it.
//
// Buildroot overrides (POST /overrides/: create, edit, expire, revive,
// with Bodhi's refusals) tag their build into the release's override tag
// through that koji client, which must then be logged in with the right to
// tag, as Bodhi's is; when koji refuses (a package not in the tag's
// list) the answer is Bodhi's 400 and, as in Bodhi, the override is
// recorded all the same. Updates from a side tag (from_tag: a koji tag
// whose extra has sidetag and sidetag_user, as koji's sidetag plugin makes
// them) take the latest builds tagged in it, belong to its owner, and have
// no request until one is made: Bodhi's signed consumer, which would
// request testing, does not run here.
//
// Requests move updates only in the database: there is no composer. Use
// [Server.SetStatus] to do what a compose would do.
package bodhitest
