package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSummary(t *testing.T) {
	t.Parallel()
	events := `{"Action":"start","Package":"ex/a"}
{"Action":"run","Package":"ex/a","Test":"TestOK"}
{"Action":"output","Package":"ex/a","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"output","Package":"ex/a","Test":"TestOK","Output":"--- PASS: TestOK (0.00s)\n"}
{"Action":"pass","Package":"ex/a","Test":"TestOK"}
{"Action":"output","Package":"ex/a","Test":"TestTool","Output":"=== RUN   TestTool\n"}
{"Action":"output","Package":"ex/a","Test":"TestTool","Output":"    a_test.go:9: modulemd-validator not installed (libmodulemd's tools)\n"}
{"Action":"output","Package":"ex/a","Test":"TestTool","Output":"--- SKIP: TestTool (0.00s)\n"}
{"Action":"skip","Package":"ex/a","Test":"TestTool"}
{"Action":"output","Package":"ex/a","Test":"TestBad","Output":"=== RUN   TestBad\n"}
{"Action":"output","Package":"ex/a","Test":"TestBad","Output":"    a_test.go:12: got 1, want 2\n"}
{"Action":"output","Package":"ex/a","Test":"TestBad","Output":"--- FAIL: TestBad (0.00s)\n"}
{"Action":"fail","Package":"ex/a","Test":"TestBad"}
{"Action":"output","Package":"ex/a","Output":"FAIL\n"}
{"Action":"output","Package":"ex/a","Output":"FAIL\tex/a\t0.01s\n"}
{"Action":"fail","Package":"ex/a"}
{"Action":"output","Package":"ex/b","Output":"?   \tex/b\t[no test files]\n"}
{"Action":"skip","Package":"ex/b"}
{"Action":"output","Package":"ex/c","Test":"TestS/one","Output":"    c_test.go:5: no PostgreSQL: MODKIT_TEST_PG_URL is not set\n"}
{"Action":"skip","Package":"ex/c","Test":"TestS/one"}
{"Action":"output","Package":"ex/c","Test":"TestS/two","Output":"    c_test.go:5: no PostgreSQL: MODKIT_TEST_PG_URL is not set\n"}
{"Action":"skip","Package":"ex/c","Test":"TestS/two"}
{"Action":"output","Package":"ex/c","Test":"TestS","Output":"--- PASS: TestS (0.00s)\n"}
{"Action":"pass","Package":"ex/c","Test":"TestS"}
{"Action":"output","Package":"ex/c","Output":"PASS\n"}
{"Action":"output","Package":"ex/c","Output":"ok  \tex/c\t0.01s\n"}
{"Action":"pass","Package":"ex/c"}
`
	var out bytes.Buffer
	s := newSummary(&out)
	if err := s.read(strings.NewReader(events)); err != nil {
		t.Fatal(err)
	}
	s.print()
	want := `=== RUN   TestBad
    a_test.go:12: got 1, want 2
--- FAIL: TestBad (0.00s)
FAIL
FAIL	ex/a	0.01s
?   	ex/b	[no test files]
ok  	ex/c	0.01s

== test summary: 2 passed, 1 failed, 3 skipped (2 packages, 1 failed)
skipped:
  ex/a TestTool: a_test.go:9: modulemd-validator not installed (libmodulemd's tools)
  ex/c TestS/one, TestS/two: c_test.go:5: no PostgreSQL: MODKIT_TEST_PG_URL is not set
failed:
  ex/a TestBad
`
	if d := cmp.Diff(want, out.String()); d != "" {
		t.Errorf("output (-want +got):\n%s", d)
	}
}

// TestExitStatus runs the program on a small module with a passing, a
// skipped and a failing test: go test's exit status is kept and the skip is
// named with its reason.
func TestExitStatus(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs go test on a scratch module")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	dir := t.TempDir()
	mod := filepath.Join(dir, "mod")
	write := func(name, body string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(mod, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(mod, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module ex\n\ngo 1.22\n")
	write("a/a_test.go", `package a

import "testing"

func TestOK(t *testing.T)   {}
func TestSkip(t *testing.T) { t.Skip("the frobnicator is not installed") }
`)
	write("b/b_test.go", `package b

import "testing"

func TestFail(t *testing.T) { t.Fatal("broken") }
`)
	bin := filepath.Join(dir, "testsummary")
	if out, err := exec.Command(goCmd, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	run := func(pkgs ...string) (string, int) {
		cmd := exec.Command(bin, pkgs...)
		cmd.Dir = mod
		cmd.Env = append(os.Environ(), "GO="+goCmd, "GOFLAGS=-mod=mod", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return string(out), ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}
	out, code := run("./a")
	if code != 0 || !strings.Contains(out, "== test summary: 1 passed, 0 failed, 1 skipped (1 packages)") ||
		!strings.Contains(out, "ex/a TestSkip: a_test.go:6: the frobnicator is not installed") {
		t.Errorf("./a: exit %d\n%s", code, out)
	}
	out, code = run("./...")
	if code != 1 || !strings.Contains(out, "b_test.go:5: broken") || !strings.Contains(out, "failed:\n  ex/b TestFail") {
		t.Errorf("./...: exit %d, want 1\n%s", code, out)
	}
}
