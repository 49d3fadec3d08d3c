package scm

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/modkit/modkit/internal/testenv"
)

// requireGit skips the test when git is missing, unless CI demands the tools.
func requireGit(t *testing.T) {
	t.Helper()
	testenv.RequireTools(t, "git")
}

// fixture is a repository with two commits on main, a branch, an annotated
// and a lightweight tag.
type fixture struct {
	dir            string
	first, second  string
	branch         string
	firstTime      time.Time
	secondTime     time.Time
	annotatedTagOf string
}

func gitCmd(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(cleanEnv(dir), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	requireGit(t)
	dir := filepath.Join(t.TempDir(), "repo")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f := &fixture{dir: dir}
	gitCmd(t, dir, nil, "init", "--quiet", "--initial-branch=main")
	write := func(name, content string, mode os.FileMode) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("hello.spec", "Name: hello\n", 0o644)
	write("src/run.sh", "#!/bin/sh\necho v1\n", 0o755)
	if err := os.Symlink("src/run.sh", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	gitCmd(t, dir, nil, "add", "-A")
	f.firstTime = time.Date(2024, 3, 1, 12, 30, 45, 0, time.UTC)
	env := []string{"GIT_COMMITTER_DATE=" + f.firstTime.Format(time.RFC3339), "GIT_AUTHOR_DATE=2020-01-01T00:00:00Z"}
	gitCmd(t, dir, env, "commit", "--quiet", "-m", "first")
	f.first = gitCmd(t, dir, nil, "rev-parse", "HEAD")
	gitCmd(t, dir, nil, "tag", "v1")
	gitCmd(t, dir, nil, "tag", "-a", "-m", "annotated", "v1-annotated")

	write("src/run.sh", "#!/bin/sh\necho v2\n", 0o755)
	gitCmd(t, dir, nil, "add", "-A")
	f.secondTime = time.Date(2024, 3, 2, 8, 0, 0, 0, time.UTC)
	gitCmd(t, dir, []string{"GIT_COMMITTER_DATE=" + f.secondTime.Format(time.RFC3339)}, "commit", "--quiet", "-m", "second")
	f.second = gitCmd(t, dir, nil, "rev-parse", "HEAD")
	gitCmd(t, dir, nil, "branch", "stable", f.first)
	return f
}

func TestResolveRef(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name, ref string
		want      string
		wantErr   error
	}{
		{name: "empty is HEAD", ref: "", want: f.second},
		{name: "HEAD", ref: "HEAD", want: f.second},
		{name: "branch", ref: "main", want: f.second},
		{name: "other branch", ref: "stable", want: f.first},
		{name: "full ref", ref: "refs/heads/stable", want: f.first},
		{name: "lightweight tag", ref: "v1", want: f.first},
		{name: "annotated tag peels to its commit", ref: "v1-annotated", want: f.first},
		{name: "full commit", ref: f.first, want: f.first},
		{name: "short commit", ref: f.first[:10], want: f.first},
		{name: "missing branch", ref: "nope", wantErr: ErrNotFound},
		{name: "missing commit", ref: strings.Repeat("ab", 20), wantErr: ErrNotFound},
	}
	for _, repo := range []struct {
		name string
		g    *Git
		repo string
	}{
		{"path", &Git{}, f.dir},
		{"file URL", &Git{}, "file://" + f.dir},
		{"mirror", &Git{CacheDir: t.TempDir(), mirrorLocal: true}, "file://" + f.dir},
	} {
		for _, tt := range tests {
			t.Run(repo.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				got, err := repo.g.ResolveRef(context.Background(), repo.repo, tt.ref)
				if tt.wantErr != nil {
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("ResolveRef(%q) error = %v, want %v", tt.ref, err, tt.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatalf("ResolveRef(%q): %v", tt.ref, err)
				}
				if got != tt.want {
					t.Errorf("ResolveRef(%q) = %s, want %s", tt.ref, got, tt.want)
				}
			})
		}
	}
}

func TestResolveRefBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	notRepo := t.TempDir()
	tests := []struct {
		name, repo, ref string
		wantMsg         string
	}{
		{"option-like ref", f.dir, "--output=/tmp/x", "invalid ref"},
		{"option-like repo", "--upload-pack=touch", "main", "may not start with '-'"},
		{"empty repo", "", "main", "empty repository"},
		{"missing directory", filepath.Join(notRepo, "absent"), "main", "no such file"},
		{"not a repository", notRepo, "main", "not a git repository"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ResolveRef(context.Background(), tt.repo, tt.ref)
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("ResolveRef(%q, %q) error = %v, want it to mention %q", tt.repo, tt.ref, err, tt.wantMsg)
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Errorf("error %T is not a *scm.Error", err)
			}
		})
	}
}

