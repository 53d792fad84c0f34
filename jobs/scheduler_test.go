package jobs_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mvapi/internal/mvtest"
	"mvapi/jobs"
)

// TestLongRunNotOverlapped: ticks that come while a run is still going are
// skipped, on this node and on any other node of the database.
func TestLongRunNotOverlapped(t *testing.T) {
	db := mvtest.MustDB(t)
	e := mvtest.MustEngine(t, db, nil)
	nodeA, err := jobs.New(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	nodeB := nodeA.OtherNode("other-node")
	var running, maxRunning, runs atomic.Int32
	slow := func(ctx context.Context) (string, error) {
		n := running.Add(1)
		defer running.Add(-1)
		if n > maxRunning.Load() {
			maxRunning.Store(n)
		}
		runs.Add(1)
		time.Sleep(1500 * time.Millisecond)
		return "OK: slow", nil
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i := range 4 { // one tick per 500 ms from two nodes, for 2 s
		for _, s := range []*jobs.Scheduler{nodeA, nodeB} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(i) * 500 * time.Millisecond)
				s.TickEvery("@every 1s", "slowjob", slow)
			}()
		}
	}
	wg.Wait()
	if maxRunning.Load() != 1 {
		t.Fatalf("%d runs overlapped", maxRunning.Load())
	}
	var recorded int
	db.Get(&recorded, "SELECT COUNT(*) FROM tb_jobruns WHERE job = 'slowjob'")
	if int32(recorded) != runs.Load() || recorded < 1 || recorded > 2 {
		t.Fatalf("%d runs, %d recorded in %v", runs.Load(), recorded, time.Since(start))
	}
}
