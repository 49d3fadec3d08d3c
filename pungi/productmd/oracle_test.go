package productmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/modkit/modkit/internal/testenv"
)

// oracleReport is what productmd-oracle --json says about one file.
type oracleReport struct {
	File          string `json:"file"`
	Verdict       string `json:"verdict"`
	Error         string `json:"error"`
	HeaderVersion string `json:"header_version"`
	Dump          any    `json:"dump"`
}

// oracle runs productmd 1.50 (../shared/tools/productmd-oracle) on paths.
func oracle(t *testing.T, kind string, paths ...string) []oracleReport {
	t.Helper()
	tool := filepath.Join(testenv.SharedDir(t), "tools", "productmd-oracle")
	if _, err := os.Stat(tool); err != nil {
		testenv.SkipOrFatal(t, "productmd-oracle not found: %v", err)
	}
	testenv.RequireTools(t, "python3")
	args := []string{"--json"}
	if kind != "" {
		args = append(args, "--kind", kind)
	}
	cmd := exec.Command(tool, append(args, paths...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Fatalf("productmd-oracle: %v: %s", err, stderr.String())
		}
	}
	var reps []oracleReport
	if err := json.Unmarshal(out, &reps); err != nil {
		t.Fatalf("productmd-oracle output: %v\n%s", err, out)
	}
	return reps
}

// asJSON parses data into a generic value for field-by-field comparison.
func asJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("our output is not JSON: %v\n%s", err, data)
	}
	return v
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
