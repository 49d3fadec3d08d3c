// Command testsummary runs 'go test -json' with its arguments, prints what
// plain 'go test' would print (each package's result line, the output of
// failed tests, build errors), and ends with a summary: how many tests
// passed, failed and were skipped, and why each skipped test skipped, so
// that a skipped conformance test is as visible as a failed one. It exits
// with go test's exit status. 'make test' runs it:
//
//	go run ./internal/testsummary ./...
//
// $GO names the go command (default "go").
package main
