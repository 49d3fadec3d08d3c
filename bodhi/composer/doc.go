// Package composer publishes modular updates the way Bodhi's composer
// does for a modular release (its ModuleComposerThread), with the module
// information in updateinfo.xml that Bodhi never wrote (its RFE #2805):
// every advisory's collection names the module streams
// (<module name stream version context arch/>) beside their packages, which
// createrepo_c and libdnf read, so dnf shows an advisory only to systems
// that enable its stream.
//
// [SelectModules] computes a compose's module set: per name:stream the
// build with the highest version among the release's builds, overridden by
// the builds of the updates being pushed. [UpdateInfo] encodes advisories
// and [AddUpdateInfo] injects them into a repository with
// `modifyrepo_c --mdtype=updateinfo`.
package composer
