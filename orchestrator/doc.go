// Package orchestrator is a module build service: it takes a module
// definition, expands it into module builds, builds their components in
// batches through a Builder and publishes the result.
package orchestrator
