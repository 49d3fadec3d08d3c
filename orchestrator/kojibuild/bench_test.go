package kojibuild_test

import (
	"fmt"
	"testing"

	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/kojibuild"
)

// BenchmarkOrchestrate200 builds a 200-component module in 10 batches with
// the koji builder against kojitest, whose builds take no time. Besides
// the time it reports the koji HTTP requests per module build and per
// batch, not counting the build submissions (one request each): that
// number must not grow with the components of a batch. concurrency=200
// lets a whole batch build at once; concurrency=5 is MBS's default, where
// the service submits a batch in rounds of 5.
func BenchmarkOrchestrate200(b *testing.B) {
	for _, conc := range []int{200, 5} {
		for _, n := range []int{100, 200} {
			b.Run(fmt.Sprintf("components=%d/concurrency=%d", n, conc), func(b *testing.B) {
				benchOrchestrate(b, n, 10, conc)
			})
		}
	}
}

func benchOrchestrate(b *testing.B, n, batches, conc int) {
	var reqs, subs int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		h := newKojitest(b)
		e := newEnv(b, h, b.TempDir(), func(o *orchestrator.Options, k *kojibuild.Options) { o.Concurrency = conc })
		comps := ordered("p", n, batches)
		stop := e.run(b)
		before := h.requests.Load()
		b.StartTimer()
		mb := e.wait(b, e.submit(b, moduleYAML("bench", h.stream, comps, ""), "").ID)
		b.StopTimer()
		if mb.State != orchestrator.StateReady {
			b.Fatalf("state %s: %s", mb.State, mb.StateReason)
		}
		stop()
		reqs += h.requests.Load() - before
		subs += int64(h.sim.Submissions("module-build-macros"))
		for _, c := range comps {
			subs += int64(h.sim.Submissions(c.name))
		}
	}
	b.ReportMetric(float64(reqs)/float64(b.N), "koji-requests/op")
	b.ReportMetric(float64(reqs-subs)/float64(b.N)/float64(batches+1), "other-requests/batch")
}
