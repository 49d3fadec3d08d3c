package localbuild

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/modkit/modkit/orchestrator"
)

// record is what the builder keeps on disk about a component: the latest
// attempt and, once it ended, its result. It lives in
// <component dir>/build.json and is replaced atomically.
type record struct {
	TaskID string `json:"task_id"`
	// Attempt counts this builder's runs of the component (restarts
	// included); ServiceAttempt is the service's ComponentBuild.Attempt.
	Attempt        int       `json:"attempt"`
	ServiceAttempt int       `json:"service_attempt"`
	Package        string    `json:"package"`
	SCMURL         string    `json:"scmurl"`
	Ref            string    `json:"ref"`
	Batch          int       `json:"batch"`
	BuildTimeOnly  bool      `json:"build_time_only,omitempty"`
	Buildonly      bool      `json:"buildonly,omitempty"`
	Started        time.Time `json:"started"`
	Finished       time.Time `json:"finished,omitzero"`
	// Files are the produced RPM files, relative to the component dir.
	Files []string `json:"files,omitempty"`
	// RPMBuildSeconds is the time rpmbuild ran.
	RPMBuildSeconds float64 `json:"rpmbuild_seconds,omitempty"`
	// Result is nil while the attempt runs.
	Result *orchestrator.ComponentResult `json:"result,omitempty"`
}

// errBadRecord is wrapped by readRecord's error for a record that exists
// but cannot be decoded (cut short by a crash of the machine).
var errBadRecord = errors.New("unreadable build record")

func recordPath(cdir string) string { return filepath.Join(cdir, "build.json") }

func readRecord(cdir string) (*record, error) {
	b, err := os.ReadFile(recordPath(cdir))
	if err != nil {
		return nil, err
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%w %s: %v", errBadRecord, recordPath(cdir), err)
	}
	return &r, nil
}

func writeRecord(cdir string, r *record) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(recordPath(cdir), append(b, '\n'))
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it over path, so that readers see the old or the new content, never a
// part. It does not sync: like the service's store (SQLite with
// synchronous=NORMAL) the builder's records survive a crash of the
// process, not necessarily one of the machine, and neither would the RPM
// files they list, which rpmbuild does not sync. (An fsync after a build
// also flushes everything rpmbuild wrote: ~2 ms per component on a quiet
// disk, far more on a busy one.) Poll treats a record it cannot read as an
// interrupted build.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	// Readable as os.WriteFile's files are (CreateTemp makes 0600): the
	// sandboxed build user reads the macros file and generated specs.
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
