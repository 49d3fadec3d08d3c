package localbuild

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/modkit/modkit/internal/scm"
	"github.com/modkit/modkit/internal/systool"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
)

// HiddenDir replaces the builder's directory in failure reasons when
// Options.HidePaths is set.
const HiddenDir = "$BUILDS"

// ErrUnknownTask is returned (wrapped) by Poll for a component that was
// never submitted to this builder's directory.
var ErrUnknownTask = errors.New("localbuild: unknown task")

// Programs are the programs the builder runs.
var Programs = []string{"rpm", "rpmbuild", "rpmspec", "createrepo_c", "modifyrepo_c", "git"}

// Options configure a [Builder].
type Options struct {
	// Dir holds the work directories, build logs, the per-module build
	// repositories and the final repositories. Required.
	Dir string
	// Jobs is the number of rpmbuild processes run at once; 0 means the
	// number of CPUs.
	Jobs int
	// Git fetches component sources; nil means scm.Default.
	Git *scm.Git
	// Arch is the architecture written into the final modulemd; empty means
	// rpm's %_arch on this host (what dnf expects here).
	Arch string
	// Defaults are modulemd-defaults documents added to final repositories
	// for the modules they describe, in place of those submitted with the
	// module (ModuleBuild.Defaults, which the service fills from the
	// definition's modulemd-defaults documents or packager v3 default
	// profiles). When neither exists for a module whose stream has default
	// profiles, the builder writes one that makes the built stream the
	// default with those profiles, so that `dnf install` works from the
	// repository.
	Defaults []*modulemd.Defaults
	// Repos are extra repository directories whose RPMs may satisfy
	// BuildRequires (for example the repositories of buildrequired modules
	// built earlier).
	Repos []string
	// Logger receives one line per build step; nil means slog.Default().
	Logger *slog.Logger
	// Sandbox runs rpmbuild, and rpmspec when it reads a spec, inside
	// bubblewrap (bwrap): the system directories read-only, a private
	// /tmp, no network, only the component's work directory writable,
	// nothing else of the host's file system visible, killed with its
	// process group and when the builder's process dies. When the builder
	// runs as root the programs run as SandboxUID without capabilities.
	// New fails with an error wrapping ErrSandbox when bwrap cannot make a
	// sandbox here. modkit serve sets it; modkit build only on request.
	Sandbox bool
	// HidePaths writes HiddenDir in place of Dir in the reasons of failed
	// builds (which a server shows to anyone), so that they do not reveal
	// the server's file-system layout; the log still names the real paths.
	// modkit serve sets it.
	HidePaths bool
	// Usage receives the programs the builder runs, for timing; nil means
	// a Usage of the builder's own. Git processes are recorded only when
	// Git is nil: a Git given here records its own (scm.Git.Observe).
	Usage *Usage
}

// Builder builds components with rpmbuild. It implements
// [orchestrator.Builder] and is safe for concurrent use.
type Builder struct {
	dir     string
	git     *scm.Git
	arch    string
	opts    Options
	log     *slog.Logger
	jobs    chan struct{}
	mu      sync.Mutex
	active  map[string]*job // component dir → running build
	notify  []func()        // called when a build's result is recorded
	closing bool            // Close was called: interrupted builds record no result

	recovered []orchestrator.Recovery // builds of an earlier process killed by New

	usage   *Usage
	timeGit bool // record git exports in usage (a Git of the caller records its own)

	pmu      sync.Mutex
	prefetch map[string]*prefetched // component dir → sources fetched ahead
	queue    []prefetchJob          // prefetches not started, in batch order
	fetching bool                   // a prefetch worker runs
	fetchers sync.WaitGroup         // the prefetch worker

	sandbox *sandbox // nil: programs run unconfined

	stopCtx context.Context // canceled by Close: stops prefetches
	stop    context.CancelFunc

	repoMu  sync.Mutex
	repoJob map[string]*repoJob // build repository → createrepo_c running in the background
}

// tool records that program (other than rpmbuild) starts; the returned
// function records its end.
func (b *Builder) tool(program string) func() { return b.usage.Start(program) }

// job is a build running in this process.
type job struct {
	taskID string
	cancel context.CancelFunc
	done   chan struct{}
}

