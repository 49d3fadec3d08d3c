// Package compose makes Pungi-style composes of module builds: it reads a
// compose configuration (YAML, documented by ConfigSchema) and Pungi's
// variants.xml, chooses module builds per variant and arch with Pungi's
// rules, and writes Pungi's layout with productmd metadata.
//
// Sources of module builds are a koji hub (explicit N:S[:V[:C]] by build
// search, or every module of modular koji tags, both pinned to one koji
// event; per-arch modulemd.<arch>.txt archives and RPMs downloaded from the
// hub's top URL), the orchestrator's local builds, and plain repositories
// that carry modules.yaml.
//
// Selection follows Pungi: a spec without a version takes every context of
// the latest version; N:S:V takes that version; "*" takes everything from
// the variant's tags (or, for repository sources, every build); from tags,
// each name:stream comes from the topmost tag that has it and only its
// latest version's contexts count; filter_modules drops name:stream globs
// per variant and arch. Only the selected koji builds' metadata and RPMs
// are read.
//
// Sigkeys choose the copies of koji RPMs as Pungi does: for each RPM, the
// signed copy (packages/N/V/R/data/signed/<key>/<arch>/) of the first
// configured key the hub records for it (queryRPMSigs), a key whose signed
// copy is missing giving way to the next; "" (or null, Pungi's None) allows
// the unsigned copy. RPMs with no allowed copy fail the compose together,
// in a *SigkeyError; rpms.json records each RPM's key.
//
// The output is <target>/<COMPOSE_ID>/ with STATUS (STARTED, then FINISHED
// or DOOMED), COMPOSE_ID (Pungi's id rules; a respin number is taken when
// the id exists), compose/<Variant>/<arch>/os/ (Packages/<letter>/,
// repodata/ with modules.yaml, .treeinfo), <arch>/debug/tree and
// source/tree (no module metadata), compose/metadata/{composeinfo,rpms,
// modules,images}.json, work/global/, and a latest-SHORT-VERSION link. With
// extra_files, the configured files are copied into the os trees and
// listed in metadata/extra_files.json and in each tree's extra_files.json.
// modules.yaml holds the selected streams plus the defaults and obsoletes
// of the modules present, merged with modulemd.Merger. Repositories are
// written in parallel; an unchanged repository's repodata is taken from an
// older compose (old_composes).
package compose
