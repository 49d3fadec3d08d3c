package scm

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrNotFound is returned (wrapped) when a ref, commit or file does not exist
// in the repository.
var ErrNotFound = errors.New("not found")

// ErrNoGit is returned (wrapped) when the git binary is not installed.
var ErrNoGit = errors.New("git is not installed (install the package git)")

// Error is a failed git operation: which repository, what was asked, and
// what git said.
type Error struct {
	Repo   string // the repository as given
	Op     string // "resolve", "fetch", "read", "export", ...
	Detail string // what was asked for (ref, commit, path)
	Stderr string // git's message, trimmed
	Err    error  // the underlying error (ErrNotFound, *exec.ExitError, ...)
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scm: %s %s", e.Op, e.Repo)
	if e.Detail != "" {
		fmt.Fprintf(&b, " %s", e.Detail)
	}
	if e.Err != nil {
		// A file-system error names a path of this machine (the
		// repository, a mirror in the cache): say only what went wrong,
		// the repository is named already. A server answers with this
		// text and must not reveal its paths.
		err := e.Err
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		fmt.Fprintf(&b, ": %v", err)
	}
	if e.Stderr != "" {
		fmt.Fprintf(&b, " (git: %s)", e.Stderr)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Git runs git commands. The zero value is ready to use: it finds git on
// PATH and mirrors remote repositories under the user's cache directory.
// A Git is safe for concurrent use.
type Git struct {
	// Binary is the git executable; empty means "git" on PATH.
	Binary string
	// CacheDir holds mirrors of remote repositories; empty means
	// $XDG_CACHE_HOME/modkit/git (os.UserCacheDir), or a directory under
	// os.TempDir when there is no cache directory.
	CacheDir string
	// Observe, when set, is called as each git process starts, with its
	// arguments (without -C); the function it returns, when not nil, is
	// called once the process has ended. modkit build uses it to account
	// for the time spent in programs.
	Observe func(args []string) (ended func())

	// mirrorLocal makes local repositories go through the mirror cache too
	// (tests use it to exercise the remote path).
	mirrorLocal bool

	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

// Default is the Git used by the package-level functions.
var Default = &Git{}

// ResolveRef resolves ref (a branch, tag, commit or "" for HEAD) in repo to a
// full commit hash, using [Default].
func ResolveRef(ctx context.Context, repo, ref string) (string, error) {
	return Default.ResolveRef(ctx, repo, ref)
}

// CommitTime returns the committer time of commit in repo (UTC), using
// [Default].
func CommitTime(ctx context.Context, repo, commit string) (time.Time, error) {
	return Default.CommitTime(ctx, repo, commit)
}

// ReadFile returns the content of the file at path in commit of repo, using
// [Default].
func ReadFile(ctx context.Context, repo, commit, path string) ([]byte, error) {
	return Default.ReadFile(ctx, repo, commit, path)
}

// Export writes the tree of commit in repo into dir, using [Default].
func Export(ctx context.Context, repo, commit, dir string) error {
	return Default.Export(ctx, repo, commit, dir)
}

var hexCommit = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)

// IsCommit reports whether s is a full commit hash (SHA-1 or SHA-256, lower
// case).
func IsCommit(s string) bool { return hexCommit.MatchString(s) }

// LocalPath returns the file-system path of repo when it is a local path or
// a file:// URL, and ok=false for any other URL.
func LocalPath(repo string) (p string, ok bool) {
	if strings.HasPrefix(repo, "file://") {
		u, err := url.Parse(repo)
		if err != nil || (u.Host != "" && u.Host != "localhost") {
			return "", false
		}
		return filepath.Clean(u.Path), true
	}
	if strings.Contains(repo, "://") {
		return "", false
	}
	// scp-like syntax (host:path) is remote unless the part before the colon
	// contains a slash, as git decides.
	if i := strings.IndexByte(repo, ':'); i > 0 && !strings.Contains(repo[:i], "/") {
		return "", false
	}
	return filepath.Clean(repo), true
}

// ResolveRef resolves ref (a branch, tag, commit or "" for HEAD) in repo to a
// full commit hash. A remote repository is fetched first, so a branch
// resolves to its current head.
func (g *Git) ResolveRef(ctx context.Context, repo, ref string) (string, error) {
	r, err := g.Resolve(ctx, repo, ref)
	if err != nil {
		return "", err
	}
	return r.Commit, nil
}

// Resolved is what [Git.Resolve] learns about a ref.
type Resolved struct {
	Commit string    // full commit hash
	Time   time.Time // committer time, UTC
	// Files are the contents of the paths asked for, at Commit, by path.
	Files map[string][]byte
}

// Resolve resolves ref (a branch, tag, commit or "" for HEAD) in repo as
// [Git.ResolveRef] does, and returns the commit's time and the content of
// the files at paths (slash-separated, relative to the repository root) in
// that commit, all from one git process. A missing ref, or file, is an
// error wrapping [ErrNotFound].
func (g *Git) Resolve(ctx context.Context, repo, ref string, paths ...string) (*Resolved, error) {
	if err := checkArgs(repo, ref); err != nil {
		return nil, err
	}
	clean := make([]string, len(paths))
	for i, p := range paths {
		c, err := cleanPath(repo, p)
		if err != nil {
			return nil, err
		}
		clean[i] = c
	}
	gitDir, err := g.open(ctx, repo, "", true)
	if err != nil {
		return nil, err
	}
	if ref == "" {
		ref = "HEAD"
	}
	b, err := g.startBatch(ctx, gitDir)
	if err != nil {
		return nil, &Error{Repo: repo, Op: "resolve", Detail: strconv.Quote(ref), Err: err}
	}
	defer b.close()
	typ, body, err := b.get(ref + "^{commit}")
	if err != nil {
		return nil, &Error{Repo: repo, Op: "resolve", Detail: strconv.Quote(ref), Err: err, Stderr: b.stderrText()}
	}
	if typ != "commit" {
		return nil, &Error{Repo: repo, Op: "resolve", Detail: strconv.Quote(ref), Err: ErrNotFound}
	}
	r := &Resolved{Commit: b.oid}
	if r.Time, err = committerTime(body); err != nil {
		return nil, &Error{Repo: repo, Op: "read commit time of", Detail: r.Commit, Err: err}
	}
	for i, p := range clean {
		typ, body, err := b.get(r.Commit + ":" + p)
		if err != nil {
			return nil, &Error{Repo: repo, Op: "read", Detail: p + " at " + r.Commit, Err: err, Stderr: b.stderrText()}
		}
		if typ != "blob" {
			return nil, &Error{Repo: repo, Op: "read", Detail: p + " at " + r.Commit, Err: fmt.Errorf("is a %s, not a file", typ)}
		}
		if r.Files == nil {
			r.Files = map[string][]byte{}
		}
		r.Files[paths[i]] = body
	}
	return r, nil
}

// cleanPath checks a file path inside a repository and returns it cleaned.
func cleanPath(repo, p string) (string, error) {
	clean := path.Clean(strings.TrimPrefix(p, "/"))
	if clean == "." || strings.HasPrefix(clean, "../") || clean == ".." || strings.ContainsAny(clean, "\x00\n") {
		return "", &Error{Repo: repo, Op: "read", Detail: strconv.Quote(p), Err: errors.New("not a file path inside the repository")}
	}
	return clean, nil
}

// committerTime reads the committer time of a raw commit object.
func committerTime(commit []byte) (time.Time, error) {
	for _, line := range strings.Split(string(commit), "\n") {
		if line == "" {
			break // end of the headers
		}
		rest, ok := strings.CutPrefix(line, "committer ")
		if !ok {
			continue
		}
		// "Name <email> 1700000000 +0000"
		if i := strings.LastIndexByte(rest, '>'); i >= 0 {
			if f := strings.Fields(rest[i+1:]); len(f) >= 1 {
				sec, err := strconv.ParseInt(f[0], 10, 64)
				if err != nil {
					return time.Time{}, fmt.Errorf("committer time %q: %w", f[0], err)
				}
				return time.Unix(sec, 0).UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("unexpected committer line %q", line)
	}
	return time.Time{}, errors.New("the commit has no committer")
}

// batch is a running `git cat-file --batch`, asked one object at a time.
type batch struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr bytes.Buffer
	ended  func()
	oid    string // of the last object read

	closeOnce sync.Once
}

func (g *Git) startBatch(ctx context.Context, gitDir string) (*batch, error) {
	args := []string{"cat-file", "--batch"}
	b := &batch{cmd: g.command(ctx, gitDir, args...)}
	b.cmd.Stderr = &b.stderr
	var err error
	if b.in, err = b.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := b.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	b.out = bufio.NewReader(out)
	b.ended = g.observe(args)
	if err := b.cmd.Start(); err != nil {
		b.ended()
		return nil, startErr(err)
	}
	return b, nil
}

// get asks for the object name and returns its type and content; a
// missing (or ambiguous) name is ErrNotFound.
func (b *batch) get(name string) (typ string, body []byte, err error) {
	if _, err := io.WriteString(b.in, name+"\n"); err != nil {
		return "", nil, err
	}
	header, err := b.out.ReadString('\n')
	if err != nil {
		return "", nil, fmt.Errorf("git cat-file: %w", err)
	}
	f := strings.Fields(header)
	if len(f) == 2 && (f[1] == "missing" || f[1] == "ambiguous") {
		return "", nil, ErrNotFound
	}
	if len(f) != 3 {
		return "", nil, fmt.Errorf("unexpected git cat-file output %q", header)
	}
	size, err := strconv.Atoi(f[2])
	if err != nil || size < 0 {
		return "", nil, fmt.Errorf("unexpected git cat-file output %q", header)
	}
	body = make([]byte, size+1) // the content and a newline
	if _, err := io.ReadFull(b.out, body); err != nil {
		return "", nil, fmt.Errorf("git cat-file: %w", err)
	}
	b.oid = f[0]
	return f[1], body[:size], nil
}

// stderrText ends git and returns what it wrote to stderr.
func (b *batch) stderrText() string {
	b.close()
	return trim(b.stderr.String())
}

// close ends git and waits for it; calling it again does nothing.
func (b *batch) close() {
	b.closeOnce.Do(func() {
		b.in.Close()
		_, _ = io.Copy(io.Discard, b.out)
		_ = b.cmd.Wait()
		b.ended()
	})
}

// CommitTime returns the committer time of commit in repo, in UTC.
func (g *Git) CommitTime(ctx context.Context, repo, commit string) (time.Time, error) {
	gitDir, err := g.openCommit(ctx, repo, commit)
	if err != nil {
		return time.Time{}, err
	}
	out, stderr, err := g.run(ctx, gitDir, nil, "show", "-s", "--format=%ct", commit)
	if err != nil {
		if missing := g.missingCommit(ctx, repo, gitDir, commit); missing != nil {
			return time.Time{}, missing
		}
		return time.Time{}, &Error{Repo: repo, Op: "read commit time of", Detail: commit, Err: err, Stderr: stderr}
	}
	sec, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		return time.Time{}, &Error{Repo: repo, Op: "read commit time of", Detail: commit, Err: err}
	}
	return time.Unix(sec, 0).UTC(), nil
}

// ReadFile returns the content of the file at path (slash-separated,
// relative to the repository root) in commit of repo. A missing file is an
// error wrapping [ErrNotFound].
func (g *Git) ReadFile(ctx context.Context, repo, commit, p string) ([]byte, error) {
	clean := path.Clean(strings.TrimPrefix(p, "/"))
	if clean == "." || strings.HasPrefix(clean, "../") || clean == ".." {
		return nil, &Error{Repo: repo, Op: "read", Detail: strconv.Quote(p), Err: errors.New("not a file path inside the repository")}
	}
	gitDir, err := g.openCommit(ctx, repo, commit)
	if err != nil {
		return nil, err
	}
	// One git process: cat-file --batch prints "<oid> <type> <size>" and
	// the content, or "<object> missing".
	obj := commit + ":" + clean
	out, stderr, err := g.run(ctx, gitDir, strings.NewReader(obj+"\n"), "cat-file", "--batch")
	if err != nil {
		return nil, &Error{Repo: repo, Op: "read", Detail: clean + " at " + commit, Err: err, Stderr: stderr}
	}
	header, body, _ := bytes.Cut(out, []byte("\n"))
	f := strings.Fields(string(header))
	if len(f) != 3 {
		if missing := g.missingCommit(ctx, repo, gitDir, commit); missing != nil {
			return nil, missing
		}
		return nil, &Error{Repo: repo, Op: "read", Detail: clean + " at " + commit, Err: ErrNotFound}
	}
	if f[1] != "blob" {
		return nil, &Error{Repo: repo, Op: "read", Detail: clean + " at " + commit, Err: fmt.Errorf("is a %s, not a file", f[1])}
	}
	size, err := strconv.Atoi(f[2])
	if err != nil || size > len(body) {
		return nil, &Error{Repo: repo, Op: "read", Detail: clean + " at " + commit, Err: fmt.Errorf("unexpected git cat-file output %q", header)}
	}
	return body[:size], nil
}

// missingCommit returns an ErrNotFound error when commit is not in the
// repository at gitDir, nil when it is (or cannot be checked). Commands
// that fail call it to explain the failure.
func (g *Git) missingCommit(ctx context.Context, repo, gitDir, commit string) error {
	if ctx.Err() != nil || g.hasCommit(ctx, gitDir, commit) {
		return nil
	}
	return &Error{Repo: repo, Op: "open", Detail: "commit " + commit, Err: ErrNotFound}
}

// Export writes the tree of commit in repo into dir, which is created if
// needed. Files keep their executable bit; symbolic links are recreated;
// submodules are not followed.
func (g *Git) Export(ctx context.Context, repo, commit, dir string) error {
	gitDir, err := g.openCommit(ctx, repo, commit)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return &Error{Repo: repo, Op: "export", Detail: commit, Err: err}
	}
	args := []string{"archive", "--format=tar", commit}
	cmd := g.command(ctx, gitDir, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return &Error{Repo: repo, Op: "export", Detail: commit, Err: err}
	}
	ended := g.observe(args)
	if err := cmd.Start(); err != nil {
		ended()
		return &Error{Repo: repo, Op: "export", Detail: commit, Err: startErr(err)}
	}
	xerr := untar(pipe, dir)
	_, _ = io.Copy(io.Discard, pipe)
	werr := cmd.Wait()
	ended()
	if werr != nil {
		if missing := g.missingCommit(ctx, repo, gitDir, commit); missing != nil {
			return missing
		}
		return &Error{Repo: repo, Op: "export", Detail: commit, Err: werr, Stderr: trim(stderr.String())}
	}
	if xerr != nil {
		return &Error{Repo: repo, Op: "export", Detail: commit + " into " + dir, Err: xerr}
	}
	return nil
}

// untar extracts a git archive stream into dir, refusing entries that would
// land outside it.
func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Clean(h.Name)
		if name == "." || name == ".." || strings.HasPrefix(name, "../") || path.IsAbs(name) {
			if h.Typeflag == tar.TypeXGlobalHeader || name == "." {
				continue
			}
			return fmt.Errorf("archive entry %q is outside the tree", h.Name)
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			mode := fs.FileMode(0o644)
			if h.Mode&0o111 != 0 {
				mode = 0o755
			}
			_ = os.Remove(target)
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, tr); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			_ = os.Remove(target)
			if err := os.Symlink(h.Linkname, target); err != nil {
				return err
			}
		case tar.TypeXGlobalHeader, tar.TypeXHeader:
		default:
			// git archive writes nothing else; ignore what we do not know.
		}
	}
}

