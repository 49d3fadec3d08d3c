// Package storetest is the contract test suite of [orchestrator.Store]:
// every implementation (the SQLite store, a future PostgreSQL one) must pass
// [Run].
//
// Usage, in the implementation's tests:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) orchestrator.Store { return openEmptyStore(t) })
//	}
package storetest
