package amqpbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/modkit/modkit/orchestrator"
)

// Options configure a Bus; nil means defaults.
type Options struct {
	// Exchange is the topic exchange; default "amq.topic"
	// (fedora-messaging's).
	Exchange string
	// Schema is the fedora_messaging_schema header; default
	// "base.message", fedora-messaging's generic message class.
	Schema string
	// Severity is the fedora_messaging_severity header; default 20 (INFO).
	Severity int
	// KojiTopics are the routing key patterns of the build system messages
	// Consume listens to; default "#.buildsys.build.state.change",
	// "#.buildsys.tag" and "#.buildsys.repo.done" (any prefix).
	KojiTopics []string
	// DialTimeout bounds connecting; default 10 s.
	DialTimeout time.Duration
	// Logger receives reconnection messages; nil = slog.Default().
	Logger *slog.Logger
}

// Bus is a connection to an AMQP broker. Publish may be called from one
// goroutine at a time (the service's dispatcher); Consume runs in its own.
type Bus struct {
	url  string
	opts Options

	mu   sync.Mutex // guards conn and ch, the publishing connection
	conn *amqp.Connection
	ch   *amqp.Channel
}

var _ orchestrator.Publisher = (*Bus)(nil)

// New returns a Bus for the broker at url (amqp://user:pass@host:port/vhost).
// It connects lazily: the first Publish or Consume dials, and a broker that
// is down is retried then, so a service starts while its broker does not
// run.
func New(url string, opts *Options) (*Bus, error) {
	if _, err := amqp.ParseURI(url); err != nil {
		return nil, fmt.Errorf("amqpbus: %w", err)
	}
	b := &Bus{url: url}
	if opts != nil {
		b.opts = *opts
	}
	if b.opts.Exchange == "" {
		b.opts.Exchange = "amq.topic"
	}
	if b.opts.Schema == "" {
		b.opts.Schema = "base.message"
	}
	if b.opts.Severity == 0 {
		b.opts.Severity = 20
	}
	if len(b.opts.KojiTopics) == 0 {
		b.opts.KojiTopics = []string{"#.buildsys.build.state.change", "#.buildsys.tag", "#.buildsys.repo.done"}
	}
	if b.opts.DialTimeout <= 0 {
		b.opts.DialTimeout = 10 * time.Second
	}
	if b.opts.Logger == nil {
		b.opts.Logger = slog.Default()
	}
	return b, nil
}

func (b *Bus) dial() (*amqp.Connection, error) {
	return amqp.DialConfig(b.url, amqp.Config{
		Heartbeat: 10 * time.Second,
		Locale:    "en_US",
		Dial:      amqp.DefaultDial(b.opts.DialTimeout),
		Properties: amqp.Table{
			"product":         "modkit",
			"connection_name": "modkit orchestrator",
		},
	})
}

// Close closes the publishing connection.
func (b *Bus) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.resetLocked()
	return nil
}

func (b *Bus) resetLocked() {
	if b.conn != nil {
		b.conn.Close()
	}
	b.conn, b.ch = nil, nil
}

// channel returns the confirming publishing channel, connecting if needed.
func (b *Bus) channelLocked() (*amqp.Channel, error) {
	if b.ch != nil && !b.ch.IsClosed() && !b.conn.IsClosed() {
		return b.ch, nil
	}
	b.resetLocked()
	conn, err := b.dial()
	if err != nil {
		return nil, fmt.Errorf("amqpbus: connect: %w", err)
	}
	ch, err := conn.Channel()
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("amqpbus: open channel: %w", err)
	}
	if err := ch.Confirm(false); err != nil {
		conn.Close()
		return nil, fmt.Errorf("amqpbus: enable publisher confirms: %w", err)
	}
	b.conn, b.ch = conn, ch
	return ch, nil
}

