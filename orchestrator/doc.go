// Package orchestrator is a module build service: what Fedora's Module Build
// Service (MBS) does, as a library. It takes a module definition, expands it
// into module builds (one per dependency context), builds their components
// in batches through a [Builder] and publishes the result.
//
// A [Service] works over three interfaces:
//   - [Store] keeps all state (module builds, component builds, state
//     traces, user-visible log messages, the event outbox); sub-package
//     sqlstore is the embedded SQLite implementation, pgstore the
//     PostgreSQL one (several processes on one database), and storetest
//     the contract suite.
//   - [Builder] builds components: orchestrator/localbuild runs rpmbuild,
//     orchestrator/kojibuild builds in koji as MBS does, zerobuilder builds
//     nothing (tests, benchmarks). Optional interfaces let a builder write
//     into the build's log ([BuildLogger]), poll many components at once
//     ([BatchPoller]) and clean up after builds ([Janitor]).
//   - a [resolver.Source] finds the modules a module may buildrequire:
//     [NewDBSource] (the service's own ready builds, MBS's "db" resolver),
//     index files (resolver.LoadIndex), or several combined with [Sources].
//
// Module states and their codes are MBS's (init 0, wait 1, build 2, done 3,
// failed 4, ready 5, garbage 6); component states are koji's build states.
// Every transition is traced with its time and reason.
//
// [Service.Submit] reads a module definition (packager v2/v3 or stream v2,
// from a git repository and ref or given directly), applies overrides and
// static contexts, pins every component ref to a commit, and records the
// builds in init; it returns before stream expansion, which runs in the
// background and fails the build with the resolver's explanation when no
// combination of streams works. A resubmit of a failed build resumes it;
// of any other, it is refused with [ErrConflict] (HTTP 409).
//
// [Service.Run] does the work and is driven by the store, not by events:
// on start it picks up every unfinished build and polls the builder for
// components submitted before a crash. Batches come from resolver.Batches,
// with module-build-macros alone in batch 1 ([Macros], [MacrosSpec],
// [DistTag]); a concurrency limit per service applies, and
// [Options.GlobalConcurrency] one across the services sharing a store
// (slots reserved in the store, [SlotTx]); a failed component
// fails the module when its batch ends. Several services (processes) may
// share one store: leases in the store ([Store.Claim]) give each module
// build, the outbox and the cleanup pollers to one of them at a time, and
// pass them on when a holder dies. Rebuild strategies (all,
// changed-and-after, only-changed) decide component reuse, and every
// decision is recorded as a log message.
//
// Events (module.state.change, component.state.change, with MBS's JSON
// bodies) are written to the outbox in the transaction of the change they
// describe and published after commit, to a [Publisher] (orchestrator/amqpbus
// sends them to RabbitMQ in fedora-messaging's format) and to
// [Service.Subscribe] subscribers; an event leaves the outbox only once
// published.
//
// Usage:
//
//	st, _ := sqlstore.Open(ctx, "state/modkit.db", nil)
//	svc, _ := orchestrator.NewService(&orchestrator.Options{Store: st, Builder: b})
//	go svc.Run(ctx)
//	builds, err := svc.Submit(ctx, &orchestrator.SubmitRequest{SCMURL: "https://git.example.com/modules/foo.git#stable", Owner: "me"})
//	final, err := svc.Wait(ctx, builds[0].ID)
//
// Sub-package mbsapi serves the MBS-compatible REST API over a Service.
package orchestrator
