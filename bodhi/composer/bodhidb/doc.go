// Package bodhidb records a push in Bodhi's own PostgreSQL database, what
// Bodhi's composer does at the end of a compose and what Bodhi's REST API
// offers no call for.
//
// Bodhi 8's composer (the Celery task bodhi.server.tasks.composer, started
// by bodhi-push, which itself creates the compose records in the database)
// sets each pushed update's status to testing or stable with
// date_testing or date_stable, pushed, clears its request and lock
// (_mark_status_changes, _unlock_updates) and comments "This update has
// been pushed to testing." or "...to stable." as the user bodhi
// (status_comment). Its REST API has no write that does any of this: the
// composes service only reads (GET /composes/), the update schema has no
// status, pushed or date fields, and the only other code that sets an
// update's status to testing or stable (the approve_testing task and the
// signed consumer) works only for releases Bodhi does not compose. A
// composer that runs beside Bodhi therefore writes the database as
// Bodhi's does; [Marker.Mark] fits composer.PushOptions.Mark.
//
// It imports pgx, so it is a package of its own: package composer does not
// need PostgreSQL.
package bodhidb
