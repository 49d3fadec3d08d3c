package amqpbus_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/amqpbus"
	"github.com/modkit/modkit/orchestrator/sqlstore"
	"github.com/modkit/modkit/orchestrator/zerobuilder"
	"github.com/modkit/modkit/resolver"
)

func brokerURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("MODKIT_TEST_AMQP_URL")
	if u == "" {
		testenv.SkipOrFatal(t, "MODKIT_TEST_AMQP_URL is not set (a RabbitMQ URL; eval \"$(hack/rabbitmq.sh up DIR)\" starts one)")
	}
	return u
}

func uniquePrefix() string {
	var b [4]byte
	rand.Read(b[:])
	return "org.modkit.test" + hex.EncodeToString(b[:])
}

// listen binds a private queue to pattern on amq.topic, directly on the
// broker, and returns its deliveries.
func listen(t *testing.T, url, pattern string) <-chan amqp.Delivery {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(q.Name, pattern, "amq.topic", false, nil); err != nil {
		t.Fatal(err)
	}
	msgs, err := ch.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func receive(t *testing.T, msgs <-chan amqp.Delivery, n int, timeout time.Duration) []amqp.Delivery {
	t.Helper()
	var out []amqp.Delivery
	deadline := time.After(timeout)
	for len(out) < n {
		select {
		case d := <-msgs:
			out = append(out, d)
		case <-deadline:
			t.Fatalf("received %d messages, want %d", len(out), n)
		}
	}
	return out
}

func TestPublishFormat(t *testing.T) {
	t.Parallel()
	url := brokerURL(t)
	prefix := uniquePrefix()
	msgs := listen(t, url, prefix+".#")
	bus, err := amqpbus.New(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	when := time.Date(2024, 6, 1, 12, 0, 0, 123456789, time.UTC)
	events := []orchestrator.Event{
		{ID: 1, MessageID: orchestrator.NewMessageID(), Topic: prefix + ".mbs.module.state.change", Time: when,
			Body: json.RawMessage(`{"id":7,"name":"nodejs","stream":"20","state":1,"state_name":"wait","owner":"alice"}`)},
		{ID: 2, MessageID: orchestrator.NewMessageID(), Topic: prefix + ".mbs.component.state.change", Time: when,
			Body: json.RawMessage(`{"id":3,"package":"nodejs","module_build":7,"state":0}`)},
	}
	if err := bus.Publish(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	got := receive(t, msgs, 2, 10*time.Second)
	for i, d := range got {
		e := events[i]
		if d.RoutingKey != e.Topic || d.Exchange != "amq.topic" || d.MessageId != e.MessageID || string(d.Body) != string(e.Body) {
			t.Errorf("message %d: key %q exchange %q id %q body %s; want %q, %q, %s", i, d.RoutingKey, d.Exchange, d.MessageId, d.Body, e.Topic, e.MessageID, e.Body)
		}
		if d.ContentType != "application/json" || d.ContentEncoding != "utf-8" || d.DeliveryMode != amqp.Persistent {
			t.Errorf("message %d: content %q/%q, delivery mode %d", i, d.ContentType, d.ContentEncoding, d.DeliveryMode)
		}
	}
	want := amqp.Table{
		"fedora_messaging_schema":        "base.message",
		"fedora_messaging_severity":      int32(20),
		"sent-at":                        "2024-06-01T12:00:00+00:00",
		"priority":                       int32(0),
		"fedora_messaging_module_nodejs": true,
		"fedora_messaging_user_alice":    true,
	}
	if diff := cmp.Diff(want, got[0].Headers); diff != "" {
		t.Errorf("module message headers (-want +got):\n%s", diff)
	}
	if got[1].Headers["fedora_messaging_rpm_nodejs"] != true {
		t.Errorf("component message headers: %v", got[1].Headers)
	}
}

// proxy forwards TCP connections to the broker until cut.
type proxy struct {
	t        *testing.T
	addr     string
	upstream string
	mu       sync.Mutex
	ln       net.Listener
	conns    []net.Conn
}

func newProxy(t *testing.T, upstream string) *proxy {
	p := &proxy{t: t, upstream: upstream}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", p.upstream)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { io.Copy(u, c); u.Close() }()
			go func() { io.Copy(c, u); c.Close() }()
		}
	}()
}

// cut closes the listener and every forwarded connection: the broker is
// unreachable.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// restore listens again on the same address.
func (p *proxy) restore() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.serve(ln)
}

// viaProxy returns url with its host replaced by the proxy's address.
func viaProxy(t *testing.T, url string) (*proxy, string) {
	uri, err := amqp.ParseURI(url)
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, fmt.Sprintf("%s:%d", uri.Host, uri.Port))
	host, port, _ := net.SplitHostPort(p.addr)
	uri.Host = host
	fmt.Sscan(port, &uri.Port)
	return p, uri.String()
}

type fixedSCM struct{}

func (fixedSCM) ResolveRef(ctx context.Context, repo, ref string) (string, error) {
	return strings.Repeat("ab", 20), nil
}
func (fixedSCM) CommitTime(ctx context.Context, repo, commit string) (time.Time, error) {
	return time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC), nil
}
func (fixedSCM) ReadFile(ctx context.Context, repo, commit, path string) ([]byte, error) {
	return nil, os.ErrNotExist
}

const moduleYAML = `document: modulemd
version: 2
data:
  name: outage
  stream: "1"
  summary: Outage
  description: A module built while the broker is down.
  license: {module: [MIT]}
  dependencies:
  - buildrequires: {platform: [f40]}
    requires: {platform: [f40]}
  components:
    rpms:
      a: {rationale: x, repository: https://git.example.com/a, ref: main, buildorder: 1}
      b: {rationale: x, repository: https://git.example.com/b, ref: main, buildorder: 2}
`