// New returns a Builder. It fails with a *systool.MissingError naming the
// packages to install when rpmbuild, createrepo_c, modifyrepo_c or git is
// missing.
func New(opts *Options) (*Builder, error) {
	if opts == nil || opts.Dir == "" {
		return nil, errors.New("localbuild: New needs Options.Dir")
	}
	if err := systool.Check(Programs...); err != nil {
		return nil, fmt.Errorf("localbuild: %w", err)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("localbuild: %w", err)
	}
	b := &Builder{dir: dir, opts: *opts, git: opts.Git, arch: opts.Arch, log: opts.Logger, active: map[string]*job{},
		usage: opts.Usage, prefetch: map[string]*prefetched{}, repoJob: map[string]*repoJob{}}
	if b.usage == nil {
		b.usage = &Usage{}
	}
	if b.git == nil {
		b.git, b.timeGit = scm.Default, true
	}
	if b.log == nil {
		b.log = slog.Default()
	}
	if b.arch == "" {
		b.arch = rpmArch[runtime.GOARCH]
	}
	if b.arch == "" {
		out, err := exec.Command("rpm", "--eval", "%{_arch}").Output()
		if err != nil {
			return nil, fmt.Errorf("localbuild: rpm --eval %%{_arch}: %w", err)
		}
		b.arch = strings.TrimSpace(string(out))
	}
	n := opts.Jobs
	if n <= 0 {
		n = runtime.NumCPU()
	}
	b.jobs = make(chan struct{}, n)
	b.stopCtx, b.stop = context.WithCancel(context.Background())
	if opts.Sandbox {
		if b.sandbox, err = newSandbox(context.Background(), dir); err != nil {
			return nil, fmt.Errorf("localbuild: %w", err)
		}
	}
	b.killStale()
	return b, nil
}

// rpmArch is rpm's %_arch for the Go architectures where it is fixed (others
// ask rpm).
var rpmArch = map[string]string{
	"amd64": "x86_64", "arm64": "aarch64", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64",
}

var (
	_ orchestrator.Builder          = (*Builder)(nil)
	_ orchestrator.Notifier         = (*Builder)(nil)
	_ orchestrator.RecoveryReporter = (*Builder)(nil)
)

// Arch returns the architecture the builder writes into final modulemd.
func (b *Builder) Arch() string { return b.arch }

// Stats returns the cumulative timings of the builder's Usage.
func (b *Builder) Stats() Stats { return b.usage.Stats() }

// ModuleDir returns the directory holding everything of module build mb.
func (b *Builder) ModuleDir(mb *orchestrator.ModuleBuild) string {
	name := fmt.Sprintf("%d-%s-%s-%s-%s", mb.ID, mb.Name, mb.Stream, mb.Version, mb.Context)
	return filepath.Join(b.dir, sanitize(name))
}

// RepoDir returns the final repository directory of mb (written by
// Finalize).
func (b *Builder) RepoDir(mb *orchestrator.ModuleBuild) string {
	return filepath.Join(b.ModuleDir(mb), "repo")
}

// componentDir is the directory of component pkg of mb. Callers check pkg
// with orchestrator.CheckComponentName first; sanitize keeps a name that was
// not checked inside the module's directory all the same.
func (b *Builder) componentDir(mb *orchestrator.ModuleBuild, pkg string) string {
	return filepath.Join(b.ModuleDir(mb), "components", sanitize(pkg))
}

// checkComponent refuses a component whose name cannot be a directory
// name or part of a task id.
func checkComponent(c *orchestrator.ComponentBuild) error {
	if err := orchestrator.CheckComponentName(c.Package); err != nil {
		return fmt.Errorf("localbuild: %w", err)
	}
	return nil
}

func (b *Builder) buildRepoDir(mb *orchestrator.ModuleBuild) string {
	return filepath.Join(b.ModuleDir(mb), "buildrepo")
}

func (b *Builder) macrosFile(mb *orchestrator.ModuleBuild) string {
	return filepath.Join(b.ModuleDir(mb), "macros.zz-modules")
}

