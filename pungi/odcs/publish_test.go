package odcs_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/modkit/modkit/pungi/odcs"
)

// flakyOutbox refuses messages while down and records the others.
type flakyOutbox struct {
	mu   sync.Mutex
	down bool
	got  []string // "id state"
}

func (o *flakyOutbox) Publish(ctx context.Context, topic string, body []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.down {
		return errors.New("outbox unavailable")
	}
	var m struct {
		Compose struct {
			StateName string `json:"state_name"`
		} `json:"compose"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return err
	}
	o.got = append(o.got, m.Compose.StateName)
	return nil
}

func (o *flakyOutbox) states() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.got...)
}

// TestUnpublishedStatesPublishedLater: state changes the outbox refused
// (as a crash between writing the compose and its message would lose
// them) are published by the next sweep, once, with the compose's
// current state; published ones are not repeated.
func TestUnpublishedStatesPublishedLater(t *testing.T) {
	t.Parallel()
	for _, pg := range []bool{false, true} {
		t.Run(map[bool]string{false: "sqlite", true: "postgres"}[pg], func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			emptyRepo(t, filepath.Join(root, "repos", "base"))
			ob := &flakyOutbox{down: true}
			e := newEnv(t, &odcs.Options{Store: openStore(t, pg), Outbox: ob, RepoRoots: []string{filepath.Join(root, "repos")}, Arches: []string{"x86_64"}, Workers: 1})
			ctx := context.Background()
			c, err := e.svc.Submit(ctx, "alice", &odcs.Request{Source: odcs.RequestSource{Type: "repo", Source: filepath.Join(root, "repos", "base")}})
			if err != nil {
				t.Fatal(err)
			}
			wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			defer cancel()
			if done, err := e.svc.Wait(wctx, c.ID); err != nil || done.State != odcs.StateDone {
				t.Fatalf("compose: %v %+v", err, done)
			}
			if got := ob.states(); len(got) != 0 {
				t.Fatalf("published while the outbox was down: %v", got)
			}
			ob.mu.Lock()
			ob.down = false
			ob.mu.Unlock()
			for range 2 {
				if _, err := e.svc.Reap(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if got := ob.states(); len(got) != 1 || got[0] != "done" {
				t.Errorf("published after the sweeps: %v, want [done]", got)
			}
		})
	}
}
