// Package localbuild is an [orchestrator.Builder] that builds module
// components on this machine with rpmbuild, like MBS's local (mock) builds
// but without a chroot.
//
// For each component it exports the pinned commit of the component's git
// repository (a path, a file:// URL or any git URL) with internal/scm, finds
// the spec (<package>.spec, or the only *.spec at the top of the tree; the
// sources come from the same tree), and runs `rpmbuild -ba` with the
// module's macros loaded: the dist tag, %modularitylabel, the
// %_module_* macros and buildopts.rpms.macros — the same file the
// module-build-macros package installs in a koji buildroot.
//
// BuildRequires: rpmbuild resolves nothing, and this builder installs
// nothing on the host. Before building, it checks every BuildRequires of the
// spec (rpmspec -q --buildrequires): a requirement is satisfied by an RPM
// built by an earlier batch of this module (or found in a repository given
// in Options.Repos), by a package in the host's rpm database, or, for a file
// path, by a file on the host. RPMs from earlier batches that satisfy
// requirements (and what they require from the same RPMs, transitively)
// are unpacked into a private sysroot whose path is the macro
// %modkit_sysroot (in Go, the same tree `rpm --root -i --noscripts` writes
// but without rpm's database; rpm does it for payloads Go cannot read), so
// a spec can use their files as %{?modkit_sysroot}/usr/share/...; that macro is undefined in koji and
// mock, where the same spec finds the files at /usr/share/... . Any
// requirement left unsatisfied fails the component with the list, before
// rpmbuild runs.
//
// While a batch builds, the builder works ahead (orchestrator.Prefetcher):
// one background worker exports the pinned sources of the later batches'
// components and runs rpmspec on their specs, so a batch starts with
// rpmbuild as soon as the one before it ends. Only what depends on earlier
// batches (which RPMs satisfy the BuildRequires, the sysroot) waits.
//
// After each batch but the last, FinishBatch puts the batch's RPMs into the
// module's build repository and runs createrepo_c over it (not for a batch
// of module-build-macros alone, whose macros are loaded directly). The
// builder itself reads BuildRequires from the RPM files, so createrepo_c
// runs in the background while the next batch builds; the next
// FinishBatch, or Finalize, waits for it and reports its failure.
//
// [Usage] times every program run (rpmbuild apart from the others), which
// modkit build reports as the split between rpmbuild and its overhead.
// Finalize writes the
// module's repository with [pungi.WriteRepo]: the RPMs of every component
// except module-build-macros and buildonly components, with modules.yaml
// (the final modulemd with artifacts.rpms, artifacts.rpm-map and
// license.content from the RPM headers, plus modulemd-defaults).
//
// Everything a build produces is recorded on disk under Options.Dir, so
// Poll works after a restart: a finished build reports its recorded result,
// and a build that was running in a process that died is started again.
//
// Each rpmbuild and rpmspec runs in its own process group, recorded under
// Options.Dir/procs with the leader's start time and a token in the
// environment of every process of the build (internal/proc). Close kills
// and reaps the running groups without recording a result. New kills the
// groups a dead process left behind (never a process that fails those
// checks) and reports them as [orchestrator.Recovery] messages.
//
// With Options.Sandbox, rpmbuild and rpmspec run inside bubblewrap: the
// system directories read-only, a private /tmp and /var/tmp, no network,
// only the component's run directory writable and nothing else of the host
// visible; as user nobody without capabilities when the builder is root
// (mounts by bwrap as root, then setpriv), in a user namespace otherwise.
// New probes the sandbox and fails with [ErrSandbox] and the reason when
// bwrap cannot make one here.
package localbuild
