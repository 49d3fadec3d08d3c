package compose

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// compileVariantRE compiles a filter's variant pattern as Pungi matches it
// (re.match: anchored at the start).
func compileVariantRE(p string) (*regexp.Regexp, error) {
	return regexp.Compile(`^(?:` + p + `)`)
}

func runQuiet(ctx context.Context, name string, args ...string) error {
	_, err := runQuietCPU(ctx, name, args...)
	return err
}

// runQuietCPU runs a program, keeping its output for the error, and
// returns the CPU time (user + system) it used.
func runQuietCPU(ctx context.Context, name string, args ...string) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var cpu time.Duration
	if ps := cmd.ProcessState; ps != nil {
		cpu = ps.UserTime() + ps.SystemTime()
	}
	if err != nil {
		return cpu, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return cpu, nil
}

// toolClock measures the wall time during which at least one external
// program ran, the time per program, and the programs' CPU time.
type toolClock struct {
	mu      sync.Mutex
	running int
	since   time.Time
	busy    time.Duration
	per     map[string]time.Duration
	cpu     time.Duration
}

func (c *toolClock) start(name string) func() {
	c.mu.Lock()
	t0 := time.Now()
	if c.running == 0 {
		c.since = t0
	}
	c.running++
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		now := time.Now()
		c.running--
		if c.running == 0 {
			c.busy += now.Sub(c.since)
		}
		if c.per == nil {
			c.per = map[string]time.Duration{}
		}
		c.per[name] += now.Sub(t0)
	}
}

func (c *toolClock) run(ctx context.Context, name string, args ...string) error {
	done := c.start(name)
	defer done()
	cpu, err := runQuietCPU(ctx, name, args...)
	c.mu.Lock()
	c.cpu += cpu
	c.mu.Unlock()
	return err
}

// linkOrCopy hard-links src to dst, copying when a link is impossible.
func linkOrCopy(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return linkFile(src, dst)
}

// linkFile is linkOrCopy into an existing directory.
func linkFile(src, dst string) error {
	if err := os.Link(src, dst); err == nil || os.IsExist(err) {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// writeFileAtomic writes data to path through a temporary file.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