// TestBrokerOutageLosesNothing builds a module while the broker cannot be
// reached: the build finishes, its events wait in the outbox, and once the
// broker is back every event arrives, in order, exactly as committed.
func TestBrokerOutageLosesNothing(t *testing.T) {
	t.Parallel()
	url := brokerURL(t)
	prefix := uniquePrefix()
	msgs := listen(t, url, prefix+".#")
	px, purl := viaProxy(t, url)
	bus, err := amqpbus.New(purl, &amqpbus.Options{DialTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, ":memory:", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	zb, _ := zerobuilder.New(nil)
	platform := &modulemd.Stream{MDVersionNumber: 2, Name: "platform", Stream: "f40", Version: 1, Context: "00000000",
		Summary: "p", Description: "p", License: modulemd.License{Module: []string{"MIT"}},
		XMD: modulemd.MustXMD(map[string]any{"mbs": map[string]any{"mse": "TRUE", "koji_tag": "module-f40-build"}})}
	svc, err := orchestrator.NewService(&orchestrator.Options{
		Store: st, Builder: zb, SCM: fixedSCM{}, Publisher: bus, TopicPrefix: prefix + ".mbs.",
		Source:       orchestrator.Sources(orchestrator.NewDBSource(st), resolver.NewSource([]*modulemd.Stream{platform})),
		PollInterval: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
		AllowComponentRepository: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	// First a message through the proxy, so the bus holds a connection
	// that the outage then breaks.
	if err := bus.Publish(ctx, []orchestrator.Event{{MessageID: orchestrator.NewMessageID(), Topic: prefix + ".hello", Time: time.Now(), Body: json.RawMessage(`{}`)}}); err != nil {
		t.Fatal(err)
	}
	receive(t, msgs, 1, 10*time.Second)
	px.cut()

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { svc.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()
	mbs, err := svc.Submit(ctx, &orchestrator.SubmitRequest{Modulemd: []byte(moduleYAML), Owner: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := svc.Wait(waitCtx, mbs[0].ID); err != nil {
		t.Fatal(err)
	}
	var pending []*orchestrator.Event
	st.View(ctx, func(tx orchestrator.Tx) error {
		pending, err = tx.PendingEvents(ctx, 1000)
		return err
	})
	if len(pending) == 0 {
		t.Fatal("the outbox is empty although the broker is unreachable")
	}
	select {
	case d := <-msgs:
		t.Fatalf("message %s arrived during the outage", d.RoutingKey)
	case <-time.After(200 * time.Millisecond):
	}

	px.restore()
	got := receive(t, msgs, len(pending), 30*time.Second)
	var wantIDs, gotIDs []string
	for _, e := range pending {
		wantIDs = append(wantIDs, e.MessageID)
	}
	for _, d := range got {
		gotIDs = append(gotIDs, d.MessageId)
	}
	if diff := cmp.Diff(wantIDs, gotIDs); diff != "" {
		t.Errorf("messages after the outage (-want +got):\n%s", diff)
	}
	var states []string
	for _, d := range got {
		if strings.HasSuffix(d.RoutingKey, ".mbs.module.state.change") {
			var m orchestrator.ModuleMessage
			if err := json.Unmarshal(d.Body, &m); err != nil {
				t.Fatal(err)
			}
			states = append(states, m.StateName)
		}
	}
	if diff := cmp.Diff([]string{"init", "wait", "build", "done", "ready"}, states); diff != "" {
		t.Errorf("module states published (-want +got):\n%s", diff)
	}
	if err := svc.Flush(waitCtx); err != nil {
		t.Fatal(err)
	}
}

// TestConsumeKoji checks that koji's messages reach the consumer, also
// after the connection to the broker broke.
func TestConsumeKoji(t *testing.T) {
	t.Parallel()
	url := brokerURL(t)
	prefix := uniquePrefix()
	px, purl := viaProxy(t, url)
	bus, err := amqpbus.New(purl, &amqpbus.Options{
		DialTimeout: time.Second,
		KojiTopics:  []string{prefix + ".buildsys.build.state.change", prefix + ".buildsys.tag", prefix + ".buildsys.repo.done"},
		Logger:      slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan amqpbus.Delivery, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bus.Consume(ctx, func(d amqpbus.Delivery) { got <- d }) }()
	defer func() { cancel(); <-done }()

	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	send := func(topic string) {
		t.Helper()
		err := ch.PublishWithContext(ctx, "amq.topic", topic, false, false, amqp.Publishing{ContentType: "application/json", Body: []byte(`{"tag":"module-x-build"}`)})
		if err != nil {
			t.Fatal(err)
		}
	}
	expect := func(topic string) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			// Until the consumer's queue is bound, messages are dropped:
			// send again.
			send(topic)
			select {
			case d := <-got:
				if d.Topic != topic {
					t.Fatalf("got %s, want %s", d.Topic, topic)
				}
				return
			case <-deadline:
				t.Fatalf("%s not consumed", topic)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	expect(prefix + ".buildsys.repo.done")
	send(prefix + ".mbs.module.state.change") // not subscribed
	px.cut()
	px.restore()
	expect(prefix + ".buildsys.tag")
	for len(got) > 0 {
		if d := <-got; !strings.HasSuffix(d.Topic, ".buildsys.tag") {
			t.Errorf("unexpected %s", d.Topic)
		}
	}
}
