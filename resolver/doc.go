// Package resolver builds dependency graphs over module metadata, expands
// module streams the way the Module Build Service does, orders component
// builds and chooses streams the way a dnf client does.
package resolver
