// Package kojihub runs a koji/kojitest hub with a simulated build farm
// ([kojitest.Sim]) as a process of its own, so that several `modkit serve`
// processes can share one test hub and be killed while it keeps its state:
// the multi-process tests of cmd/modkit start it (re-executing their test
// binary), and internal/cmd/kojitest-hub runs it by hand.
//
// The hub is prepared for module builds the way kojibuild expects of a
// real hub: the "module" build type, content-generator access of the admin
// user to "module-build-service", and for each platform stream S the tags
// module-S-build (the platform's koji tag, x86_64) and
// S-modular-updates-candidate. Build tasks wait a fixed time (they wait,
// they do not compute) and then produce a build with RPMs for each arch,
// carrying the module's dist tag.
//
// Besides the hub at <url>/kojihub, GET <url>/kojitest/stats answers JSON
// with the hub's record: the calls it answered per method (multicalls
// count as one call of "multiCall") and the build tasks per target and
// mbs_artifact_name.
package kojihub