// Prepare creates the module's directories, writes its RPM macros file
// (what module-build-macros installs in a koji buildroot) and the generated
// module-build-macros spec. The build repository gets its repodata from
// the first FinishBatch that adds packages later batches may use.
func (b *Builder) Prepare(ctx context.Context, mb *orchestrator.ModuleBuild, stream *modulemd.Stream) error {
	md := b.ModuleDir(mb)
	for _, d := range []string{filepath.Join(md, "components"), filepath.Join(b.buildRepoDir(mb), "Packages"), filepath.Join(md, orchestrator.MacrosPackage)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("localbuild: prepare %s: %w", mb.NSVC(), err)
		}
	}
	m := *mb
	if m.DistTag == "" {
		m.DistTag = fallbackDistTag(mb, stream)
	}
	if err := writeFileAtomic(b.macrosFile(mb), []byte(orchestrator.Macros(&m, stream))); err != nil {
		return fmt.Errorf("localbuild: prepare %s: %w", mb.NSVC(), err)
	}
	spec := orchestrator.MacrosSpec(&m, stream, orchestrator.MacrosConflicts(stream))
	if err := writeFileAtomic(filepath.Join(md, orchestrator.MacrosPackage, orchestrator.MacrosPackage+".spec"), []byte(spec)); err != nil {
		return fmt.Errorf("localbuild: prepare %s: %w", mb.NSVC(), err)
	}
	b.log.Info("prepared module build", "nsvc", mb.NSVC(), "dir", md)
	return nil
}

// fallbackDistTag computes MBS's dist tag when the service did not set one:
// the platform stream as marking and the build's own id as index.
func fallbackDistTag(mb *orchestrator.ModuleBuild, s *modulemd.Stream) string {
	marking := "local"
	if s != nil {
		for _, d := range s.Dependencies {
			for _, st := range d.BuildRequires["platform"] {
				if !strings.HasPrefix(st, "-") {
					marking = st
					break
				}
			}
		}
	}
	return orchestrator.DistTag("module+", marking, mb.ID, mb.Name, mb.Stream, mb.Version, mb.Context)
}

// Submit starts building c in the background and returns its task id
// ("local:<module id>:<package>:<run>"). Submit is idempotent per component
// and c.Attempt: submitting again while that build runs, or after it ended,
// returns the same task id without building again (Poll then reports the
// recorded result). A new c.Attempt starts a new build.
func (b *Builder) Submit(ctx context.Context, mb *orchestrator.ModuleBuild, c *orchestrator.ComponentBuild) (string, error) {
	if err := checkComponent(c); err != nil {
		return "", err
	}
	cdir := b.componentDir(mb, c.Package)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closing {
		return "", errors.New("localbuild: the builder is closed")
	}
	r, _ := readRecord(cdir)
	same := r != nil && r.ServiceAttempt == c.Attempt && r.Ref == c.Ref
	if j := b.active[cdir]; j != nil {
		if same {
			return j.taskID, nil
		}
		j.cancel()
		b.mu.Unlock()
		<-j.done
		b.mu.Lock()
	}
	if same && r.Result != nil {
		return r.TaskID, nil
	}
	return b.start(mb, c, cdir)
}