// checkArgs refuses repository and ref strings git would read as options.
func checkArgs(repo, ref string) error {
	if repo == "" {
		return &Error{Repo: repo, Op: "open", Err: errors.New("empty repository")}
	}
	if strings.HasPrefix(repo, "-") {
		return &Error{Repo: repo, Op: "open", Err: errors.New("a repository may not start with '-'")}
	}
	if strings.HasPrefix(ref, "-") || strings.ContainsAny(ref, "\x00\n") {
		return &Error{Repo: repo, Op: "resolve", Detail: strconv.Quote(ref), Err: errors.New("invalid ref")}
	}
	return nil
}

// openCommit opens repo making sure commit is present (fetching a remote
// mirror when it is not).
func (g *Git) openCommit(ctx context.Context, repo, commit string) (string, error) {
	if err := checkArgs(repo, ""); err != nil {
		return "", err
	}
	if !IsCommit(commit) {
		return "", &Error{Repo: repo, Op: "open", Detail: strconv.Quote(commit), Err: errors.New("not a full commit hash")}
	}
	return g.open(ctx, repo, commit, false)
}

// open returns the git directory to run commands in. For a local repository
// it is the path itself; for a remote one it is a bare mirror, fetched when
// refresh is set or when want (a commit) is missing from it.
func (g *Git) open(ctx context.Context, repo, want string, refresh bool) (string, error) {
	if p, ok := LocalPath(repo); ok && !g.mirrorLocal {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", &Error{Repo: repo, Op: "open", Err: err}
		}
		st, err := os.Stat(abs)
		if err != nil {
			return "", &Error{Repo: repo, Op: "open", Err: err}
		}
		if !st.IsDir() {
			return "", &Error{Repo: repo, Op: "open", Err: errors.New("not a directory")}
		}
		// A work tree (.git) or a bare repository (HEAD and objects)
		// needs no git process to recognise; anything else asks git.
		// Whether a wanted commit is there is checked only when a command
		// fails (missingCommit), saving a process per operation.
		if !looksLikeRepo(abs) {
			if _, stderr, err := g.run(ctx, abs, nil, "rev-parse", "--git-dir"); err != nil {
				if errors.Is(err, ErrNoGit) {
					return "", &Error{Repo: repo, Op: "open", Err: err}
				}
				return "", &Error{Repo: repo, Op: "open", Err: errors.New("not a git repository"), Stderr: stderr}
			}
		}
		return abs, nil
	}
	mirror, err := g.mirrorDir(repo)
	if err != nil {
		return "", &Error{Repo: repo, Op: "open", Err: err}
	}
	lock := g.lock(mirror)
	lock.Lock()
	defer lock.Unlock()
	if _, err := os.Stat(filepath.Join(mirror, "HEAD")); err != nil {
		if err := os.MkdirAll(filepath.Dir(mirror), 0o755); err != nil {
			return "", &Error{Repo: repo, Op: "open", Err: err}
		}
		tmp, err := os.MkdirTemp(filepath.Dir(mirror), ".clone-")
		if err != nil {
			return "", &Error{Repo: repo, Op: "open", Err: err}
		}
		defer os.RemoveAll(tmp)
		if _, stderr, err := g.run(ctx, "", nil, "clone", "--quiet", "--mirror", "--end-of-options", repo, tmp); err != nil {
			return "", &Error{Repo: repo, Op: "clone", Err: err, Stderr: stderr}
		}
		if err := os.Rename(tmp, mirror); err != nil && !dirExists(filepath.Join(mirror, "HEAD")) {
			return "", &Error{Repo: repo, Op: "clone", Err: err}
		}
		refresh = false
	}
	if refresh || (want != "" && !g.hasCommit(ctx, mirror, want)) {
		if _, stderr, err := g.run(ctx, mirror, nil, "fetch", "--quiet", "--prune", "--end-of-options", repo, "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"); err != nil {
			return "", &Error{Repo: repo, Op: "fetch", Err: err, Stderr: stderr}
		}
		// A HEAD that moved to another branch is not updated by fetch.
		if out, _, err := g.run(ctx, "", nil, "ls-remote", "--symref", "--end-of-options", repo, "HEAD"); err == nil {
			if head, ok := strings.CutPrefix(strings.SplitN(string(out), "\n", 2)[0], "ref: "); ok {
				if ref, _, ok := strings.Cut(head, "\t"); ok {
					_, _, _ = g.run(ctx, mirror, nil, "symbolic-ref", "HEAD", ref)
				}
			}
		}
		if want != "" && !g.hasCommit(ctx, mirror, want) {
			// The commit may be reachable only from refs we do not mirror.
			_, _, _ = g.run(ctx, mirror, nil, "fetch", "--quiet", "--end-of-options", repo, want)
		}
	}
	if want != "" && !g.hasCommit(ctx, mirror, want) {
		return "", &Error{Repo: repo, Op: "open", Detail: "commit " + want, Err: ErrNotFound}
	}
	return mirror, nil
}

