// Package pungi writes composes: RPM repositories that carry module metadata
// (modules.yaml) and the productmd metadata that describes them.
//
// The first piece is the repository writer. [WriteRepo] copies a module's
// RPMs into a directory, runs createrepo_c, fills each module stream's
// artifacts (artifacts.rpms, artifacts.rpm-map and license.content) from the
// RPM headers and adds the resulting modules.yaml with
// `modifyrepo_c --mdtype=modules`, as Pungi does for each variant and arch.
// [VerifyRepo] then asks a real dnf, in a throwaway installroot with its own
// dnf.conf, what a client sees in such a repository.
//
// RPM headers are read in Go with github.com/cavaliergopher/rpm
// ([ReadRPMs]), checked field by field against `rpm -qp` in the tests; the
// programs used are createrepo_c, modifyrepo_c and dnf. A missing one gives
// an error naming the package to install.
package pungi
