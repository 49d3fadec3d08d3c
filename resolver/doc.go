// Package resolver builds dependency graphs over module metadata, expands
// module streams the way the Module Build Service does, orders component
// builds and chooses streams the way a dnf client does.
//
// # Stream expansion
//
// [Expand] reproduces MBS 3.4's module stream expansion (MSE) against a
// [Source] of ready module builds:
//
//   - overrides ([ExpandOptions]) replace stream lists, then every stream list
//     is expanded ([ExpandStreamList]): [] is every stream with a build,
//     negatives only subtract, any positive keeps only the positives;
//   - base modules (platform) are found per buildrequired stream, newest
//     stream version first ([StreamVersion]: f28 → 280000, el8.3.0 → 80300),
//     with the base modules compatible through xmd.mbs.virtual_streams;
//   - for every other buildrequired name:stream, the latest builds made
//     against the newest base module of each major version are candidates,
//     and so, recursively, are the builds their runtime requires name;
//   - per dependency block, every combination of one stream per buildrequired
//     module is solved (one build per module, runtime requires of every
//     chosen build, base module version constraints) with the gophersat SAT
//     solver; combinations of several builds of one name:stream keep the
//     newest;
//   - each result is written like MBS: the chosen block, the transitive
//     xmd.mbs.buildrequires, xmd.mbs.mse, the version prefixed with the base
//     stream version ([PrefixVersion]), and [BuildContext],
//     [RuntimeContext] and [Context] computed byte for byte like MBS.
//
// MBS configuration has its counterparts in [ExpandOptions]: the base module
// stream derived from the branch ([BranchStream],
// BR_STREAM_OVERRIDE_REGEXES), stream version suffixes
// ([StreamVersionSuffixed], STREAM_SUFFIXES), incompatible base modules
// (with a [GarbageSource], dependencies built against retired ones), and
// default modules added after expansion. A [StateSource] (a build service's
// database) also lets Expand refuse dependencies whose sibling contexts are
// still building or that predate stream expansion ([*UnusableError]).
//
// Static contexts (xmd.mbs_options.contexts, packager v3 configurations) give
// one build per context. When a block cannot be satisfied, the
// [*ConflictError] lists every combination tried and what ruled it out.
//
// # Client-side module choice
//
// [Choose] reproduces libdnf 0.69's module solve (what dnf 4.14 activates):
// every build is a solvable named NAME:STREAM:CONTEXT, the context being the
// static context or the build's runtime requires as a string
// ([RequiresString]: "NoRequires", "mb;mc:[1]"); the requires of every
// dependency block must hold; module(NAME) requirements pull in a module
// with no enabled or default stream; one solvable name per stream is
// installed (every version of it is active); the enabled streams are hard
// requests and the default streams first hard, then wishes; when even the
// enabled streams fail, the conflicting builds are excluded and everything
// is retried as wishes. Which of two wishes that cannot hold together
// libsolv keeps follows from libdnf's job order: one job per build, builds
// in pool order (modules by name, each module's streams in file order), and
// libsolv gives up the last weak rule of its proof (best-version rules come
// after every job rule). With ChooseOptions.Obsoletes, enabled streams are
// obsoleted first as libdnf's applyObsoletes does. The [Choice] says which streams are active because
// they are enabled, default or pulled in, the active context of each, the
// outcome ([SolveResult]) and the problems ([SolveProblem]), and answers the
// modular filter ([Choice.Hidden]). libsolv's choices are reproduced by unit
// propagation with gophersat as the oracle where propagation alone cannot
// decide.
//
// [Client] runs dnf's module commands (enable, disable, reset, install with
// a profile or the default profiles, remove, switch-to with its
// distro-sync of the module's installed packages, and `dnf install NAME`) over a persisted [State] in /etc/dnf/modules.d format ([ReadState],
// [WriteState]) and returns the new state, the package changes and typed
// problems ([Problem], [*OpError]) that say which argument and whose request
// (enabled or default stream) they block. A differential test against real
// dnf (TestDNFDifferential; MODKIT_DNF_SCENARIOS, MODKIT_DNF_SEED,
// MODKIT_DNF_SEEDS) checks them on random scenarios.
//
// # Other services
//
// [Batches] orders the components of a stream by buildorder or buildafter.
// [Graph] answers dependency and reverse-dependency queries over an index
// and reports cycles. [Check] is the one-call CI check behind `modkit
// check`: validate, load indexes ([LoadIndex]), expand, plan.
//
// A [Source] needs two methods; [GarbageSource] and [StateSource] are
// optional. The package resolvertest holds the contract suite every
// implementation must pass.
package resolver
