package kojibuild

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/resolver"
)

// Options configure a [Builder]. Client is required.
type Options struct {
	// Client talks to the hub; it must be able to log in (koji.WithAuth).
	Client *koji.Client
	// Source finds the buildrequired modules, whose buildroot and
	// srpm-buildroot profiles make the build and srpm-build groups; the
	// service's source (e.g. orchestrator.NewDBSource(store)). Nil: the
	// groups get only module-build-macros.
	Source resolver.Source
	// Arches are the tag arches when the module names none
	// (xmd.mbs.koji_tag_arches, buildopts.arches); default x86_64 (MBS's
	// ARCHES).
	Arches []string
	// Perm is the permission required to tag into the module's tags
	// (MBS's KOJI_TAG_PERMISSION); "" = none.
	Perm string
	// TagExtra replaces MBS's default tag extra options ([DefaultTagExtra]);
	// xmd.mbs_options.repo_include_all and dynamic_buildrequires override
	// single keys.
	TagExtra map[string]any
	// Priority is the build task priority (MBS's KOJI_BUILD_PRIORITY);
	// default 10.
	Priority *int
	// CandidateTag is where the content-generator build is tagged: a
	// template whose "{}" is the base module stream (MBS's
	// KOJI_CG_BUILD_TAG_TEMPLATE, e.g. "{}-modular-updates-candidate"),
	// falling back to "modular-updates-candidate" when the formatted tag
	// does not exist. "" = do not tag.
	CandidateTag string
	// NoContentGenerator skips the content-generator import.
	NoContentGenerator bool
	// NoDevelModule skips the -devel module import.
	NoDevelModule bool
	// ContentGenerator is the CG name; default "module-build-service".
	ContentGenerator string
	// TargetGrace is how long after completion a module's target is
	// deleted by Sweep (MBS's KOJI_TARGET_DELETE_TIME); default 24 h.
	TargetGrace time.Duration
	// WebURL is the koji web UI (e.g. https://koji.example.org/koji), for
	// task links; default: the hub URL without its final "hub"
	// (https://koji.example.org/kojihub -> https://koji.example.org/koji).
	WebURL string
	// TopURL is the hub's files URL (e.g. https://kojipkgs.example.org),
	// for links to logs; optional.
	TopURL string
	// PollInterval is the wait between polls of tagging and newRepo tasks;
	// default 1 s.
	PollInterval time.Duration
	// RepoTimeout bounds the wait for a regenerated -build repo; default
	// 2 h.
	RepoTimeout time.Duration
	// WorkDir is where module-build-macros SRPMs are made; default
	// os.TempDir().
	WorkDir string
	// Logger receives operational logs; nil = slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil = time.Now.
	Now func() time.Time
}

// DefaultTagExtra are MBS's default extra options of the module tags.
func DefaultTagExtra() map[string]any {
	return map[string]any{
		"mock.package_manager":     "dnf",
		"repo_include_all":         true,
		"mock.new_chroot":          0,
		"mock.yum.module_hotfixes": 1,
	}
}

// Builder builds module components in koji. It implements
// orchestrator.Builder, BuildLogger, BatchPoller and Janitor. It is safe
// for concurrent use.
type Builder struct {
	c    *koji.Client
	opts Options
	log  *slog.Logger

	mu     sync.Mutex
	buildL orchestrator.BuildLog
	user   *koji.User
	scans  map[scanKey]*scan
}

