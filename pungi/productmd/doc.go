// Package productmd reads and writes compose metadata in the formats of
// productmd, the library Pungi, ODCS and their consumers use: composeinfo.json,
// rpms.json, modules.json, images.json, extra_files.json and .treeinfo.
//
// Decoders accept every header version productmd 1.x reads (0.x legacy files
// through 1.2) and convert older layouts in memory, as productmd does; encoders
// always write format 1.2, with sorted keys, four-space indentation and ASCII
// escaping, byte for byte what productmd itself writes for the same data.
// Each type has Validate, which applies productmd's rules (compose id syntax,
// dates, compose and release types, labels, variant ids and UIDs, arches,
// NEVRAs with epochs, relative paths, checksums, image types and formats) and
// reports every problem at once in a *ValidationError. Marshalling validates
// first; unmarshalling validates what productmd validates when it loads.
//
// The package imports nothing else of modkit and no module outside the
// standard library.
package productmd
