package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"sync"

	"github.com/modkit/modkit/orchestrator/amqpbus"
	"github.com/modkit/modkit/orchestrator/mbsapi"
	"github.com/modkit/modkit/orchestrator/rebuilds"
)

// rebuildOpsFlags are serve's settings of manual rebuilds, cancels and bus
// consumption of the rebuild service.
type rebuildOpsFlags struct {
	groups, users, topics multiFlag
	queue                 *string
}

func (f *rebuildFlags) addOpsFlags(fs *flag.FlagSet) {
	f.ops = &rebuildOpsFlags{}
	fs.Var(&f.ops.groups, "rebuild-group", "`GROUP` allowed to request manual rebuilds (POST /api/1/builds/) and cancel its own rebuild events (repeatable; default: the --allowed-group groups); --admin-group groups may cancel any")
	fs.Var(&f.ops.users, "rebuild-user", "`USER` allowed to request manual rebuilds and cancel its own rebuild events (repeatable)")
	f.ops.queue = fs.String("rebuild-queue", "modkit-rebuilds", "`NAME` of the durable AMQP queue the rebuild service consumes with --bus: serve processes of one deployment share it, and each message is handled by one of them")
	fs.Var(&f.ops.topics, "rebuild-topic", "AMQP routing key `PATTERN` the rebuild queue is bound to (repeatable; default: #.git.receive, #.bodhi.update.#, #.buildsys.build.state.change, #.buildsys.tag)")
}

// rebuildAuth is serve's authentication, shared by the rebuild API.
type rebuildAuth struct {
	tokens          mbsapi.Tokens
	noAuth          bool
	admins, allowed []string
}

func (f rebuildFlags) writeOptions(rs *rebuilds.Service, auth rebuildAuth) *rebuilds.WriteOptions {
	groups := []string(f.ops.groups)
	if len(groups) == 0 {
		groups = auth.allowed
		if len(groups) == 0 {
			groups = []string{"packager"}
		}
	}
	o := &rebuilds.WriteOptions{Service: rs, NoAuth: auth.noAuth, ManualGroups: groups, ManualUsers: f.ops.users, AdminGroups: auth.admins}
	if auth.tokens != nil {
		o.Auth = auth.tokens
	}
	return o
}

// startRebuildOps finishes what a previous run left (manual requests being
// handled, cancels being performed) and, with a bus, consumes the rebuild
// queue. The returned function stops the consumer and waits for it.
func startRebuildOps(ctx context.Context, f rebuildFlags, rs *rebuilds.Service, bus *amqpbus.Bus, logger *slog.Logger) (func(), error) {
	if err := rs.FinishCancels(ctx); err != nil {
		logger.Error("rebuilds: finishing the cancels of the previous run failed", "error", err)
	}
	if err := rs.Resume(ctx); err != nil {
		logger.Error("rebuilds: resuming the manual requests of the previous run failed", "error", err)
	}
	if bus == nil {
		return func() {}, nil
	}
	topics := []string(f.ops.topics)
	if len(topics) == 0 {
		topics = rebuilds.BusTopics
	}
	qo := &amqpbus.QueueOptions{Name: *f.ops.queue, Topics: topics}
	if qo.Name == "" {
		return nil, usageError("serve: --rebuild-queue must not be empty")
	}
	// Declared now when the broker is up, so nothing published from now
	// on is missed; when it is down, the consumer declares it once it
	// connects.
	if err := bus.DeclareQueue(ctx, qo); err != nil {
		logger.Warn("rebuilds: the message bus is not reachable yet; consuming once it is", "error", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		bus.ConsumeQueue(cctx, qo, func(ctx context.Context, d amqpbus.Delivery) error {
			retry, err := rs.HandleBusMessage(ctx, d.MessageID, d.Topic, d.Body)
			if retry {
				return fmt.Errorf("%w: %v", amqpbus.ErrRetry, err)
			}
			return nil
		})
	}()
	logger.Info("rebuilds: consuming the message bus", "queue", qo.Name, "topics", topics)
	return func() { cancel(); wg.Wait() }, nil
}
