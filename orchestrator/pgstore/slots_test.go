package pgstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/orchestrator/pgstore"
	"github.com/modkit/modkit/orchestrator/pgstore/pgtest"
)

// TestBuildSlots checks the global limit's reservations: concurrent
// reservations from several connections never grant more than the limit,
// a reservation is kept by its component, building components count, and
// finished or released ones free their slot.
func TestBuildSlots(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := pgstore.Open(ctx, pgtest.NewDatabase(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var comps []*orchestrator.ComponentBuild
	err = st.Update(ctx, func(tx orchestrator.Tx) error {
		now := time.Now().UTC()
		for m := range 4 {
			mb := &orchestrator.ModuleBuild{Name: fmt.Sprintf("m%d", m), Stream: "1", Version: "1", Context: "c",
				State: orchestrator.StateBuild, TimeSubmitted: now, TimeModified: now}
			if err := tx.CreateModuleBuild(ctx, mb); err != nil {
				return err
			}
			for i := range 5 {
				c := &orchestrator.ComponentBuild{ModuleID: mb.ID, Package: fmt.Sprintf("p%d", i), Format: "rpms", Batch: 1}
				if err := tx.CreateComponentBuild(ctx, c); err != nil {
					return err
				}
				comps = append(comps, c)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	reserve := func(ids []int64, limit int) []int64 {
		var got []int64
		err := st.Update(ctx, func(tx orchestrator.Tx) error {
			var err error
			got, err = tx.(orchestrator.SlotTx).ReserveBuildSlots(ctx, ids, limit)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	// Four modules reserve at once, 5 components each, limit 7.
	var mu sync.Mutex
	total := 0
	var wg sync.WaitGroup
	for m := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ids []int64
			for _, c := range comps[m*5 : m*5+5] {
				ids = append(ids, c.ID)
			}
			got := reserve(ids, 7)
			mu.Lock()
			total += len(got)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if total != 7 {
		t.Fatalf("%d slots granted, limit 7", total)
	}
	// Held reservations stay granted; nothing more fits.
	var all []int64
	for _, c := range comps {
		all = append(all, c.ID)
	}
	if got := reserve(all, 7); len(got) != 7 {
		t.Fatalf("again: %d granted, want the 7 held", len(got))
	}
	held := reserve(all, 7)
	// Two of them are recorded as building (still counted), one completes
	// (its slot is free), and one is released by a failed submission.
	err = st.Update(ctx, func(tx orchestrator.Tx) error {
		for i, id := range held[:4] {
			c, err := tx.ComponentBuild(ctx, id)
			if err != nil {
				return err
			}
			s := orchestrator.ComponentBuilding
			if i == 2 {
				s = orchestrator.ComponentComplete
			}
			if i == 3 {
				s = orchestrator.ComponentFailed
			}
			c.State = &s
			if err := tx.UpdateComponentBuild(ctx, c); err != nil {
				return err
			}
		}
		return tx.(orchestrator.SlotTx).ReleaseBuildSlots(ctx, held[:4])
	})
	if err != nil {
		t.Fatal(err)
	}
	// 2 building + 3 reserved = 5 used: 2 more fit under 7.
	var rest []int64
	for _, id := range all {
		if !contains(held[:4], id) {
			rest = append(rest, id)
		}
	}
	if got := reserve(rest, 7); len(got) != 5 {
		t.Fatalf("after two finished: %d granted, want 3 held + 2 new", len(got))
	}
}

func contains(l []int64, id int64) bool {
	for _, x := range l {
		if x == id {
			return true
		}
	}
	return false
}
