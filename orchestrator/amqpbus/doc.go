// Package amqpbus connects the module build service to an AMQP 0-9-1 broker
// (RabbitMQ), the way Fedora's services talk through fedora-messaging,
// with github.com/rabbitmq/amqp091-go.
//
// [Bus.Publish] is an [orchestrator.Publisher]: it sends the service's
// outbox to the topic exchange amq.topic, each event's topic as the
// routing key (with the service's TopicPrefix "org.fedoraproject.prod.mbs."
// the module event is org.fedoraproject.prod.mbs.module.state.change, as
// MBS publishes it), in fedora-messaging's wire format: content type
// application/json, UTF-8, persistent, the event's UUID as message id, and
// the headers fedora_messaging_schema, fedora_messaging_severity, sent-at,
// priority and fedora_messaging_{user,module,rpm}_<name>. The body is the
// event's JSON (MBS's module build JSON for module.state.change). Publish
// uses publisher confirms and returns only after the broker confirmed
// every message; the service removes events from its outbox only then, so
// while the broker is down events wait in the outbox and none is lost.
// Delivery is at least once: a message may be sent again after a failure,
// with the same message id.
//
// [Bus.Consume] listens to koji's messages (buildsys.build.state.change,
// buildsys.tag, buildsys.repo.done) on a private queue and calls a
// function for each, which `modkit serve` uses to wake the service
// ([orchestrator.Service.Wake]) instead of waiting for its next poll.
// Polling stays the source of truth: a lost message only delays the
// service.
//
// [Bus.ConsumeQueue] consumes a durable queue shared by the processes of
// a deployment, with manual acknowledgements, one message at a time per
// process; `modkit serve --rebuilds` feeds the rebuild service from it
// (dist-git, Bodhi and koji messages).
//
// All reconnect after a broker outage.
package amqpbus