// looksLikeRepo reports whether dir is the top of a git work tree or a bare
// repository.
func looksLikeRepo(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		return true
	}
	return dirExists(filepath.Join(dir, "objects")) && dirExists(filepath.Join(dir, "refs")) && dirExists(filepath.Join(dir, "HEAD"))
}

func (g *Git) hasCommit(ctx context.Context, gitDir, commit string) bool {
	_, _, err := g.run(ctx, gitDir, nil, "cat-file", "-e", commit+"^{commit}")
	return err == nil
}

func (g *Git) mirrorDir(repo string) (string, error) {
	base := g.CacheDir
	if base == "" {
		if d, err := os.UserCacheDir(); err == nil {
			base = filepath.Join(d, "modkit", "git")
		} else {
			base = filepath.Join(os.TempDir(), "modkit-git-cache")
		}
	}
	sum := sha256.Sum256([]byte(repo))
	name := hex.EncodeToString(sum[:12])
	// Keep the last path element for people looking at the cache.
	if u, err := url.Parse(repo); err == nil && u.Path != "" {
		if b := path.Base(strings.TrimSuffix(u.Path, "/")); b != "" && b != "." && b != "/" {
			name = sanitize(b) + "-" + name
		}
	}
	return filepath.Join(base, name), nil
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, strings.TrimSuffix(s, ".git"))
}

