// Package pungi writes composes: RPM repositories that carry module metadata
// (modules.yaml) and the productmd metadata that describes them.
package pungi