func TestMirrorFollowsNewCommits(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	g := &Git{CacheDir: t.TempDir(), mirrorLocal: true}
	ctx := context.Background()
	if got, err := g.ResolveRef(ctx, f.dir, "main"); err != nil || got != f.second {
		t.Fatalf("ResolveRef = %s, %v; want %s", got, err, f.second)
	}
	gitCmd(t, f.dir, nil, "commit", "--quiet", "--allow-empty", "-m", "third")
	third := gitCmd(t, f.dir, nil, "rev-parse", "HEAD")
	got, err := g.ResolveRef(ctx, f.dir, "main")
	if err != nil || got != third {
		t.Fatalf("after a new commit ResolveRef = %s, %v; want %s", got, err, third)
	}
	if _, err := g.CommitTime(ctx, f.dir, third); err != nil {
		t.Fatalf("CommitTime of the new commit: %v", err)
	}
}

func TestCommitTime(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tt := range []struct {
		commit string
		want   time.Time
	}{{f.first, f.firstTime}, {f.second, f.secondTime}} {
		got, err := CommitTime(context.Background(), f.dir, tt.commit)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("CommitTime(%s) = %v, want %v (UTC)", tt.commit, got, tt.want)
		}
	}
	if _, err := CommitTime(context.Background(), f.dir, "main"); err == nil || !strings.Contains(err.Error(), "not a full commit hash") {
		t.Errorf("CommitTime with a branch name: error = %v, want 'not a full commit hash'", err)
	}
	if _, err := CommitTime(context.Background(), f.dir, strings.Repeat("0", 40)); !errors.Is(err, ErrNotFound) {
		t.Errorf("CommitTime of a missing commit: error = %v, want ErrNotFound", err)
	}
}