// Message returns the AMQP message Publish sends for e.
func (b *Bus) Message(e orchestrator.Event) amqp.Publishing {
	headers := amqp.Table{
		"fedora_messaging_schema":   b.opts.Schema,
		"fedora_messaging_severity": int32(b.opts.Severity),
		"sent-at":                   e.Time.UTC().Format("2006-01-02T15:04:05+00:00"),
		"priority":                  int32(0),
	}
	// What the message is about, for notification filters.
	var about struct {
		Name        string `json:"name"`
		Owner       string `json:"owner"`
		Package     string `json:"package"`
		ModuleBuild int64  `json:"module_build"`
	}
	if json.Unmarshal(e.Body, &about) == nil {
		if about.Package != "" && about.ModuleBuild != 0 {
			headers["fedora_messaging_rpm_"+about.Package] = true
		} else if about.Name != "" {
			headers["fedora_messaging_module_"+about.Name] = true
		}
		if about.Owner != "" {
			headers["fedora_messaging_user_"+about.Owner] = true
		}
	}
	return amqp.Publishing{
		Headers:         headers,
		ContentType:     "application/json",
		ContentEncoding: "utf-8",
		DeliveryMode:    amqp.Persistent,
		MessageId:       e.MessageID,
		Timestamp:       e.Time.UTC().Truncate(time.Second),
		Body:            e.Body,
	}
}

// ErrNacked is returned by Publish when the broker refused a message.
var ErrNacked = errors.New("amqpbus: the broker did not accept the message")

// Publish implements [orchestrator.Publisher]: it publishes events in
// order to the exchange, each with its topic as routing key, and waits
// for the broker's confirmation of every one. On any failure it drops the
// connection (the next call reconnects) and returns an error: the caller
// keeps the events and publishes them again.
func (b *Bus) Publish(ctx context.Context, events []orchestrator.Event) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	ch, err := b.channelLocked()
	if err != nil {
		return err
	}
	confirms := make([]*amqp.DeferredConfirmation, 0, len(events))
	for _, e := range events {
		dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, b.opts.Exchange, e.Topic, false, false, b.Message(e))
		if err != nil {
			b.resetLocked()
			return fmt.Errorf("amqpbus: publish %s: %w", e.Topic, err)
		}
		confirms = append(confirms, dc)
	}
	wait, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for i, dc := range confirms {
		ok, err := dc.WaitContext(wait)
		if err != nil {
			b.resetLocked()
			return fmt.Errorf("amqpbus: wait for the confirmation of %s: %w", events[i].MessageID, err)
		}
		if !ok {
			b.resetLocked()
			return fmt.Errorf("%w: %s (%s)", ErrNacked, events[i].MessageID, events[i].Topic)
		}
	}
	return nil
}

// Delivery is one consumed message.
type Delivery struct {
	// Topic is the routing key ("org.fedoraproject.prod.buildsys.tag").
	Topic string
	// Body is the JSON body.
	Body []byte
	// MessageID is the message's id.
	MessageID string
}

// Consume listens to the build system messages (Options.KojiTopics) on a
// private, exclusive queue of this process and calls fn for each, until
// ctx ends; it reconnects after broker outages (backing off up to 30 s).
// It returns ctx's error.
func (b *Bus) Consume(ctx context.Context, fn func(Delivery)) error {
	backoff := time.Duration(0)
	for {
		err := b.consumeOnce(ctx, fn, func() { backoff = 0 })
		if ctx.Err() != nil {
			return ctx.Err()
		}
		backoff = min(max(2*backoff, 250*time.Millisecond), 30*time.Second)
		b.opts.Logger.Warn("amqpbus: consumer disconnected; reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
	}
}

func (b *Bus) consumeOnce(ctx context.Context, fn func(Delivery), connected func()) error {
	conn, err := b.dial()
	if err != nil {
		return err
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		return fmt.Errorf("declare queue: %w", err)
	}
	for _, key := range b.opts.KojiTopics {
		if err := ch.QueueBind(q.Name, key, b.opts.Exchange, false, nil); err != nil {
			return fmt.Errorf("bind %s: %w", key, err)
		}
	}
	msgs, err := ch.ConsumeWithContext(ctx, q.Name, "", true, true, false, false, nil)
	if err != nil {
		return fmt.Errorf("consume: %w", err)
	}
	connected()
	closed := conn.NotifyClose(make(chan *amqp.Error, 1))
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-closed:
			if err == nil {
				return errors.New("connection closed")
			}
			return err
		case d, ok := <-msgs:
			if !ok {
				return errors.New("delivery channel closed")
			}
			fn(Delivery{Topic: d.RoutingKey, Body: d.Body, MessageID: d.MessageId})
		}
	}
}
