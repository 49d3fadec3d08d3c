package orchestrator_test

import (
	"context"
	"testing"

	"github.com/modkit/modkit/orchestrator"
)

// BenchmarkOrchestrate200 measures the orchestration overhead of a module of
// 200 components in 10 batches with a zero-time builder and the SQLite
// store: submit, expansion, 10 batches of submit/poll/finish, finalize.
// MBS's default concurrency of 5 builds at once is kept.
func BenchmarkOrchestrate200(b *testing.B) {
	yaml := []byte(moduleYAML("bench", 200, 10))
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, b.TempDir(), nil, func(o *orchestrator.Options) { o.Concurrency = 5 })
		b.StartTimer()
		e.run(b)
		mbs, err := e.svc.Submit(context.Background(), &orchestrator.SubmitRequest{Modulemd: yaml, Owner: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		got := e.wait(b, mbs[0].ID)
		if got[0].State != orchestrator.StateReady {
			b.Fatalf("state %s: %s", got[0].State, got[0].StateReason)
		}
	}
}