func TestReadFile(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name, commit, path string
		want               string
		wantErr            error
		wantMsg            string
	}{
		{name: "top level", commit: f.first, path: "hello.spec", want: "Name: hello\n"},
		{name: "old content", commit: f.first, path: "src/run.sh", want: "#!/bin/sh\necho v1\n"},
		{name: "new content", commit: f.second, path: "src/run.sh", want: "#!/bin/sh\necho v2\n"},
		{name: "leading slash", commit: f.second, path: "/src/run.sh", want: "#!/bin/sh\necho v2\n"},
		{name: "missing", commit: f.first, path: "nope.spec", wantErr: ErrNotFound},
		{name: "directory", commit: f.first, path: "src", wantMsg: "is a tree, not a file"},
		{name: "escape", commit: f.first, path: "../etc/passwd", wantMsg: "not a file path inside the repository"},
		{name: "missing commit", commit: strings.Repeat("0", 40), path: "hello.spec", wantMsg: "commit " + strings.Repeat("0", 40) + ": not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ReadFile(context.Background(), "file://"+f.dir, tt.commit, tt.path)
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
			case tt.wantMsg != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("error = %v, want it to mention %q", err, tt.wantMsg)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, string(got)); diff != "" {
					t.Errorf("content (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestExport(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, g := range []*Git{{}, {CacheDir: t.TempDir(), mirrorLocal: true}} {
		out := filepath.Join(t.TempDir(), "out")
		if err := g.Export(context.Background(), f.dir, f.first, out); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		err := filepath.Walk(out, func(p string, info os.FileInfo, err error) error {
			if err != nil || p == out {
				return err
			}
			rel, _ := filepath.Rel(out, p)
			switch {
			case info.Mode()&os.ModeSymlink != 0:
				l, _ := os.Readlink(p)
				got[rel] = "-> " + l
			case info.IsDir():
				got[rel] = "dir"
			default:
				b, _ := os.ReadFile(p)
				got[rel] = info.Mode().Perm().String() + " " + string(b)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"hello.spec": "-rw-r--r-- Name: hello\n",
			"src":        "dir",
			"src/run.sh": "-rwxr-xr-x #!/bin/sh\necho v1\n",
			"link":       "-> src/run.sh",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("exported tree (-want +got):\n%s", diff)
		}
	}
}

func TestExportMissingCommit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	err := Export(context.Background(), f.dir, strings.Repeat("1", 40), t.TempDir())
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("error = %v, want ErrNotFound", err)
	}
}

func TestLocalPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"/srv/git/hello", "/srv/git/hello", true},
		{"rel/dir/", "rel/dir", true},
		{"file:///srv/git/hello", "/srv/git/hello", true},
		{"file://localhost/srv/git/x", "/srv/git/x", true},
		{"file://otherhost/srv", "", false},
		{"https://src.fedoraproject.org/rpms/hello", "", false},
		{"git@example.com:rpms/hello.git", "", false},
		{"./a:b", "a:b", true},
	}
	for _, tt := range tests {
		got, ok := LocalPath(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("LocalPath(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestIsCommit(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		strings.Repeat("a", 40): true,
		strings.Repeat("a", 64): true,
		strings.Repeat("a", 39): false,
		strings.Repeat("A", 40): false,
		"main":                  false,
	} {
		if got := IsCommit(s); got != want {
			t.Errorf("IsCommit(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestMemo checks that a Memo answers from memory once it has read a
// result: a branch moved after the first resolve keeps its first commit,
// and files and commit times come back unchanged.
func TestMemo(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	m := &Memo{}
	first, err := m.ResolveRef(ctx, f.dir, "v1")
	if err != nil || first != f.first {
		t.Fatalf("ResolveRef(v1) = %s, %v; want %s", first, err, f.first)
	}
	head, err := m.ResolveRef(ctx, f.dir, "main")
	if err != nil {
		t.Fatal(err)
	}
	gitCmd(t, f.dir, nil, "commit", "--quiet", "--allow-empty", "-m", "moves main")
	if again, err := m.ResolveRef(ctx, f.dir, "main"); err != nil || again != head {
		t.Errorf("ResolveRef(main) after the branch moved = %s, %v; want the remembered %s", again, err, head)
	}
	if moved, err := ResolveRef(ctx, f.dir, "main"); err != nil || moved == head {
		t.Errorf("without the Memo, main = %s, %v; want a new commit", moved, err)
	}
	for range 2 {
		when, err := m.CommitTime(ctx, f.dir, f.first)
		if err != nil || !when.Equal(f.firstTime) {
			t.Errorf("CommitTime = %v, %v; want %v", when, err, f.firstTime)
		}
		b, err := m.ReadFile(ctx, f.dir, f.first, "hello.spec")
		if err != nil || string(b) != "Name: hello\n" {
			t.Errorf("ReadFile = %q, %v", b, err)
		}
		if len(b) > 0 {
			b[0] = 'X' // the caller's copy
		}
	}
	if _, err := m.ReadFile(ctx, f.dir, f.first, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadFile of a missing file = %v, want ErrNotFound", err)
	}
}

// TestResolve resolves a ref, reads its commit time and files with one git
// process (counted with Observe), and reports missing refs and files.
func TestResolve(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tests := []struct {
		name, ref string
		paths     []string
		want      *Resolved
		wantErr   error
		wantMsg   string
	}{
		{name: "branch and files", ref: "stable", paths: []string{"hello.spec", "/src/run.sh"},
			want: &Resolved{Commit: f.first, Time: f.firstTime, Files: map[string][]byte{"hello.spec": []byte("Name: hello\n"), "/src/run.sh": []byte("#!/bin/sh\necho v1\n")}}},
		{name: "HEAD, no files", ref: "", want: &Resolved{Commit: f.second, Time: f.secondTime}},
		{name: "annotated tag", ref: "v1-annotated", paths: []string{"src/run.sh"},
			want: &Resolved{Commit: f.first, Time: f.firstTime, Files: map[string][]byte{"src/run.sh": []byte("#!/bin/sh\necho v1\n")}}},
		{name: "missing ref", ref: "nope", wantErr: ErrNotFound},
		{name: "missing file", ref: "main", paths: []string{"nope.spec"}, wantErr: ErrNotFound},
		{name: "directory", ref: "main", paths: []string{"src"}, wantMsg: "is a tree, not a file"},
		{name: "escape", ref: "main", paths: []string{"../x"}, wantMsg: "not a file path inside the repository"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var runs atomic.Int32
			g := &Git{Observe: func(args []string) func() {
				runs.Add(1)
				return nil
			}}
			got, err := g.Resolve(ctx, f.dir, tt.ref, tt.paths...)
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
			case tt.wantMsg != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("error = %v, want it to mention %q", err, tt.wantMsg)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("Resolve (-want +got):\n%s", diff)
				}
				if n := runs.Load(); n != 1 {
					t.Errorf("%d git processes, want 1", n)
				}
			}
		})
	}
}

// TestMemoResolve: after Memo.Resolve, ResolveRef, CommitTime and ReadFile
// of what it read run no git, and a pinned ref reads new files at its
// commit.
func TestMemoResolve(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	var runs atomic.Int32
	m := &Memo{Git: &Git{Observe: func([]string) func() {
		runs.Add(1)
		return nil
	}}}
	r, err := m.Resolve(ctx, f.dir, "main", "hello.spec")
	if err != nil || r.Commit != f.second || string(r.Files["hello.spec"]) != "Name: hello\n" {
		t.Fatalf("Resolve = %+v, %v", r, err)
	}
	r.Files["hello.spec"][0] = 'X' // the caller's copy
	gitCmd(t, f.dir, nil, "commit", "--quiet", "--allow-empty", "-m", "moves main")
	before := runs.Load()
	if c, err := m.ResolveRef(ctx, f.dir, "main"); err != nil || c != f.second {
		t.Errorf("ResolveRef = %s, %v; want the remembered %s", c, err, f.second)
	}
	if when, err := m.CommitTime(ctx, f.dir, f.second); err != nil || !when.Equal(f.secondTime) {
		t.Errorf("CommitTime = %v, %v; want %v", when, err, f.secondTime)
	}
	if b, err := m.ReadFile(ctx, f.dir, f.second, "hello.spec"); err != nil || string(b) != "Name: hello\n" {
		t.Errorf("ReadFile = %q, %v", b, err)
	}
	if n := runs.Load() - before; n != 0 {
		t.Errorf("%d git processes for remembered answers, want 0", n)
	}
	again, err := m.Resolve(ctx, f.dir, "main", "src/run.sh")
	if err != nil || again.Commit != f.second || string(again.Files["src/run.sh"]) != "#!/bin/sh\necho v2\n" {
		t.Errorf("Resolve of a new file at the pinned ref = %+v, %v", again, err)
	}
}

// TestObserve: every git process is reported, and ended once.
func TestObserve(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var started, ended atomic.Int32
	var mu sync.Mutex
	var cmds []string
	g := &Git{Observe: func(args []string) func() {
		started.Add(1)
		mu.Lock()
		cmds = append(cmds, args[0])
		mu.Unlock()
		return func() { ended.Add(1) }
	}}
	ctx := context.Background()
	if _, err := g.CommitTime(ctx, f.dir, f.first); err != nil {
		t.Fatal(err)
	}
	if err := g.Export(ctx, f.dir, f.first, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"show", "archive"}, cmds); diff != "" {
		t.Errorf("observed commands (-want +got):\n%s", diff)
	}
	if started.Load() != ended.Load() {
		t.Errorf("%d started, %d ended", started.Load(), ended.Load())
	}
}

// TestErrorHidesPaths checks that a failed open of a local repository
// says what went wrong without a file-system path of its own (a server
// answers with this text).
func TestErrorHidesPaths(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	repo := "file://" + dir + "/modules/missing"
	_, err := (&Git{}).ResolveRef(context.Background(), repo, "main")
	if err == nil {
		t.Fatal("resolved a missing repository")
	}
	msg := err.Error()
	if strings.Contains(msg, "stat ") || strings.Count(msg, dir) != 1 {
		t.Errorf("error %q names a path beyond the repository URL", msg)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v does not wrap fs.ErrNotExist", err)
	}
}
