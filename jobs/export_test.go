package jobs

import "context"

// The external tests (package jobs_test, which may use internal/mvtest:
// it wires through internal/server, which imports jobs) reach these.

// OtherNode returns a scheduler on s's engine that claims ticks as node.
func (s *Scheduler) OtherNode(node string) *Scheduler {
	return &Scheduler{eng: s.eng, db: s.db, log: s.log, node: node}
}

// TickEvery runs one occurrence of job on the schedule spec, as cron does.
func (s *Scheduler) TickEvery(spec, job string, run func(context.Context) (string, error)) {
	sched, err := parseSchedule(spec)
	if err != nil {
		panic(err)
	}
	s.tick(job, sched, 0, run)
}

// SetRequestPurgeBatch sets the batch of the tb_requests purge until the
// test ends.
func SetRequestPurgeBatch(t interface{ Cleanup(func()) }, n int) {
	old := requestPurgeBatch
	requestPurgeBatch = n
	t.Cleanup(func() { requestPurgeBatch = old })
}
