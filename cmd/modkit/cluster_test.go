package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/pgstore"
)

// The helper process of the multi-process tests: a `modkit serve` with the
// arguments in clusterArgsEnv (JSON), stopped by SIGTERM or killed.
const clusterArgsEnv = "MODKIT_CLUSTER_SERVE_ARGS"

func TestClusterServeHelper(t *testing.T) {
	raw := os.Getenv(clusterArgsEnv)
	if raw == "" {
		t.Skip("helper process of the multi-process serve tests")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, args, nil, os.Stdout, os.Stderr); err != nil {
		t.Fatal(err)
	}
}

// cluster is a set of `modkit serve` processes (re-executions of the test
// binary) sharing one PostgreSQL database and one state directory (the
// zero builder's shared journal).
type cluster struct {
	t     testing.TB
	dir   string
	db    string
	args  []string // common serve arguments
	addrs []string

	mu       sync.Mutex
	procs    []*exec.Cmd
	waits    []chan error
	restarts int
}

func newCluster(t testing.TB, n int, db string, args []string) *cluster {
	c := &cluster{t: t, dir: t.TempDir(), db: db, args: args}
	for range n {
		c.addrs = append(c.addrs, freeAddrTB(t))
	}
	c.procs = make([]*exec.Cmd, n)
	c.waits = make([]chan error, n)
	t.Cleanup(c.stopAll)
	for i := range n {
		c.start(i)
	}
	for i := range n {
		c.waitUp(i)
	}
	return c
}

func freeAddrTB(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (c *cluster) start(i int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	args := []string{"serve", "--listen", c.addrs[i], "--state-dir", c.dir}
	if c.db != "" {
		args = append(args, "--db", c.db)
	}
	args = append(args, c.args...)
	raw, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestClusterServeHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), clusterArgsEnv+"="+string(raw))
	log, err := os.OpenFile(filepath.Join(c.dir, fmt.Sprintf("serve-%d.log", i)), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	w := make(chan error, 1)
	go func() { w <- cmd.Wait(); log.Close() }()
	c.procs[i], c.waits[i] = cmd, w
}

func (c *cluster) url(i int) string { return "http://" + c.addrs[i] + "/module-build-service/2/" }

func (c *cluster) waitUp(i int) {
	for j := 0; ; j++ {
		resp, err := http.Get(c.url(i) + "about/")
		if err == nil {
			resp.Body.Close()
			return
		}
		if j > 600 {
			log, _ := os.ReadFile(filepath.Join(c.dir, fmt.Sprintf("serve-%d.log", i)))
			c.t.Fatalf("serve %d did not start: %v\n%s", i, err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// logTails logs the last n lines of each process's log.
func (c *cluster) logTails(t testing.TB, n int) {
	for i := range c.addrs {
		b, _ := os.ReadFile(filepath.Join(c.dir, fmt.Sprintf("serve-%d.log", i)))
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		if len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		t.Logf("serve %d log (last %d lines):\n%s", i, len(lines), strings.Join(lines, "\n"))
	}
}

// kill stops process i with SIGKILL.
func (c *cluster) kill(i int) {
	c.mu.Lock()
	p, w := c.procs[i], c.waits[i]
	c.mu.Unlock()
	p.Process.Kill()
	<-w
}

func (c *cluster) stopAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, p := range c.procs {
		if p == nil || p.ProcessState != nil {
			continue
		}
		p.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.waits[i]:
		case <-time.After(10 * time.Second):
			p.Process.Kill()
			<-c.waits[i]
		}
	}
}

// submit posts a module definition to process i (retrying on the others
// while one is down) and returns the build ids.
func (c *cluster) submit(yaml string) []int64 {
	body, _ := json.Marshal(map[string]any{"modulemd": yaml})
	for try := 0; try < 50; try++ {
		i := try % len(c.addrs)
		resp, err := http.Post(c.url(i)+"module-builds/", "application/json", bytes.NewReader(body))
		if err != nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		var out []struct {
			ID int64 `json:"id"`
		}
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || err != nil {
			c.t.Fatalf("submit: HTTP %d (%v)", resp.StatusCode, err)
		}
		var ids []int64
		for _, o := range out {
			ids = append(ids, o.ID)
		}
		return ids
	}
	c.t.Fatal("submit: no serve process answered")
	return nil
}

// chaosModule is a module with n components in `batches` buildorder
// groups, all from one git repository.
func chaosModule(name, repo string, n, batches int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "document: modulemd\nversion: 2\ndata:\n  name: %s\n  stream: \"1\"\n  summary: s\n  description: d.\n  license: {module: [MIT]}\n", name)
	b.WriteString("  dependencies:\n  - buildrequires: {platform: [f40]}\n    requires: {platform: [f40]}\n  components:\n    rpms:\n")
	for i := range n {
		fmt.Fprintf(&b, "      %s-pkg%02d: {rationale: x, repository: %s, ref: HEAD, buildorder: %d}\n", name, i, repo, i%batches)
	}
	return b.String()
}

// finished waits until every module build in the database is ready (or
// failed), returning them.
func waitFinished(t testing.TB, st orchestrator.Store, want int, timeout time.Duration, tick func()) []*orchestrator.ModuleBuild {
	deadline := time.Now().Add(timeout)
	ctx := context.Background()
	for {
		var l []*orchestrator.ModuleBuild
		err := st.View(ctx, func(tx orchestrator.Tx) error {
			var err error
			l, _, err = tx.ListModuleBuilds(ctx, &orchestrator.ModuleBuildFilter{OrderBy: []orchestrator.Order{{Field: "id"}}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, mb := range l {
			if mb.State == orchestrator.StateReady || mb.State == orchestrator.StateFailed {
				done++
			}
		}
		if len(l) >= want && done == len(l) {
			return l
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d module builds finished after %s", done, len(l), timeout)
		}
		if tick != nil {
			tick()
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func openPG(t testing.TB, url string) *pgstore.Store {
	st, err := pgstore.Open(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