// start records a new attempt on disk and runs it; b.mu is held.
func (b *Builder) start(mb *orchestrator.ModuleBuild, c *orchestrator.ComponentBuild, cdir string) (string, error) {
	if err := os.MkdirAll(cdir, 0o755); err != nil {
		return "", fmt.Errorf("localbuild: submit %s: %w", c.Package, err)
	}
	prev, _ := readRecord(cdir)
	r := &record{Attempt: 1, ServiceAttempt: c.Attempt, Package: c.Package, SCMURL: c.SCMURL, Ref: c.Ref, BuildTimeOnly: c.BuildTimeOnly, Buildonly: c.Buildonly, Batch: c.Batch, Started: time.Now().UTC()}
	if prev != nil {
		r.Attempt = prev.Attempt + 1
	}
	r.TaskID = "local:" + strconv.FormatInt(mb.ID, 10) + ":" + c.Package + ":" + strconv.Itoa(r.Attempt)
	if err := writeRecord(cdir, r); err != nil {
		return "", fmt.Errorf("localbuild: submit %s: %w", c.Package, err)
	}
	if c.ID != 0 {
		link := b.byComponent(c.ID)
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err == nil {
			_ = os.Remove(link)
			_ = os.Symlink(cdir, link)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	j := &job{taskID: r.TaskID, cancel: cancel, done: make(chan struct{})}
	b.active[cdir] = j
	mbCopy, cCopy := *mb, *c
	go func() {
		defer close(j.done)
		defer cancel()
		res := b.build(ctx, &mbCopy, &cCopy, cdir, r)
		b.mu.Lock()
		if b.closing && ctx.Err() != nil {
			// Interrupted by Close (the service stops): no result, so
			// that the next Builder on this directory builds it again.
			delete(b.active, cdir)
			b.mu.Unlock()
			return
		}
		r.Result = &res
		r.Finished = time.Now().UTC()
		if err := writeRecord(cdir, r); err != nil {
			b.log.Error("cannot record build result", "package", c.Package, "err", err)
		}
		delete(b.active, cdir)
		notify := slices.Clone(b.notify)
		b.mu.Unlock()
		for _, fn := range notify {
			fn()
		}
	}()
	return r.TaskID, nil
}

// Notify implements [orchestrator.Notifier]: fn is called after each
// component build's result is recorded.
func (b *Builder) Notify(fn func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.notify = append(b.notify, fn)
}

// Poll reports the recorded result of c's latest build. A build that was
// started by a process that is gone (so it will never finish), or whose
// record cannot be read, is started again, and reported as building.
func (b *Builder) Poll(ctx context.Context, mb *orchestrator.ModuleBuild, c *orchestrator.ComponentBuild) (orchestrator.ComponentResult, error) {
	if err := checkComponent(c); err != nil {
		return orchestrator.ComponentResult{}, err
	}
	cdir := b.componentDir(mb, c.Package)
	b.mu.Lock()
	defer b.mu.Unlock()
	r, err := readRecord(cdir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return orchestrator.ComponentResult{}, fmt.Errorf("%w: %s of %s was never submitted here", ErrUnknownTask, c.Package, mb.NSVC())
	case errors.Is(err, errBadRecord) && b.active[cdir] == nil:
		// Cut short by a crash of the machine: build it again.
		b.log.Warn("restarting a build whose record is unreadable", "package", c.Package, "err", err)
		if _, err := b.start(mb, c, cdir); err != nil {
			return orchestrator.ComponentResult{}, err
		}
		return orchestrator.ComponentResult{State: orchestrator.ComponentBuilding}, nil
	case err != nil:
		return orchestrator.ComponentResult{}, fmt.Errorf("localbuild: poll %s: %w", c.Package, err)
	}
	if r.Result != nil {
		return *r.Result, nil
	}
	if b.active[cdir] != nil {
		return orchestrator.ComponentResult{State: orchestrator.ComponentBuilding}, nil
	}
	b.log.Info("restarting a build that was interrupted", "package", c.Package, "task", r.TaskID)
	if _, err := b.start(mb, c, cdir); err != nil {
		return orchestrator.ComponentResult{}, err
	}
	return orchestrator.ComponentResult{State: orchestrator.ComponentBuilding}, nil
}

// Cancel stops c's running build and records it as canceled.
func (b *Builder) Cancel(ctx context.Context, mb *orchestrator.ModuleBuild, c *orchestrator.ComponentBuild) error {
	if err := checkComponent(c); err != nil {
		return err
	}
	cdir := b.componentDir(mb, c.Package)
	b.mu.Lock()
	j := b.active[cdir]
	b.mu.Unlock()
	if j != nil {
		j.cancel()
		select {
		case <-j.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	r, err := readRecord(cdir)
	if err != nil || r.Result != nil {
		return nil
	}
	r.Result = &orchestrator.ComponentResult{State: orchestrator.ComponentCanceled, Reason: "canceled"}
	r.Finished = time.Now().UTC()
	return writeRecord(cdir, r)
}

func sanitize(s string) string {
	if s == "" || s == "." || s == ".." {
		return "_" + s
	}
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == '+' {
			return r
		}
		return '_'
	}, s)
}
