// Package rebuilds decides and submits automated module rebuilds, the job
// Fedora's Freshmaker did: when a component's spec file changes on a branch,
// the newest build of every module stream that takes the component from that
// branch is rebuilt; when a module build becomes ready, the newest builds of
// the streams that buildrequire it are rebuilt in turn, and so on down the
// chain.
//
// The package is named after what it produces and records, a rebuild, and
// not after Freshmaker: it is one domain noun beside the orchestrator's
// builders, stores and buses, and the orchestrator performs each rebuild
// itself ([orchestrator.SubmitRequest.Rebuild]), with no "bump" commit.
//
// Events come in as [Message] values (topic and JSON body): dist-git's
// git.receive, the orchestrator's own module.state.change events (or MBS's),
// Bodhi's update messages and koji's build state changes. [Service.Attach]
// feeds it the orchestrator's events in-process; a consumer of a message bus
// calls [Service.Handle]. Each event is recorded once (by message id) with
// Freshmaker's event type ids and states; each rebuild it decides, submits or
// skips is an [ArtifactBuild] with Freshmaker's states and the reason: the
// allow or block rule that applied ([Rules], Freshmaker's
// HANDLER_BUILD_ALLOWLIST/BLOCKLIST shape) and the dependency path that led
// to it. A [Store] keeps events and builds ([NewSQLStore] over SQLite or
// PostgreSQL), so a restarted service handles no event twice and submits no
// rebuild twice. Dry run (per event or global) records what would be rebuilt
// and builds nothing.
//
// Container images are rebuilt in Freshmaker's two Bodhi flows
// ([ImageOptions]): the slow flow when an update's stable push completes,
// the fast flow when an update is created (through an on-demand compose
// of its builds, [Composer]). The newest build of every image name and
// stream that contains an older version of an updated package is rebuilt
// through an [ImageBuilder] ([KojiImages]: koji's buildContainer), parents
// first: a child waits for its parent's rebuild and is built FROM it.
// Image rebuilds are a dry run unless ImageOptions.Build is set.
//
// [Service.Trigger] handles a manual rebuild request ([ManualRequest]:
// modules, a component branch, or again what an earlier event rebuilt) by
// the same handlers and rules, recorded with its requester; [Service.Cancel]
// cancels an event (Freshmaker's PATCH): its planned rebuilds are canceled,
// its running ones canceled in the orchestrator. [NewHandler] with
// [WriteOptions] serves both (POST builds/, PATCH events/<id>) and [Client]
// calls them. [Service.HandleBusMessage] handles a message from a
// fedora-messaging bus ([BusTopics]) and says whether to offer it again;
// processes sharing a [SQLStore] hold a lease on a message while they
// handle it ([Leaser]), so one message is handled by one process, once.
package rebuilds