// New returns a Builder.
func New(opts *Options) (*Builder, error) {
	if opts == nil || opts.Client == nil {
		return nil, errors.New("kojibuild: New needs Options.Client")
	}
	o := *opts
	if len(o.Arches) == 0 {
		o.Arches = []string{"x86_64"}
	}
	if o.TagExtra == nil {
		o.TagExtra = DefaultTagExtra()
	}
	if o.Priority == nil {
		p := 10
		o.Priority = &p
	}
	if o.ContentGenerator == "" {
		o.ContentGenerator = "module-build-service"
	}
	if o.TargetGrace <= 0 {
		o.TargetGrace = 24 * time.Hour
	}
	if o.WebURL == "" {
		o.WebURL = strings.TrimSuffix(strings.TrimSuffix(o.Client.URL(), "/"), "hub")
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.RepoTimeout <= 0 {
		o.RepoTimeout = 2 * time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Builder{c: o.Client, opts: o, log: o.Logger, scans: map[scanKey]*scan{}}, nil
}

// SetBuildLog implements orchestrator.BuildLogger.
func (b *Builder) SetBuildLog(l orchestrator.BuildLog) {
	b.mu.Lock()
	b.buildL = l
	b.mu.Unlock()
}

// TaskURL returns the koji web page of a task id as Submit returns it
// ("" for an adopted build without a task).
func (b *Builder) TaskURL(taskID string) string {
	if id, ok := parseTask(taskID); ok {
		return fmt.Sprintf("%s/taskinfo?taskID=%d", b.opts.WebURL, id)
	}
	if id, ok := parseBuildRef(taskID); ok {
		return fmt.Sprintf("%s/buildinfo?buildID=%d", b.opts.WebURL, id)
	}
	return ""
}

// debug records a koji call (or other detail) in the module build's log
// messages at debug level, and in the operational log.
func (b *Builder) debug(ctx context.Context, mb *orchestrator.ModuleBuild, compID int64, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	b.mu.Lock()
	l := b.buildL
	b.mu.Unlock()
	if l != nil && mb != nil {
		l(ctx, mb.ID, compID, slog.LevelDebug, msg)
		return
	}
	b.log.DebugContext(ctx, msg, "module", mbID(mb))
}

// info records a user-facing message at info level.
func (b *Builder) info(ctx context.Context, mb *orchestrator.ModuleBuild, compID int64, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	b.mu.Lock()
	l := b.buildL
	b.mu.Unlock()
	if l != nil && mb != nil {
		l(ctx, mb.ID, compID, slog.LevelInfo, msg)
		return
	}
	b.log.InfoContext(ctx, msg, "module", mbID(mb))
}

func mbID(mb *orchestrator.ModuleBuild) int64 {
	if mb == nil {
		return 0
	}
	return mb.ID
}

// call logs one koji call: "koji <what>: ok (12 ms)" or its error.
func (b *Builder) logCall(ctx context.Context, mb *orchestrator.ModuleBuild, compID int64, start time.Time, err error, what string, args ...any) {
	w := fmt.Sprintf(what, args...)
	d := time.Since(start).Round(time.Millisecond)
	if err != nil {
		b.debug(ctx, mb, compID, "koji %s: %v (%s)", w, err, d)
		return
	}
	b.debug(ctx, mb, compID, "koji %s: ok (%s)", w, d)
}

// me returns the logged-in koji user (logging in on first use).
func (b *Builder) me(ctx context.Context, mb *orchestrator.ModuleBuild) (*koji.User, error) {
	b.mu.Lock()
	u := b.user
	b.mu.Unlock()
	if u != nil {
		return u, nil
	}
	if b.c.Session() == nil {
		t := time.Now()
		err := b.c.Login(ctx)
		b.logCall(ctx, mb, 0, t, err, "login")
		if err != nil {
			return nil, fmt.Errorf("log in to %s: %w", b.c.URL(), err)
		}
	}
	t := time.Now()
	u, err := b.c.GetLoggedInUser(ctx)
	b.logCall(ctx, mb, 0, t, err, "getLoggedInUser()")
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, fmt.Errorf("not logged in to %s", b.c.URL())
	}
	b.mu.Lock()
	b.user = u
	b.mu.Unlock()
	return u, nil
}

// wrap prefixes koji errors with the module.
func wrap(mb *orchestrator.ModuleBuild, what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("kojibuild: %s for %s: %w", what, mb.NSVC(), err)
}
