package jobs_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"mvapi/actions"
	"mvapi/internal/mvtest"
	"mvapi/jobs"
)

// TestHourlyPurgesRequestIDs: the hourly maintenance removes the
// idempotency records of reqid older than reqiddays in batches (each a
// DELETE of its own) and keeps the younger ones; reqiddays=0 keeps all.
func TestHourlyPurgesRequestIDs(t *testing.T) {
	mvtest.ForEachDB(t, func(t *testing.T, dsn string) {
		db := mvtest.MustOpen(t, dsn)
		now := time.Now().UTC()
		add := func(prefix string, n int, at time.Time) {
			tx := db.MustBegin()
			for i := range n {
				if _, err := tx.Exec(db.Rebind("INSERT INTO tb_requests (caller, reqid, entry, answer, datum) VALUES (?, ?, 'transfercredit', 'OK: done', ?)"),
					"u1", fmt.Sprintf("%s%d", prefix, i), at.Add(time.Duration(i)*time.Millisecond)); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		add("old", 25, now.AddDate(0, 0, -8)) // past reqiddays=7
		add("edge", 3, now.AddDate(0, 0, -6)) // inside
		add("new", 4, now.Add(-time.Hour))    // inside
		count := func() (n int) {
			if err := db.Get(&n, "SELECT COUNT(*) FROM tb_requests"); err != nil {
				t.Fatal(err)
			}
			return n
		}
		jobs.SetRequestPurgeBatch(t, 10)

		for _, c := range []struct {
			sets map[string]string
			want string
			left int
		}{
			{map[string]string{"reqiddays": "0"}, "request ids kept (reqiddays=0)", 32},
			{nil, "25 request ids older than 7 days removed (3 batches)", 7},
			{nil, "0 request ids older than 7 days removed (0 batches)", 7},
			{map[string]string{"reqiddays": "1"}, "3 request ids older than 1 days removed (1 batches)", 4},
		} {
			e, _ := mvtest.MustEngineActions(t, db, c.sets, actions.Deps{})
			s, err := jobs.New(context.Background(), e)
			if err != nil {
				t.Fatal(err)
			}
			out, err := s.RunJob(context.Background(), "hourly")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, c.want) {
				t.Fatalf("hourly with %v answered %q, want %q", c.sets, out, c.want)
			}
			if n := count(); n != c.left {
				t.Fatalf("hourly with %v left %d rows, want %d", c.sets, n, c.left)
			}
		}
		var kept []string
		if err := db.Select(&kept, "SELECT reqid FROM tb_requests ORDER BY reqid"); err != nil {
			t.Fatal(err)
		}
		if strings.Join(kept, ",") != "new0,new1,new2,new3" {
			t.Fatalf("rows kept: %v", kept)
		}
	})
}
