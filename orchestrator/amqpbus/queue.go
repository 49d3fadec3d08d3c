package amqpbus

import (
	"context"
	"errors"
	"fmt"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// QueueOptions configure [Bus.ConsumeQueue].
type QueueOptions struct {
	// Name is the durable queue's name (required): every process
	// consuming the same queue shares its messages, each delivered to one
	// of them (a queue per deployment, as fedora-messaging's consumers
	// have).
	Name string
	// Topics are the routing key patterns bound to the queue on the
	// exchange ("#.git.receive", "org.fedoraproject.prod.bodhi.update.*").
	Topics []string
	// Prefetch is how many unacknowledged messages a process holds at
	// once; default 1, so the work spreads over the processes.
	Prefetch int
	// RetryDelay is the pause before a message whose handling failed is
	// put back on the queue; default 1 s.
	RetryDelay time.Duration
}

// ErrRetry, returned (wrapped) by a [Bus.ConsumeQueue] handler, puts the
// message back on the queue after QueueOptions.RetryDelay: it is offered
// again, to this process or another.
var ErrRetry = errors.New("amqpbus: retry the message later")

// ConsumeQueue consumes a durable, shared queue with manual
// acknowledgements until ctx ends, reconnecting after broker outages
// (backing off up to 30 s). fn is called for one message at a time; the
// message is acknowledged when fn returns nil or an error other than
// ErrRetry (a message that can never be handled is not kept forever), and
// put back (nack, requeue) after a pause when it returns ErrRetry. A
// process that dies holding a message leaves it unacknowledged: the
// broker delivers it again, to another consumer when there is one. So
// delivery is at least once; fn deduplicates by message id. It returns
// ctx's error.
func (b *Bus) ConsumeQueue(ctx context.Context, opts *QueueOptions, fn func(context.Context, Delivery) error) error {
	if opts == nil || opts.Name == "" || len(opts.Topics) == 0 {
		return errors.New("amqpbus: ConsumeQueue needs a queue name and topics")
	}
	o := *opts
	if o.Prefetch <= 0 {
		o.Prefetch = 1
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = time.Second
	}
	backoff := time.Duration(0)
	for {
		err := b.consumeQueueOnce(ctx, &o, fn, func() { backoff = 0 })
		if ctx.Err() != nil {
			return ctx.Err()
		}
		backoff = min(max(2*backoff, 250*time.Millisecond), 30*time.Second)
		b.opts.Logger.Warn("amqpbus: queue consumer disconnected; reconnecting", "queue", o.Name, "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
	}
}

// DeclareQueue declares the durable queue of opts and binds its topics
// now, as ConsumeQueue does when it connects: messages published from then
// on wait in the queue for a consumer. A service calls it before it
// starts, so that it misses nothing published while it starts.
func (b *Bus) DeclareQueue(ctx context.Context, opts *QueueOptions) error {
	if opts == nil || opts.Name == "" || len(opts.Topics) == 0 {
		return errors.New("amqpbus: DeclareQueue needs a queue name and topics")
	}
	conn, err := b.dial()
	if err != nil {
		return fmt.Errorf("amqpbus: connect: %w", err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("amqpbus: open channel: %w", err)
	}
	return b.declare(ch, opts)
}

func (b *Bus) declare(ch *amqp.Channel, o *QueueOptions) error {
	if _, err := ch.QueueDeclare(o.Name, true, false, false, false, nil); err != nil {
		return fmt.Errorf("amqpbus: declare queue %s: %w", o.Name, err)
	}
	for _, key := range o.Topics {
		if err := ch.QueueBind(o.Name, key, b.opts.Exchange, false, nil); err != nil {
			return fmt.Errorf("amqpbus: bind %s to %s: %w", key, o.Name, err)
		}
	}
	return nil
}

func (b *Bus) consumeQueueOnce(ctx context.Context, o *QueueOptions, fn func(context.Context, Delivery) error, connected func()) error {
	conn, err := b.dial()
	if err != nil {
		return err
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	if err := b.declare(ch, o); err != nil {
		return err
	}
	if err := ch.Qos(o.Prefetch, 0, false); err != nil {
		return fmt.Errorf("set prefetch: %w", err)
	}
	msgs, err := ch.ConsumeWithContext(ctx, o.Name, "", false, false, false, false, nil)
	if err != nil {
		return fmt.Errorf("consume %s: %w", o.Name, err)
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
			herr := fn(ctx, Delivery{Topic: d.RoutingKey, Body: d.Body, MessageID: d.MessageId})
			if ctx.Err() != nil {
				// Stopping: unacknowledged, the broker offers it again.
				return ctx.Err()
			}
			if errors.Is(herr, ErrRetry) {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(o.RetryDelay):
				}
				if err := d.Nack(false, true); err != nil {
					return fmt.Errorf("nack: %w", err)
				}
				continue
			}
			if err := d.Ack(false); err != nil {
				return fmt.Errorf("ack: %w", err)
			}
		}
	}
}
