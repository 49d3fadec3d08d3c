package kojihub

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
)

func TestMaxRunning(t *testing.T) {
	t.Parallel()
	at := func(s int) time.Time { return time.Unix(int64(s), 0) }
	tests := []struct {
		name  string
		tasks []BuildTask
		want  int
	}{
		{"none", nil, 0},
		{"apart", []BuildTask{{Created: at(0), Completed: at(1)}, {Created: at(2), Completed: at(3)}}, 1},
		{"touching", []BuildTask{{Created: at(0), Completed: at(1)}, {Created: at(1), Completed: at(2)}}, 1},
		{"overlapping", []BuildTask{{Created: at(0), Completed: at(5)}, {Created: at(1), Completed: at(3)}, {Created: at(2), Completed: at(4)}}, 3},
		{"running", []BuildTask{{Created: at(0)}, {Created: at(10), Completed: at(11)}}, 2},
	}
	for _, tt := range tests {
		if got := MaxRunning(tt.tasks); got != tt.want {
			t.Errorf("%s: MaxRunning = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestServe starts the hub, builds one package in the platform's target
// and reads the hub's record.
func TestServe(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, &Options{BuildTime: 50 * time.Millisecond, Platforms: []string{"f40"}}, pw) }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url := strings.TrimSpace(strings.TrimPrefix(line, "url "))
	if err := Prepare(ctx, url, []string{"f40"}); err != nil {
		t.Fatalf("prepare again: %v", err)
	}
	c, err := koji.NewClient(url, koji.WithAuth(koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword}),
		koji.WithPollInterval(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateTarget(ctx, "t1", koji.Name("module-f40-build"), koji.Name("f40-modular-updates-candidate")); err != nil {
		t.Fatal(err)
	}
	id, err := c.Build(ctx, "git+https://git.example.com/rpms/foo?#0123456789abcdef0123456789abcdef01234567", "t1",
		&koji.BuildOptions{SkipTag: true, Extra: map[string]any{"mbs_artifact_name": "foo"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitTask(ctx, id, nil); err != nil {
		t.Fatal(err)
	}
	tasks, err := BuildTasks(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 1 || tasks[0].Artifact != "foo" || tasks[0].Target != "t1" || tasks[0].State != koji.TaskClosed || tasks[0].Completed.Before(tasks[0].Created) {
		t.Fatalf("build tasks %+v", tasks)
	}
	st, err := ReadStats(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if st.Calls["build"] != 1 || st.Calls["login"] < 2 {
		t.Errorf("stats %+v", st)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
