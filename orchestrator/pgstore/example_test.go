package pgstore_test

import (
	"context"
	"log"
	"os"

	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/pgstore"
	"github.com/modkit/modkit/orchestrator/zerobuilder"
)

// Several processes run this with the same database URL and share the
// work: each module build is worked on by one of them at a time.
func Example() {
	ctx := context.Background()
	st, err := pgstore.Open(ctx, os.Getenv("MODKIT_DB"), nil) // postgres://modkit@db.example.com/modkit
	if err != nil {
		log.Fatal(err) // a database written by a newer modkit: pgstore.ErrSchemaTooNew
	}
	defer st.Close()
	b, err := zerobuilder.New(nil)
	if err != nil {
		log.Fatal(err)
	}
	svc, err := orchestrator.NewService(&orchestrator.Options{Store: st, Builder: b})
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(svc.Run(ctx))
}
