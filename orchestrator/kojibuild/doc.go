// Package kojibuild is an [orchestrator.Builder] that builds module
// components in a koji build system, the way Fedora's Module Build Service
// does.
//
// For each module build it creates the module's koji tag and its -build
// tag (arches, permission and MBS's default tag extra, overridable through
// xmd.mbs_options), makes the -build tag inherit the koji tag of every
// buildrequired module, fills its build and srpm-build groups from the
// buildrequires' buildroot and srpm-buildroot profiles, lists the packages
// and creates the build target. module-build-macros is built locally with
// rpmbuild -bs (the spec of [orchestrator.MacrosSpec]), uploaded and built
// from the upload; components are built from their pinned SCM URLs with
// MBS's build options (skip_tag, mbs_artifact_name, mbs_module_target).
// After each batch the builds are tagged into both tags, the -build repo
// is regenerated and checked for the batch's NVRs. On completion the module
// is imported as a content-generator build (with per-arch modulemd files
// listing the tagged RPMs), tagged into the candidate tag, and a -devel
// module holds the filtered RPMs.
//
// Every koji call is recorded in the module build's log messages at debug
// level ([orchestrator.BuildLogger]), running tasks are polled with one
// multicall per module build ([orchestrator.BatchPoller]), and Submit never
// resubmits blindly: after a crash it adopts the build task of the
// component (found by mbs_artifact_name and mbs_module_target) or a build
// that carries the module's dist tag. [Builder.Sweep] deletes targets of
// finished builds after a grace period and [Builder.Garbage] untags the
// components of long-failed builds; tags are never deleted.
//
// Usage:
//
//	kc, _ := koji.NewClient(hubURL, koji.WithAuth(auth))
//	b, _ := kojibuild.New(&kojibuild.Options{Client: kc, Arches: []string{"x86_64"}})
//	svc, _ := orchestrator.NewService(&orchestrator.Options{Store: st, Builder: b})
package kojibuild
