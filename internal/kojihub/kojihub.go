package kojihub

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
)

// Options configure Serve.
type Options struct {
	// BuildTime is how long each build task runs (0: it finishes at the
	// next request).
	BuildTime time.Duration
	// Platforms are the platform streams to prepare tags for.
	Platforms []string
}

// Stats is the hub's record, as GET /kojitest/stats answers it.
type Stats struct {
	// Calls counts the answered calls per method.
	Calls map[string]int `json:"calls"`
	// Faults counts the calls per method that ended in a fault.
	Faults map[string]int `json:"faults"`
}

// Serve starts the hub, prepares it, writes "url <URL>\n" (the hub
// endpoint) to out and serves until ctx ends.
func Serve(ctx context.Context, opts *Options, out io.Writer) error {
	if opts == nil {
		opts = &Options{}
	}
	sim := kojitest.NewSim()
	sim.SetDuration(opts.BuildTime)
	var hub *kojitest.Hub
	hub = kojitest.NewServer(kojitest.WithBuilder(sim.Builder), kojitest.WithMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/kojitest/stats" {
				st := Stats{Calls: map[string]int{}, Faults: map[string]int{}}
				for _, c := range hub.Calls() {
					st.Calls[c.Method]++
					if c.FaultCode != 0 {
						st.Faults[c.Method]++
					}
				}
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(st)
				return
			}
			next.ServeHTTP(w, r)
		})
	}))
	defer hub.Close()
	if err := Prepare(ctx, hub.URL(), opts.Platforms); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(out, "url %s\n", hub.URL()); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// Prepare makes the hub at url ready for module builds of the platform
// streams (see the package documentation); what exists already is kept.
func Prepare(ctx context.Context, url string, platforms []string) error {
	c, err := koji.NewClient(url, koji.WithAuth(koji.PasswordAuth{User: kojitest.AdminUser, Password: kojitest.AdminPassword}))
	if err != nil {
		return err
	}
	if err := c.Login(ctx); err != nil {
		return fmt.Errorf("kojihub: log in: %w", err)
	}
	if err := c.AddBType(ctx, "module"); err != nil && !strings.Contains(err.Error(), "already exists") {
		return fmt.Errorf("kojihub: add the module btype: %w", err)
	}
	if err := c.GrantCGAccess(ctx, koji.Name(kojitest.AdminUser), "module-build-service", true); err != nil && !strings.Contains(err.Error(), "already has access") {
		return fmt.Errorf("kojihub: grant CG access: %w", err)
	}
	for _, s := range platforms {
		if _, err := c.CreateTag(ctx, "module-"+s+"-build", &koji.CreateTagOptions{Arches: []string{"x86_64"}}); err != nil && !strings.Contains(err.Error(), "already exists") {
			return fmt.Errorf("kojihub: platform tag of %s: %w", s, err)
		}
		if _, err := c.CreateTag(ctx, s+"-modular-updates-candidate", nil); err != nil && !strings.Contains(err.Error(), "already exists") {
			return fmt.Errorf("kojihub: candidate tag of %s: %w", s, err)
		}
	}
	return nil
}

// ReadStats fetches the record of the hub whose endpoint is url
// (<server>/kojihub).
func ReadStats(ctx context.Context, url string) (*Stats, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(url, "/kojihub")+"/kojitest/stats", nil)
	if err != nil {
		return nil, err
	}
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("kojihub: stats: HTTP %d", resp.StatusCode)
	}
	var st Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return nil, fmt.Errorf("kojihub: stats: %w", err)
	}
	return &st, nil
}

// BuildTask is one top-level build task of the hub.
type BuildTask struct {
	ID        int64
	Target    string
	Artifact  string // the mbs_artifact_name option
	State     koji.TaskState
	Created   time.Time
	Completed time.Time // zero while it runs
	SourceURL string
}

// BuildTasks lists the hub's top-level build tasks, oldest first.
func BuildTasks(ctx context.Context, url string) ([]BuildTask, error) {
	c, err := koji.NewClient(url)
	if err != nil {
		return nil, err
	}
	var tasks []koji.Task
	if err := c.Call(ctx, "listTasks", &tasks, map[string]any{"method": "build", "decode": true}, map[string]any{"order": "id"}); err != nil {
		return nil, fmt.Errorf("kojihub: listTasks: %w", err)
	}
	var out []BuildTask
	for _, t := range tasks {
		if t.Parent != nil {
			continue
		}
		bt := BuildTask{ID: t.ID, State: t.State, Created: t.CreateTime, Completed: t.CompletionTime}
		if len(t.Request) >= 3 {
			bt.SourceURL, _ = t.Request[0].(string)
			bt.Target, _ = t.Request[1].(string)
			o, _ := t.Request[2].(map[string]any)
			bt.Artifact, _ = o["mbs_artifact_name"].(string)
		}
		out = append(out, bt)
	}
	return out, nil
}

// MaxRunning is the most build tasks that were running (created and not
// yet completed) at one time.
func MaxRunning(tasks []BuildTask) int {
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, t := range tasks {
		edges = append(edges, edge{t.Created, 1})
		end := t.Completed
		if end.IsZero() {
			end = time.Now().Add(time.Hour)
		}
		edges = append(edges, edge{end, -1})
	}
	// Ends before starts at the same instant.
	sortEdges := func(a, b edge) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.delta - b.delta
	}
	slices.SortFunc(edges, sortEdges)
	n, most := 0, 0
	for _, e := range edges {
		n += e.delta
		most = max(most, n)
	}
	return most
}