func (g *Git) lock(key string) *sync.Mutex {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.locks == nil {
		g.locks = map[string]*sync.Mutex{}
	}
	l, ok := g.locks[key]
	if !ok {
		l = &sync.Mutex{}
		g.locks[key] = l
	}
	return l
}

// cleanEnv is the environment every git command gets: enough to find
// programs, and nothing from the user's or system's git configuration.
func cleanEnv(gitDir string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"LC_ALL=C",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=" + os.DevNull,
		"GIT_TERMINAL_PROMPT=0",
		"GIT_ASKPASS=",
		"SSH_ASKPASS=",
		"GIT_PAGER=cat",
		"GIT_AUTHOR_NAME=modkit", "GIT_AUTHOR_EMAIL=modkit@localhost",
		"GIT_COMMITTER_NAME=modkit", "GIT_COMMITTER_EMAIL=modkit@localhost",
	}
	if h, err := os.UserHomeDir(); err == nil {
		env = append(env, "HOME="+h) // ssh looks for known_hosts and keys here
	}
	for _, k := range []string{"SSH_AUTH_SOCK", "GIT_SSH_COMMAND", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "no_proxy", "NO_PROXY", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	if gitDir != "" {
		// Never find a repository above a local path given to us.
		env = append(env, "GIT_CEILING_DIRECTORIES="+filepath.Dir(gitDir))
	}
	return env
}

