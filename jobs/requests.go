package jobs

import (
	"context"
	"fmt"
	"time"

	"mvapi/schema"
)

// requestPurgeBatch is the most tb_requests rows one DELETE of the purge
// removes: each batch is a statement (a transaction) of its own, so the
// purge never holds many row locks, or a long one, and a write that needs
// the table waits at most one batch.
var requestPurgeBatch = 1000

// purgeRequests removes the idempotency records of reqid (tb_requests)
// older than reqiddays, oldest first, in batches of requestPurgeBatch
// until none is left or ctx ends. reqiddays=0 keeps them.
func purgeRequests(ctx context.Context, s *Scheduler, now time.Time) (string, error) {
	days := s.eng.Config().Int("reqiddays")
	if days <= 0 {
		return "request ids kept (reqiddays=0)", nil
	}
	cutoff := now.AddDate(0, 0, -days)
	q := purgeRequestsSQL(s.db.Dialect, requestPurgeBatch)
	var total int64
	batches := 0
	for ctx.Err() == nil {
		n, err := s.exec(ctx, q, cutoff, cutoff)
		if err != nil {
			return "", fmt.Errorf("purge tb_requests (reqiddays): %w", err)
		}
		total += n
		if n == 0 {
			break
		}
		batches++
		if n < int64(requestPurgeBatch) {
			break
		}
	}
	return fmt.Sprintf("%d request ids older than %d days removed (%d batches)", total, days, batches), ctx.Err()
}

// purgeRequestsSQL deletes the rows of tb_requests older than the first ?
// up to the datum of the n-th oldest (also older than the second ?, the
// same cutoff): about n rows (more only when rows share that datum) found
// by the datum index, written once for every dialect.
func purgeRequestsSQL(d schema.Dialect, n int) string {
	return d.Rebind("DELETE FROM tb_requests WHERE datum < ? AND datum <= (SELECT MAX(datum) FROM (SELECT " + d.Top(n) +
		"datum FROM tb_requests WHERE datum < ? ORDER BY datum" + d.Limit(n) + ") oldest)")
}
