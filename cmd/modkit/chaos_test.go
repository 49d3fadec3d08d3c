package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/modkit/modkit/internal/kojihub"
	"github.com/modkit/modkit/internal/testenv"
	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/pgstore/pgtest"
	"github.com/modkit/modkit/orchestrator/zerobuilder"
)

// TestChaosServeOnPostgres runs 3 `modkit serve` processes on one
// PostgreSQL database and RabbitMQ with the koji builder against a kojitest
// hub in a process of its own (build tasks of 1 s), submits module builds
// of 20 components in 4 batches, and kills a random serve process with
// SIGKILL every 4 s (the first three a second apart), restarting it a
// moment later, until every build is finished. Then: every build is ready; the hub was given one build task
// per component (counted per target and mbs_artifact_name: none submitted
// twice) and imported each module once; every state change was published
// at least once and, per module build, in order.
//
// By default it runs 12 module builds (MODKIT_CHAOS_MODULES=50 is the
// issue's full run; MODKIT_CHAOS_PROCS, MODKIT_CHAOS_BUILD_TIME and
// MODKIT_CHAOS_KILL_EVERY change the rest). MODKIT_CHAOS_BUILDER=zero runs
// it with the zero builder and its shared journal instead of koji.
func TestChaosServeOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos test: 3 serve processes, 12 module builds")
	}
	db := pgtest.NewDatabase(t)
	amqpURL := os.Getenv("MODKIT_TEST_AMQP_URL")
	if amqpURL == "" {
		testenv.SkipOrFatal(t, "MODKIT_TEST_AMQP_URL is not set (a RabbitMQ URL; eval \"$(hack/rabbitmq.sh up DIR)\" starts one)")
	}
	repo := gitRepo(t)
	modules, comps := 12, 20
	if v := os.Getenv("MODKIT_CHAOS_MODULES"); v != "" {
		fmt.Sscan(v, &modules)
	}
	var rb [4]byte
	rand.Read(rb[:])
	prefix := "org.modkit.chaos" + hex.EncodeToString(rb[:])

	// The test's consumer, bound before anything is published.
	conn, err := amqp.Dial(amqpURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(q.Name, prefix+".#", "amq.topic", false, nil); err != nil {
		t.Fatal(err)
	}
	deliveries, err := ch.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []amqp.Delivery
	// drain reads the deliveries until none came for 20 ms (the client
	// hands them over one at a time).
	drain := func() {
		for {
			select {
			case d := <-deliveries:
				got = append(got, d)
			case <-time.After(20 * time.Millisecond):
				return
			}
		}
	}

	procs := 3
	if v := os.Getenv("MODKIT_CHAOS_PROCS"); v != "" {
		fmt.Sscan(v, &procs)
	}
	builder := os.Getenv("MODKIT_CHAOS_BUILDER")
	buildTime := "1s"
	if v := os.Getenv("MODKIT_CHAOS_BUILD_TIME"); v != "" {
		buildTime = v
	}
	bt, err := time.ParseDuration(buildTime)
	if err != nil {
		t.Fatalf("MODKIT_CHAOS_BUILD_TIME: %v", err)
	}
	killEvery := 4 * time.Second
	if v := os.Getenv("MODKIT_CHAOS_KILL_EVERY"); v != "" {
		if killEvery, err = time.ParseDuration(v); err != nil {
			t.Fatalf("MODKIT_CHAOS_KILL_EVERY: %v", err)
		}
	}
	var hubURL string
	var builderArgs []string
	switch builder {
	case "", "koji":
		testenv.RequireTools(t, "rpmbuild") // module-build-macros
		hubURL, builderArgs = startKojiHub(t, bt)
	case "zero":
		builderArgs = []string{"--builder", "zero", "--zero-build-time", buildTime, "--platform", "f40"}
	default:
		t.Fatalf("MODKIT_CHAOS_BUILDER must be koji or zero, not %q", builder)
	}
	c := newCluster(t, procs, db, append(builderArgs, "--auth", "none",
		"--allow-yaml", "--allow-component-repository", "--bus", amqpURL, "--topic-prefix", prefix,
		// Leases of 4 s: on this shared 2-core machine a renewal every
		// 1.3 s can lag by seconds; --jobs 20 spreads the module builds
		// over the processes, so that one kill does not take them all.
		"--lease-ttl", "4s", "--poll-interval", "100ms", "--jobs", "20"))
	t.Cleanup(func() {
		if t.Failed() {
			c.logTails(t, 100)
		}
	})
	start := time.Now()
	for i := range modules {
		c.submit(chaosModule(fmt.Sprintf("chaos%02d", i), repo, comps, 4))
	}
	t.Logf("submitted %d module builds in %s", modules, time.Since(start).Round(time.Millisecond))

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := mrand.New(mrand.NewPCG(seed, 7))
	kills := 0
	lastKill := time.Now()
	st := openPG(t, db)
	// Up to 30 s of a loaded machine per module build, at least 10 min.
	final := waitFinished(t, st, modules, max(10*time.Minute, time.Duration(modules)*30*time.Second), func() {
		drain()
		// The first three kills come a second apart, so that a fast
		// machine, done before many kills, still sees takeovers.
		every := killEvery
		if kills < 3 {
			every = min(every, time.Second)
		}
		if time.Since(lastKill) < every || os.Getenv("MODKIT_CHAOS_NOKILL") != "" {
			return
		}
		i := rng.IntN(procs)
		c.kill(i)
		kills++
		time.Sleep(time.Duration(rng.IntN(500)) * time.Millisecond)
		c.start(i)
		lastKill = time.Now()
	})
	elapsed := time.Since(start)
	t.Logf("%d module builds finished in %s with %d kills", len(final), elapsed.Round(time.Millisecond), kills)
	if kills < 3 {
		t.Errorf("only %d kills: the test did not exercise takeovers", kills)
	}
	for _, mb := range final {
		if mb.State != orchestrator.StateReady {
			t.Errorf("module build %d %s: %s (%s)", mb.ID, mb.NSVC(), mb.State, mb.StateReason)
		}
	}

	// Nothing built twice.
	if hubURL != "" {
		checkKojiHub(t, hubURL, final, comps)
	} else {
		builds, err := zerobuilder.ReadJournal(filepath.Join(c.dir, "zerobuilder.journal"))
		if err != nil {
			t.Fatal(err)
		}
		seen := map[[2]int64]int{}
		for _, b := range builds {
			seen[[2]int64{b.ComponentID, int64(b.Attempt)}]++
		}
		if want := modules * (comps + 1); len(seen) != want {
			t.Errorf("%d component builds, want %d", len(seen), want)
		}
		for k, n := range seen {
			if n > 1 {
				t.Errorf("component build %d attempt %d submitted %d times", k[0], k[1], n)
			}
		}
	}

	// Every event published: wait until the outbox is empty and the
	// messages stop.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		drain()
		var pending []*orchestrator.Event
		if err := st.View(t.Context(), func(tx orchestrator.Tx) error {
			var err error
			pending, err = tx.PendingEvents(t.Context(), 1)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(pending) == 0 {
			time.Sleep(500 * time.Millisecond)
			drain()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the outbox was not drained")
		}
		time.Sleep(100 * time.Millisecond)
	}
	checkPublished(t, st, got, prefix, final)
}

// checkKojiHub checks the hub's record after module builds of comps
// components each (plus module-build-macros) finished: one build task per
// component (by target and mbs_artifact_name), each closed, and one
// content-generator import per module build and one of its -devel module
// (a refused repeat, "Build already exists", is what a takeover after a
// crash during the import may cause; it is reported, not counted).
func checkKojiHub(t *testing.T, hubURL string, final []*orchestrator.ModuleBuild, comps int) {
	t.Helper()
	ctx := t.Context()
	tasks, err := kojihub.BuildTasks(ctx, hubURL)
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	for _, bt := range tasks {
		per[bt.Target+" "+bt.Artifact]++
		if bt.State != koji.TaskClosed {
			t.Errorf("koji task %d (%s in %s) is %s", bt.ID, bt.Artifact, bt.Target, bt.State)
		}
	}
	if want := len(final) * (comps + 1); len(tasks) != want || len(per) != want {
		t.Errorf("the hub was given %d build tasks of %d components, want %d", len(tasks), len(per), want)
	}
	for k, n := range per {
		if n > 1 {
			t.Errorf("%s: submitted to koji %d times", k, n)
		}
	}
	st, err := kojihub.ReadStats(ctx, hubURL)
	if err != nil {
		t.Fatal(err)
	}
	imports := st.Calls["CGImport"] - st.Faults["CGImport"]
	t.Logf("koji hub: %d build tasks, %d CG imports (%d refused), %d calls in all, at most %d build tasks running at once",
		len(tasks), imports, st.Faults["CGImport"], sum(st.Calls), kojihub.MaxRunning(tasks))
	if imports != 2*len(final) {
		t.Errorf("%d CG imports for %d module builds (each with its -devel module)", imports, len(final))
	}
	kc, err := koji.NewClient(hubURL)
	if err != nil {
		t.Fatal(err)
	}
	for _, mb := range final {
		for _, name := range []string{mb.Name, mb.Name + "-devel"} {
			nvr := name + "-" + strings.ReplaceAll(mb.Stream, "-", "_") + "-" + mb.Version + "." + mb.Context
			b, err := kc.GetBuild(ctx, koji.Name(nvr))
			if err != nil {
				t.Errorf("module build %d: koji build %s: %v", mb.ID, nvr, err)
				continue
			}
			if info := b.ModuleInfo(); info == nil || info.ModuleBuildServiceID != mb.ID {
				t.Errorf("koji build %s does not belong to module build %d", nvr, mb.ID)
			}
		}
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// checkPublished checks, after dropping duplicates (same message id), that
// each module build's state changes arrived in the order of its recorded
// traces, and each component's in the order of its traces.
func checkPublished(t *testing.T, st orchestrator.Store, got []amqp.Delivery, prefix string, mbs []*orchestrator.ModuleBuild) {
	t.Helper()
	first := map[string]bool{}
	dups := 0
	modStates := map[int64][]string{}
	compStates := map[int64][]string{}
	for _, d := range got {
		if first[d.MessageId] {
			dups++
			continue
		}
		first[d.MessageId] = true
		switch d.RoutingKey {
		case prefix + ".mbs.module.state.change":
			var m orchestrator.ModuleMessage
			if err := json.Unmarshal(d.Body, &m); err != nil {
				t.Fatal(err)
			}
			modStates[m.ID] = append(modStates[m.ID], m.StateName)
		case prefix + ".mbs.component.state.change":
			var m orchestrator.ComponentMessage
			if err := json.Unmarshal(d.Body, &m); err != nil {
				t.Fatal(err)
			}
			s := "waiting"
			if m.StateName != nil {
				s = *m.StateName
			}
			compStates[m.ID] = append(compStates[m.ID], s)
		default:
			t.Errorf("unexpected topic %s", d.RoutingKey)
		}
	}
	t.Logf("%d messages, %d distinct, %d duplicates", len(got), len(first), dups)
	ctx := t.Context()
	for _, mb := range mbs {
		var want []string
		var comps []*orchestrator.ComponentBuild
		var compTraces [][]string
		err := st.View(ctx, func(tx orchestrator.Tx) error {
			tr, err := tx.ModuleTraces(ctx, mb.ID)
			if err != nil {
				return err
			}
			for _, x := range tr {
				want = append(want, x.State.String())
			}
			comps, _, err = tx.ListComponentBuilds(ctx, &orchestrator.ComponentBuildFilter{ModuleID: mb.ID})
			if err != nil {
				return err
			}
			for _, c := range comps {
				ct, err := tx.ComponentTraces(ctx, c.ID)
				if err != nil {
					return err
				}
				var s []string
				for _, x := range ct[1:] { // the first is the unpublished "recorded" trace
					if x.State == nil {
						s = append(s, "waiting")
					} else {
						s = append(s, x.State.String())
					}
				}
				compTraces = append(compTraces, s)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(want, modStates[mb.ID]) {
			t.Errorf("module build %d: published states %v, recorded %v", mb.ID, modStates[mb.ID], want)
		}
		for i, c := range comps {
			if !slices.Equal(compTraces[i], compStates[c.ID]) {
				t.Errorf("component build %d (%s): published states %v, recorded %v", c.ID, c.Package, compStates[c.ID], compTraces[i])
			}
		}
		if want := strings.Join([]string{"init", "wait", "build", "done", "ready"}, " "); strings.Join(modStates[mb.ID], " ") != want && !t.Failed() {
			t.Errorf("module build %d: states %v", mb.ID, modStates[mb.ID])
		}
	}
}