func (g *Git) command(ctx context.Context, dir string, args ...string) *exec.Cmd {
	bin := g.Binary
	if bin == "" {
		bin = "git"
	}
	full := args
	if dir != "" {
		full = append([]string{"-C", dir}, args...)
	}
	cmd := exec.CommandContext(ctx, bin, full...)
	cmd.Env = cleanEnv(dir)
	cmd.Stdin = nil
	return cmd
}

// run runs git in dir and returns its stdout, trimmed stderr and error.
func (g *Git) run(ctx context.Context, dir string, stdin io.Reader, args ...string) ([]byte, string, error) {
	cmd := g.command(ctx, dir, args...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	ended := g.observe(args)
	err := cmd.Run()
	ended()
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		err = startErr(err)
	}
	return stdout.Bytes(), trim(stderr.String()), err
}

// observe calls g.Observe; the result is never nil.
func (g *Git) observe(args []string) func() {
	if g.Observe != nil {
		if ended := g.Observe(args); ended != nil {
			return ended
		}
	}
	return func() {}
}

func startErr(err error) error {
	if errors.Is(err, exec.ErrNotFound) {
		return ErrNoGit
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && errors.Is(pe.Err, fs.ErrNotExist) {
		return ErrNoGit
	}
	return err
}

func isExit(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee)
}

