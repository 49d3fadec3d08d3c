// Package odcs is an on-demand compose service in the manner of ODCS: a
// client asks for a short-lived repository of a koji tag, of koji builds,
// of module builds or of a local repository, and gets back a compose id,
// then a URL and a .repo file that dnf can use.
//
// [Service] keeps composes in a [Store] ([SQLStore]: one table,
// odcs_composes, on SQLite or PostgreSQL, beside the orchestrator's),
// generates waiting ones in a worker pool with pungi/compose (modules) or
// straight from koji (tags and builds, with Pungi's layout), reuses an
// identical done compose by ODCS's rules (same source, packages, builds,
// sigkeys, arches, flags and results; a koji event not older than the
// other's; for tags, a tag unchanged since), and removes expired composes
// and their directories in the background. Module specs (N:S, N:S:V,
// N:S:V:C) are resolved to full NSVCs through a [ModuleResolver] — the
// orchestrator's store ([StoreResolver]) or an MBS API ([MBSResolver]) —
// taking every context of the latest version and, unless no_deps, the
// modules they require at run time.
//
// States, source types, flags and results keep ODCS's names and numbers;
// [NewHandler] serves ODCS's REST API under /api/1/ (composes/, about/)
// with its JSON shapes and its error shape {"status", "error",
// "message"}; state changes go to an [Outbox] (the orchestrator's, with
// [OrchestratorOutbox]) under the topic odcs.compose.state-changed.
// [Client] talks to that API (or to ODCS itself).
package odcs
