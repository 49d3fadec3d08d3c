package localbuild

import (
	"encoding/json"
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

func recordPath(cdir string) string { return filepath.Join(cdir, "build.json") }

func readRecord(cdir string) (*record, error) {
	b, err := os.ReadFile(recordPath(cdir))
	if err != nil {
		return nil, err
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
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

// writeFileAtomic writes data to a temporary file beside path, syncs it and
// renames it over path.
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
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