func trim(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return s
}

func dirExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Memo wraps a Git and remembers the results of ResolveRef, CommitTime and
// ReadFile, so that several readers of the same repositories during one
// operation (a command that reads a module definition, then submits it to
// the build service, which reads it again) run git once and see the same
// commits even if a branch moves meanwhile. Errors are not remembered. A
// Memo is safe for concurrent use; it never forgets, so use one per
// operation.
type Memo struct {
	Git *Git // nil means Default

	mu    sync.Mutex
	refs  map[[2]string]string
	times map[[2]string]time.Time
	files map[[3]string][]byte
}

func (m *Memo) git() *Git {
	if m.Git == nil {
		return Default
	}
	return m.Git
}

// ResolveRef is [Git.ResolveRef], remembered per repository and ref (with
// the commit's time, for CommitTime).
func (m *Memo) ResolveRef(ctx context.Context, repo, ref string) (string, error) {
	r, err := m.Resolve(ctx, repo, ref)
	if err != nil {
		return "", err
	}
	return r.Commit, nil
}

// Resolve is [Git.Resolve], remembered: the ref per repository, the time
// per commit and the files per commit and path, so that ResolveRef,
// CommitTime and ReadFile of the same things later run no git. A ref
// resolved before keeps its commit; only files not read before are read
// (at that commit).
func (m *Memo) Resolve(ctx context.Context, repo, ref string, paths ...string) (*Resolved, error) {
	k := [2]string{repo, ref}
	m.mu.Lock()
	commit, ok := m.refs[k]
	var r *Resolved
	if ok {
		r = &Resolved{Commit: commit, Time: m.times[[2]string{repo, commit}]}
		for _, p := range paths {
			b, have := m.files[[3]string{repo, commit, p}]
			if !have {
				r = nil
				break
			}
			if r.Files == nil {
				r.Files = map[string][]byte{}
			}
			r.Files[p] = bytes.Clone(b)
		}
	}
	m.mu.Unlock()
	if r != nil {
		return r, nil
	}
	if ok {
		// The ref is pinned: read the missing files at its commit.
		r = &Resolved{Commit: commit, Files: map[string][]byte{}}
		var err error
		if r.Time, err = m.CommitTime(ctx, repo, commit); err != nil {
			return nil, err
		}
		for _, p := range paths {
			if r.Files[p], err = m.ReadFile(ctx, repo, commit, p); err != nil {
				return nil, err
			}
		}
		return r, nil
	}
	r, err := m.git().Resolve(ctx, repo, ref, paths...)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	if c, raced := m.refs[k]; raced && c != r.Commit {
		// Another caller resolved the ref meanwhile: keep its answer.
		m.mu.Unlock()
		return m.Resolve(ctx, repo, ref, paths...)
	}
	if m.refs == nil {
		m.refs = map[[2]string]string{}
	}
	if m.times == nil {
		m.times = map[[2]string]time.Time{}
	}
	if m.files == nil {
		m.files = map[[3]string][]byte{}
	}
	m.refs[k] = r.Commit
	m.times[[2]string{repo, r.Commit}] = r.Time
	out := &Resolved{Commit: r.Commit, Time: r.Time}
	for p, b := range r.Files {
		m.files[[3]string{repo, r.Commit, p}] = b
		if out.Files == nil {
			out.Files = map[string][]byte{}
		}
		out.Files[p] = bytes.Clone(b)
	}
	m.mu.Unlock()
	return out, nil
}

