package bodhidb_test

import (
	"context"
	"log"

	"github.com/modkit/modkit/bodhi"
	"github.com/modkit/modkit/bodhi/composer"
	"github.com/modkit/modkit/bodhi/composer/bodhidb"
	"github.com/modkit/modkit/koji"
)

// A push that records its updates' new status in Bodhi's database, as
// Bodhi's composer does.
func Example() {
	ctx := context.Background()
	m, err := bodhidb.Open(ctx, "postgresql://bodhi@db.example.org/bodhi")
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close(ctx)
	bc, _ := bodhi.NewClient("https://bodhi.example.org/")
	kc, _ := koji.NewClient("https://koji.example.org/kojihub")
	_, err = composer.Push(ctx, bc, kc, &composer.PushOptions{Release: "F27M", Request: "stable",
		RepoDir: "/srv/modular-updates", Mark: m.Mark})
	if err != nil {
		log.Fatal(err)
	}
}
