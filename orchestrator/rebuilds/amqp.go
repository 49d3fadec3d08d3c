package rebuilds

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
)

// BusTopics are the routing key patterns of the messages a rebuild
// service consumes from a fedora-messaging bus, with any topic prefix
// ("org.fedoraproject.prod."): dist-git pushes (git.receive), Bodhi's
// update messages and koji's build state changes and tags. The module
// build service's own module.state.change events reach a service in
// `modkit serve` in-process ([Service.Attach]); another MBS's are
// "#.mbs.module.state.change".
var BusTopics = []string{"#.git.receive", "#.bodhi.update.#", "#.buildsys.build.state.change", "#.buildsys.tag"}

// HandleBusMessage handles one message from a bus (a fedora-messaging
// message: its id, routing key and JSON body) and says whether the bus
// should offer it again later (retry): when another process is handling
// the same message id right now ([ErrBusy]), or when handling failed
// before the outcome was recorded (the database was unreachable, ctx
// ended). A malformed message is logged and not retried; an event whose
// handling failed is recorded failed and not retried. A message without
// an id gets the digest of its topic and body as id, so identical copies
// are handled once.
func (s *Service) HandleBusMessage(ctx context.Context, id, topic string, body []byte) (retry bool, err error) {
	if id == "" {
		sum := sha256.Sum256(append([]byte(topic+"\x00"), body...))
		id = "sha256:" + hex.EncodeToString(sum[:])
	}
	m := Message{ID: id, Topic: topic, Body: body}
	if _, _, perr := parse(m); perr != nil {
		s.log.Warn("rebuilds: dropping a malformed bus message", "message_id", id, "topic", topic, "error", perr)
		return false, perr
	}
	ev, err := s.Handle(ctx, m)
	switch {
	case err == nil:
		return false, nil
	case errors.Is(err, ErrBusy), ctx.Err() != nil:
		return true, err
	case ev != nil && ev.State != EventInitialized:
		return false, err
	}
	return true, err
}