// CommitTime is [Git.CommitTime], remembered per repository and commit.
func (m *Memo) CommitTime(ctx context.Context, repo, commit string) (time.Time, error) {
	k := [2]string{repo, commit}
	m.mu.Lock()
	t, ok := m.times[k]
	m.mu.Unlock()
	if ok {
		return t, nil
	}
	t, err := m.git().CommitTime(ctx, repo, commit)
	if err != nil {
		return time.Time{}, err
	}
	m.mu.Lock()
	if m.times == nil {
		m.times = map[[2]string]time.Time{}
	}
	m.times[k] = t
	m.mu.Unlock()
	return t, nil
}

// ReadFile is [Git.ReadFile], remembered per repository, commit and path.
// Callers get their own copy of the content.
func (m *Memo) ReadFile(ctx context.Context, repo, commit, p string) ([]byte, error) {
	k := [3]string{repo, commit, p}
	m.mu.Lock()
	b, ok := m.files[k]
	m.mu.Unlock()
	if ok {
		return bytes.Clone(b), nil
	}
	b, err := m.git().ReadFile(ctx, repo, commit, p)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.files == nil {
		m.files = map[[3]string][]byte{}
	}
	m.files[k] = bytes.Clone(b)
	m.mu.Unlock()
	return b, nil
}
