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
// # Other services
//
// [Batches] orders the components of a stream by buildorder or buildafter.
// [Graph] answers dependency and reverse-dependency queries over an index
// and reports cycles. [Choose] computes a dnf client's active streams and
// the modular filter. [Check] is the one-call CI check behind `modkit
// check`: validate, load indexes ([LoadIndex]), expand, plan.
//
// A [Source] needs two methods; [GarbageSource] and [StateSource] are
// optional. The package resolvertest holds the contract suite every
// implementation must pass.
package resolver
