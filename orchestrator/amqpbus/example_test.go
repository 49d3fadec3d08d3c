package amqpbus_test

import (
	"context"
	"log"

	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/amqpbus"
	"github.com/modkit/modkit/orchestrator/sqlstore"
	"github.com/modkit/modkit/orchestrator/zerobuilder"
)

// A service that publishes its state changes as
// org.example.prod.mbs.module.state.change and wakes when koji reports.
func Example() {
	ctx := context.Background()
	bus, err := amqpbus.New("amqp://modkit:secret@broker.example.com/", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer bus.Close()
	st, err := sqlstore.Open(ctx, "/var/lib/modkit/modkit.db", nil)
	if err != nil {
		log.Fatal(err)
	}
	b, err := zerobuilder.New(nil)
	if err != nil {
		log.Fatal(err)
	}
	svc, err := orchestrator.NewService(&orchestrator.Options{
		Store: st, Builder: b, Publisher: bus, TopicPrefix: "org.example.prod.mbs.",
	})
	if err != nil {
		log.Fatal(err)
	}
	go bus.Consume(ctx, func(amqpbus.Delivery) { svc.Wake() })
	log.Fatal(svc.Run(ctx))
}
