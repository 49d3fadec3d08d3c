package kojitest

import (
	"path"
	"strings"
	"sync"
	"time"
)

// Sim is a simulated build farm for [WithBuilder]: build tasks run for a
// configurable time and then produce a build (or fail on demand), while
// tagBuild and newRepo tasks finish at once. The NVR of a build from an SCM
// URL is <package>-1.0-1<dist>, where <package> is the build's
// mbs_artifact_name option (else the repository's name) and <dist> the
// dist tag of the
// module-build-macros build tagged into the target's build tag (what the
// macros would set in a real buildroot); a build from an uploaded SRPM
// (cli-build/.../N-V-R.src.rpm) keeps the SRPM's NVR. Sim is safe for
// concurrent use; change it while the hub runs.
//
//	sim := kojitest.NewSim()
//	sim.SetDuration(50 * time.Millisecond)
//	sim.Fail("perl", "error: Bad exit status from /var/tmp/rpm-tmp (%build)")
//	hub := kojitest.New(t, kojitest.WithBuilder(sim.Builder))
type Sim struct {
	mu       sync.Mutex
	duration time.Duration
	fail     map[string]string
	hold     map[string]bool
	started  map[int64]bool
	builds   map[string]int // package -> submissions
	targeted map[string]int // target + "/" + package -> submissions
}

// NewSim returns a Sim whose builds finish at the first request after they
// were submitted.
func NewSim() *Sim {
	return &Sim{fail: map[string]string{}, hold: map[string]bool{}, started: map[int64]bool{}, builds: map[string]int{}, targeted: map[string]int{}}
}

// SetDuration sets how long each build task runs, measured from its
// creation; 0 = it finishes at the next request.
func (s *Sim) SetDuration(d time.Duration) {
	s.mu.Lock()
	s.duration = d
	s.mu.Unlock()
}

// Fail makes the build tasks of pkg fail with message (a BuildError);
// an empty message makes them succeed again.
func (s *Sim) Fail(pkg, message string) {
	s.mu.Lock()
	if message == "" {
		delete(s.fail, pkg)
	} else {
		s.fail[pkg] = message
	}
	s.mu.Unlock()
}

// Hold keeps the build tasks of pkg running (FREE) until Hold(pkg, false).
func (s *Sim) Hold(pkg string, on bool) {
	s.mu.Lock()
	s.hold[pkg] = on
	s.mu.Unlock()
}

// Submissions returns how many top-level build tasks of pkg the hub was
// given (counted when the simulated builder first sees them).
func (s *Sim) Submissions(pkg string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.builds[pkg]
}

// TargetSubmissions returns how many top-level build tasks of pkg in
// target the hub was given.
func (s *Sim) TargetSubmissions(target, pkg string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.targeted[target+"/"+pkg]
}

// Builder is the [Builder] to install with WithBuilder.
func (s *Sim) Builder(t TaskInfo) TaskOutcome {
	if t.Method != "build" {
		return TaskOutcome{}
	}
	src, _ := t.Request[0].(string)
	spec := srpmSpec(src)
	name := spec.Name
	if name == "" {
		// An SCM build is named by its spec, which for module components
		// is the component (MBS's mbs_artifact_name), else by the
		// repository.
		opts, _ := t.Request[2].(map[string]any)
		if a, ok := opts["mbs_artifact_name"].(string); ok && a != "" {
			name = a
			spec.Name = a
		} else {
			name = scmName(src)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started[t.ID] {
		s.started[t.ID] = true
		s.builds[name]++
		target, _ := t.Request[1].(string)
		s.targeted[target+"/"+name]++
	}
	if s.hold[name] || time.Since(t.Created) < s.duration {
		return TaskOutcome{Defer: true}
	}
	if msg := s.fail[name]; msg != "" {
		return TaskOutcome{Fail: msg}
	}
	if spec.Name == "" {
		return TaskOutcome{}
	}
	return TaskOutcome{Build: &spec}
}

// srpmSpec reads N-V-R from an uploaded SRPM path; zero for SCM URLs.
func srpmSpec(src string) BuildSpec {
	if strings.Contains(src, "://") || !strings.HasSuffix(src, ".src.rpm") {
		return BuildSpec{}
	}
	nvr := strings.TrimSuffix(path.Base(src), ".src.rpm")
	i := strings.LastIndex(nvr, "-")
	if i <= 0 {
		return BuildSpec{}
	}
	j := strings.LastIndex(nvr[:i], "-")
	if j <= 0 {
		return BuildSpec{}
	}
	return BuildSpec{Name: nvr[:j], Version: nvr[j+1 : i], Release: nvr[i+1:]}
}

// distTag is the dist tag a buildroot of tag would define: the release of
// the module-build-macros build tagged into it, after its leading "1".
func (st *state) distTag(tagID int64) string {
	for _, l := range st.listings {
		if l.tagID != tagID || l.revokeEvent != nil {
			continue
		}
		if b := st.builds[l.buildID]; b != nil && b.name == "module-build-macros" {
			if r, ok := strings.CutPrefix(b.release, "1"); ok && strings.HasPrefix(r, ".") {
				return r
			}
		}
	}
	return ""
}
