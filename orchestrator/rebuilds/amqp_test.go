package rebuilds_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/orchestrator/amqpbus"
	"github.com/modkit/modkit/orchestrator/rebuilds"
)

func brokerURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("MODKIT_TEST_AMQP_URL")
	if u == "" {
		testenv.SkipOrFatal(t, "MODKIT_TEST_AMQP_URL is not set (a RabbitMQ URL; eval \"$(hack/rabbitmq.sh up DIR)\" starts one)")
	}
	return u
}

func randomName(prefix string) string {
	var b [4]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// consume runs rs on the shared queue name, bound to the bus topics under
// prefix, until the test ends; it counts the messages it acknowledged.
func consume(t *testing.T, url, queue, prefix string, rs *rebuilds.Service) *atomic.Int64 {
	t.Helper()
	bus, err := amqpbus.New(url, &amqpbus.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	var topics []string
	for _, p := range rebuilds.BusTopics {
		topics = append(topics, strings.Replace(p, "#", prefix, 1))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	n := &atomic.Int64{}
	qo := &amqpbus.QueueOptions{Name: queue, Topics: topics, RetryDelay: 100 * time.Millisecond}
	if err := bus.DeclareQueue(ctx, qo); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(done)
		bus.ConsumeQueue(ctx, qo, func(ctx context.Context, d amqpbus.Delivery) error {
			retry, err := rs.HandleBusMessage(ctx, d.MessageID, d.Topic, d.Body)
			if err != nil {
				t.Logf("%s: retry %v: %v", d.MessageID, retry, err)
			}
			if retry {
				return fmt.Errorf("%w: %v", amqpbus.ErrRetry, err)
			}
			n.Add(1)
			return nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		bus.Close()
	})
	return n
}

// publisher publishes raw messages as dist-git does through
// fedora-messaging.
type publisher struct {
	t  *testing.T
	ch *amqp.Channel
}

func newPublisher(t *testing.T, url string) *publisher {
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	return &publisher{t, ch}
}

func (p *publisher) publish(topic, id string, body []byte) {
	p.t.Helper()
	dc, err := p.ch.PublishWithDeferredConfirm("amq.topic", topic, false, false, amqp.Publishing{
		ContentType: "application/json", ContentEncoding: "utf-8", DeliveryMode: amqp.Persistent, MessageId: id, Body: body,
		Headers: amqp.Table{"fedora_messaging_schema": "base.message", "fedora_messaging_severity": int32(20)},
	})
	if err != nil {
		p.t.Fatal(err)
	}
	if !dc.Wait() {
		p.t.Fatal("the broker refused a message")
	}
}

func deleteQueue(t *testing.T, url, queue string) {
	t.Cleanup(func() {
		conn, err := amqp.Dial(url)
		if err != nil {
			return
		}
		defer conn.Close()
		if ch, err := conn.Channel(); err == nil {
			ch.QueueDelete(queue, false, false, false)
		}
	})
}

// waitEvent waits until the message id's event exists.
func waitEvent(t *testing.T, st rebuilds.Store, messageID string) *rebuilds.Event {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		l, _, err := st.Events(context.Background(), &rebuilds.EventFilter{MessageID: messageID})
		if err != nil {
			t.Fatal(err)
		}
		if len(l) == 1 {
			return l[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no event for message %s", messageID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBusChain: a git.receive published on RabbitMQ for alpha's component
// branch rebuilds alpha, then beta; gamma is blocked. The same message
// published again is handled once.
func TestBusChain(t *testing.T) {
	t.Parallel()
	testBusChain(t, t.TempDir())
}

func TestBusChainOnPostgres(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	onPostgres(t, dir)
	testBusChain(t, dir)
}

func testBusChain(t *testing.T, dir string) {
	url := brokerURL(t)
	scm := newGitSCM()
	setupABC(scm)
	w := newWorld(t, dir, scm, &rebuilds.Options{Rules: blockGamma(t)})
	w.build("alpha")
	w.build("beta")
	w.build("gamma")
	prefix, queue := randomName("org.modkit.test"), randomName("modkit-rebuilds-test-")
	deleteQueue(t, url, queue)
	acked := consume(t, url, queue, prefix, w.rs)
	rev := scm.push(gitBase+"rpms/alpha-lib", "main", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	m := pushMessage("", "alpha-lib", "main", rev, "alpha-lib.spec")
	p := newPublisher(t, url)
	id := randomName("msg-")
	p.publish(prefix+".git.receive", id, m.Body)
	p.publish(prefix+".git.receive", id, m.Body) // a duplicate
	p.publish(prefix+".git.receive", randomName("msg-"), []byte(`{"commit": "not an object"}`))
	ev := w.settle(waitEvent(t, w.store, id).ID)
	if ev.State != rebuilds.EventComplete || ev.Type != rebuilds.EventGitRPMSpecChange {
		t.Fatalf("event %s %s: %s", ev.Type, ev.State, ev.StateReason)
	}
	checkRows(t, rows(t, w.store, ev.ID), []row{
		{"alpha:1", rebuilds.BuildDone, rebuilds.ReasonDirectlyAffected, ""},
		{"beta:1", rebuilds.BuildDone, rebuilds.ReasonDependency, "alpha:1"},
		{"gamma:1", rebuilds.BuildSkipped, rebuilds.ReasonDependency, "beta:1"},
	})
	deadline := time.Now().Add(30 * time.Second)
	for acked.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := acked.Load(); n != 3 {
		t.Errorf("%d messages acknowledged, want 3", n)
	}
	for name, want := range map[string]int{"alpha": 2, "beta": 2, "gamma": 1} {
		if got := len(moduleBuilds(t, w.orch, name)); got != want {
			t.Errorf("%s: %d module builds, want %d", name, got, want)
		}
	}
}

// TestBusSharedQueue: two rebuild services (two processes' worth) consume
// one queue over one store; every message is handled by one of them, once,
// duplicates included, and both get work.
func TestBusSharedQueue(t *testing.T) {
	t.Parallel()
	url := brokerURL(t)
	scm := newGitSCM()
	setupABC(scm)
	w := newWorld(t, t.TempDir(), scm, nil)
	other, err := rebuilds.New(&rebuilds.Options{Orchestrator: w.orch, Store: w.store, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	prefix, queue := randomName("org.modkit.test"), randomName("modkit-rebuilds-test-")
	deleteQueue(t, url, queue)
	n1 := consume(t, url, queue, prefix, w.rs)
	n2 := consume(t, url, queue, prefix, other)
	p := newPublisher(t, url)
	const n = 20
	var ids []string
	for i := 0; i < n; i++ {
		id := randomName("msg-")
		ids = append(ids, id)
		m := pushMessage("", fmt.Sprintf("nobody-uses-%d", i), "main", "0123456789abcdef", "x.spec")
		p.publish(prefix+".git.receive", id, m.Body)
		p.publish(prefix+".git.receive", id, m.Body)
	}
	deadline := time.Now().Add(60 * time.Second)
	for n1.Load()+n2.Load() < 2*n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if a, b := n1.Load(), n2.Load(); a+b != 2*n || a == 0 || b == 0 {
		t.Errorf("acknowledged %d and %d messages, want %d in all, some by each", a, b, 2*n)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	l, total, err := w.store.Events(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	for _, e := range l {
		seen[e.MessageID]++
		if e.State != rebuilds.EventSkipped {
			t.Errorf("event %s: %s %s", e.MessageID, e.State, e.StateReason)
		}
	}
	mu.Unlock()
	if total != n {
		t.Errorf("%d events, want %d", total, n)
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("message %s: %d events", id, seen[id])
		}
	}
	if errors.Is(nil, rebuilds.ErrBusy) {
		t.Fatal("unreachable")
	}
}

// TestBusCrash: a process dies while handling a bus message (after the
// event was recorded, before its rebuild was); the message was not
// acknowledged, so the broker gives it to the next consumer, which
// resumes the event: the chain is rebuilt, alpha once.
func TestBusCrash(t *testing.T) {
	t.Parallel()
	url := brokerURL(t)
	scm := newGitSCM()
	setupABC(scm)
	w := newWorld(t, t.TempDir(), scm, &rebuilds.Options{Rules: blockGamma(t)})
	w.build("alpha")
	w.build("beta")
	w.build("gamma")
	prefix, queue := randomName("org.modkit.test"), randomName("modkit-rebuilds-test-")
	deleteQueue(t, url, queue)
	bus, err := amqpbus.New(url, &amqpbus.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	qo := &amqpbus.QueueOptions{Name: queue, Topics: []string{prefix + ".git.receive"}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := bus.DeclareQueue(ctx, qo); err != nil {
		t.Fatal(err)
	}
	dying, err := rebuilds.New(&rebuilds.Options{Orchestrator: w.orch, Store: &dyingStore{SQLStore: w.store.(*rebuilds.SQLStore), cancel: cancel},
		Rules: blockGamma(t), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		bus.ConsumeQueue(ctx, qo, func(ctx context.Context, d amqpbus.Delivery) error {
			if retry, err := dying.HandleBusMessage(ctx, d.MessageID, d.Topic, d.Body); retry {
				return fmt.Errorf("%w: %v", amqpbus.ErrRetry, err)
			}
			return nil
		})
	}()
	rev := scm.push(gitBase+"rpms/alpha-lib", "main", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC))
	id := randomName("msg-")
	newPublisher(t, url).publish(prefix+".git.receive", id, pushMessage("", "alpha-lib", "main", rev, "alpha-lib.spec").Body)
	<-done // the "process" died
	if ev := waitEvent(t, w.store, id); ev.State != rebuilds.EventInitialized {
		t.Fatalf("event after the crash: %+v", ev)
	}
	consume(t, url, queue, prefix, w.rs) // the next process
	deadline := time.Now().Add(60 * time.Second)
	var ev *rebuilds.Event
	for {
		ev = waitEvent(t, w.store, id)
		if ev.State != rebuilds.EventInitialized || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	ev = w.settle(ev.ID)
	checkRows(t, rows(t, w.store, ev.ID), []row{
		{"alpha:1", rebuilds.BuildDone, rebuilds.ReasonDirectlyAffected, ""},
		{"beta:1", rebuilds.BuildDone, rebuilds.ReasonDependency, "alpha:1"},
		{"gamma:1", rebuilds.BuildSkipped, rebuilds.ReasonDependency, "beta:1"},
	})
	for name, want := range map[string]int{"alpha": 2, "beta": 2, "gamma": 1} {
		if got := len(moduleBuilds(t, w.orch, name)); got != want {
			t.Errorf("%s: %d module builds, want %d", name, got, want)
		}
	}
}
